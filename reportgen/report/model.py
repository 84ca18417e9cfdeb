"""Build the report's plain data from a run: numbers, figures, provenance, thresholds, changes.

Templates receive only what this module returns: dicts, lists, strings and numbers.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: `reportgen show` needs HEADLINES, not the engine
    from reportgen.engine.runner import RunResult
    from reportgen.figures import SavedFigure

SECTIONS = (  # the chapter's order; `prefix` selects a section's metrics
    ("dataset", "The data", "dataset."),
    ("binary", "A binary classifier: the 5-detector", "binary."),
    ("multiclass", "Multiclass classification", "multiclass."),
    ("errors", "Error analysis", "errors."),
    ("multilabel", "Multilabel classification", "multilabel."),
    ("multioutput", "Multioutput classification: cleaning digits", "multioutput."),
)

HEADLINES = (  # the numbers the summary, the index and `reportgen list` lead with
    ("binary.sgd.roc_auc", "SGD 5-detector ROC AUC"),
    ("binary.forest.roc_auc", "Random forest ROC AUC"),
    ("binary.sgd.recall_at_threshold_90", "SGD recall at 90 % precision"),
    ("multiclass.sgd_scaled.cv_accuracy_mean", "Scaled multiclass SGD accuracy"),
    ("multilabel.knn.f1_macro", "Multilabel KNN macro F1"),
)


def _figure_context(figures: list[SavedFigure], build_dir: Path) -> dict:
    context = {}
    for number, figure in enumerate(figures, start=1):
        svg = (build_dir / figure.svg).read_bytes()
        context[figure.id] = {
            "number": number,
            "caption": figure.caption,
            "src": "data:image/svg+xml;base64," + base64.b64encode(svg).decode(),
            "file": figure.svg,
        }
    return context


def _details(run: RunResult) -> dict:
    """Plain facts from results that are not metrics but that the prose needs."""
    sgd, errors, denoise = run["binary.sgd"], run["errors.analysis"], run["multioutput.knn"]
    return {
        "first_label": run["dataset.overview"].first_label,
        "class_names": list(run.dataset.spec.class_names),
        "classes_are_digits": run.dataset.spec.classes_are_digits,
        "train_class_counts": run["dataset.overview"].train_class_counts,
        "threshold_demo": sgd.threshold_demo,
        "perfect_confusion_matrix": sgd.perfect_confusion_matrix,
        "largest_errors": errors.largest_errors,
        "class_a": errors.class_a,
        "class_b": errors.class_b,
        "grid_counts": errors.grid_counts,
        "noise_max": denoise.noise_high - 1,  # randint's upper bound is exclusive
        "pixel_max": run.dataset.spec.pixel_max,
        "denoise_eval_size": denoise.eval_size,
        "rmse_noisy_first": denoise.rmse_noisy_first,
        "ovr_train_size": run["multiclass.ovr"].train_size,
    }


def build_context(
    *,
    run: RunResult,
    document: dict,
    figures: list[SavedFigure],
    build_dir: Path,
    version_id: str,
    created_utc: str,
    provenance: dict,
    thresholds: list[dict],
    changes: dict | None,
    previous_id: str | None,
    benchmarks: dict | None = None,
) -> dict:
    metrics = document["metrics"]
    published = document["published"]
    experiments = document["timings"]["experiments"]
    return {
        "version": version_id,
        "created_utc": created_utc,
        "dataset": document["dataset"],
        "profile": document["profile"],
        "is_chapter_run": bool(published),
        "m": metrics,
        "details": _details(run),
        "figures": _figure_context(figures, build_dir),
        "sections": [{"id": s, "title": t} for s, t, _ in SECTIONS],
        "headlines": [{"metric": name, "label": label, "value": metrics[name]}
                      for name, label in HEADLINES],
        "published": {
            section: [row for row in published if row["metric"].startswith(prefix)]
            for section, _, prefix in SECTIONS
        },
        "published_summary": {
            "total": len(published),
            "agree": sum(row["agrees"] for row in published),
        },
        "thresholds": thresholds,
        "thresholds_passed": sum(t["passed"] for t in thresholds),
        "timings": [
            {"experiment": name, "seconds": t["seconds"], "cached": t["cached"],
             "warnings": document["warnings"].get(name, [])}
            for name, t in experiments.items()
        ],
        "wall_seconds": document["timings"]["wall_seconds"],
        "compute_seconds": sum(t["seconds"] for t in experiments.values()),
        "computed_count": sum(not t["cached"] for t in experiments.values()),
        "cached_count": sum(t["cached"] for t in experiments.values()),
        "jobs": document["timings"]["jobs"],
        "provenance": provenance,
        "seeds": {
            "SGDClassifier random_state": 42, "StratifiedKFold random_state (shuffled)": 42,
            "RandomForestClassifier random_state": 42, "OneVsRest SVC random_state": 42,
            "noise (np.random.seed)": 42,
        },
        "changes": changes,
        "previous_id": previous_id,
        "benchmarks": benchmarks,
    }
