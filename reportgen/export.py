"""Write a run's outputs: metrics.json and figures/ (SVG and PNG) into a folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from reportgen.engine.runner import RunResult
from reportgen.errors import ReportgenError
from reportgen.figures import SavedFigure, save_figures
from reportgen.metrics import build_record
from reportgen.record import VersionRecord
from reportgen.report.model import captions, section_facts
from reportgen.storage import atomic_write


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _unwritable(value, where: str = "") -> str | None:
    """Where in `value` JSON cannot go (a NaN or infinite number, an object that is not
    plain data): "metrics.models.knn.score", say; None if nowhere."""
    if isinstance(value, dict):
        return next((found for key, item in value.items()
                     if (found := _unwritable(item, f"{where}.{key}" if where else str(key)))),
                    None)
    if isinstance(value, list | tuple | np.ndarray):
        return next((found for index, item in enumerate(value)
                     if (found := _unwritable(item, f"{where}[{index}]"))), None)
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return f"{where} = {value}"
    if not isinstance(value, str | int | float | bool | np.generic | type(None)):
        return f"{where} ({type(value).__name__})"
    return None


def write_json(path: Path, document: dict) -> None:
    """`document` as strict JSON (no NaN); what cannot be written is one line naming it (a
    section's metric that is not a number, or not plain data)."""
    try:
        text = json.dumps(document, indent=2, default=_plain, allow_nan=False) + "\n"
    except (TypeError, ValueError):
        raise ReportgenError(f"{path.name} cannot hold {_unwritable(document)}: a metric or"
                             " fact must be a finite number, text, a list or a table of them"
                             ) from None
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def export_run(
    run: RunResult, out_dir: Path,
    annotate: Callable[[VersionRecord], VersionRecord] | None = None
) -> tuple[VersionRecord, list[SavedFigure], dict[str, dict]]:
    """Write metrics.json and every figure of the run's sections; returns the version
    record, the figures and each section's facts (for the report's render data).

    `annotate` may complete the record before it is written (a build adds its version id and
    threshold outcomes).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    record = build_record(run)
    if annotate:
        record = annotate(record)
    facts = section_facts(run)
    figures = save_figures(run, run.sections, captions(run.sections, facts), out_dir / "figures")
    write_json(out_dir / "metrics.json", record.to_json())
    return record, figures, facts
