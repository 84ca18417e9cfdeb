"""Write a run's outputs: metrics.json and figures/ (SVG and PNG) into a folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from reportgen.engine.runner import RunResult
from reportgen.figures import SavedFigure, save_figures
from reportgen.metrics import build_metrics_document
from reportgen.report.model import captions, section_facts
from reportgen.storage import atomic_write


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


def write_json(path: Path, document: dict) -> None:
    text = json.dumps(document, indent=2, default=_plain, allow_nan=False) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def export_run(
    run: RunResult, out_dir: Path, annotate: Callable[[dict], None] | None = None
) -> tuple[dict, list[SavedFigure], dict[str, dict]]:
    """Write metrics.json and every figure of the run's sections; returns the metrics
    document, the figures and each section's facts (for the report's render data).

    `annotate` may add to the document before it is written (a build adds its version id and
    threshold outcomes).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    document = build_metrics_document(run)
    if annotate:
        annotate(document)
    facts = section_facts(run)
    figures = save_figures(run, run.sections, captions(run.sections, facts), out_dir / "figures")
    write_json(out_dir / "metrics.json", document)
    return document, figures, facts
