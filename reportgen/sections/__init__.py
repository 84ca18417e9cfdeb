"""The chapter's sections, each one registered unit (see `api`), in the report's order.

`all_sections()` imports the built-in section modules (importing registers them) and returns
every registered section ordered by `Section.order`; `select()` resolves `--only`.
"""

from __future__ import annotations

import importlib

from reportgen.errors import ReportgenError
from reportgen.sections.api import SECTIONS, FigureSpec, Metric, Section, register, registered

__all__ = ["FigureSpec", "Metric", "Section", "all_sections", "metrics_by_name", "register",
           "registered", "select"]

BUILT_IN = ("dataset", "binary", "multiclass", "errors", "multilabel", "multioutput", "test_set")


def all_sections() -> list[Section]:
    """Every registered section, in the report's order."""
    for module in BUILT_IN:
        importlib.import_module(f"reportgen.sections.{module}")
    return sorted(SECTIONS.values(), key=lambda section: (section.order, section.id))


def select(only: tuple[str, ...] | list[str] | None = None) -> list[Section]:
    """The sections `--only` names (all when None or empty), in the report's order."""
    sections = all_sections()
    if not only:
        return sections
    known = {section.id for section in sections}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise ReportgenError(f"unknown section(s) {', '.join(unknown)}; choose from:"
                             f" {', '.join(sorted(known))}")
    return [section for section in sections if section.id in only]


def metrics_by_name() -> dict[str, Metric]:
    """Every metric of every registered section: the one index of metric names."""
    return {metric.name: metric for section in all_sections() for metric in section.metrics}
