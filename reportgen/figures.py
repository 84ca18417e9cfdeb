"""Every figure of the chapter, drawn from experiment results (never by fitting anything).

Each figure function takes results and returns a matplotlib Figure, in the manner of
scikit-learn's Display classes (which draw the ROC and precision/recall curves here).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay  # noqa: E402

from reportgen.engine.experiments.binary import (  # noqa: E402
    ForestResult,
    RocComparisonResult,
    SgdDetectorResult,
)
from reportgen.engine.experiments.dataset import OverviewResult  # noqa: E402
from reportgen.engine.experiments.error_analysis import ErrorAnalysisResult  # noqa: E402
from reportgen.engine.experiments.multioutput import DenoiseResult  # noqa: E402
from reportgen.engine.runner import RunResult  # noqa: E402

STYLE = {  # the chapter's rc settings, plus reproducible SVG output
    "axes.labelsize": 14, "xtick.labelsize": 12, "ytick.labelsize": 12,
    "svg.hashsalt": "reportgen", "svg.fonttype": "path",
}


def digit_grid(images: np.ndarray, images_per_row: int = 10) -> np.ndarray:
    """The chapter's plot_digits layout as one big image: rows of digits, padded with blanks."""
    n, h, w = images.shape
    per_row = max(1, min(n, images_per_row))
    n_rows = (n - 1) // per_row + 1 if n else 1
    padded = np.zeros((n_rows * per_row, h, w), dtype=images.dtype)
    padded[:n] = images
    return padded.reshape(n_rows, per_row, h, w).transpose(0, 2, 1, 3).reshape(n_rows * h,
                                                                                per_row * w)


def _show_digits(ax, images: np.ndarray, images_per_row: int = 10) -> None:
    ax.imshow(digit_grid(images, images_per_row), cmap="binary", interpolation="nearest")
    ax.axis("off")


def _single_image(image: np.ndarray) -> Figure:
    fig, ax = plt.subplots(figsize=(3, 3))
    ax.imshow(image, cmap="binary", interpolation="nearest")
    ax.axis("off")
    return fig


def first_digit(overview: OverviewResult) -> Figure:
    return _single_image(overview.first_image)


def more_digits(overview: OverviewResult) -> Figure:
    fig, ax = plt.subplots(figsize=(9, 9))
    _show_digits(ax, overview.first_images)
    fig.tight_layout()
    return fig


def _nice_limit(values: np.ndarray) -> float:
    """A round symmetric axis limit covering most thresholds (the chapter uses ±50,000)."""
    span = float(np.percentile(np.abs(values), 95)) if len(values) else 1.0
    magnitude = 10 ** np.floor(np.log10(max(span, 1e-9)))
    return float(np.ceil(span / magnitude) * magnitude)


def precision_recall_vs_threshold(sgd: SgdDetectorResult) -> Figure:
    t90, r90 = sgd.threshold_90_precision, sgd.recall_at_threshold_90
    limit = max(_nice_limit(sgd.pr_thresholds), abs(t90) * 1.2)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(sgd.pr_thresholds, sgd.pr_precisions[:-1], "b--", label="Precision", linewidth=2)
    ax.plot(sgd.pr_thresholds, sgd.pr_recalls[:-1], "g-", label="Recall", linewidth=2)
    ax.plot([t90, t90], [0.0, 0.9], "r:")
    ax.plot([-limit, t90], [0.9, 0.9], "r:")
    ax.plot([-limit, t90], [r90, r90], "r:")
    ax.plot([t90], [0.9], "ro")
    ax.plot([t90], [r90], "ro")
    ax.legend(loc="center right", fontsize=16)
    ax.set_xlabel("Threshold", fontsize=16)
    ax.grid(True)
    ax.axis([-limit, limit, 0, 1])
    fig.tight_layout()
    return fig


def precision_vs_recall(sgd: SgdDetectorResult) -> Figure:
    r90 = sgd.recall_at_threshold_90
    fig, ax = plt.subplots(figsize=(8, 6))
    PrecisionRecallDisplay(precision=sgd.pr_precisions, recall=sgd.pr_recalls).plot(
        ax=ax, curve_kwargs={"color": "b", "linewidth": 2}
    )
    ax.plot([r90, r90], [0.0, 0.9], "r:")
    ax.plot([0.0, r90], [0.9, 0.9], "r:")
    ax.plot([r90], [0.9], "ro")
    ax.set_xlabel("Recall", fontsize=16)
    ax.set_ylabel("Precision", fontsize=16)
    ax.axis([0, 1, 0, 1])
    ax.grid(True)
    fig.tight_layout()
    return fig


def _roc_axes(ax) -> None:
    ax.plot([0, 1], [0, 1], "k--")
    ax.axis([0, 1, 0, 1])
    ax.set_xlabel("False Positive Rate (Fall-Out)", fontsize=16)
    ax.set_ylabel("True Positive Rate (Recall)", fontsize=16)
    ax.grid(True)


def _mark(ax, fpr: float, recall: float, horizontal: bool = True) -> None:
    ax.plot([fpr, fpr], [0.0, recall], "r:")
    if horizontal:
        ax.plot([0.0, fpr], [recall, recall], "r:")
    ax.plot([fpr], [recall], "ro")


def roc_curve(sgd: SgdDetectorResult) -> Figure:
    fig, ax = plt.subplots(figsize=(8, 6))
    RocCurveDisplay(fpr=sgd.roc_fpr, tpr=sgd.roc_tpr, roc_auc=sgd.roc_auc, name="SGD").plot(
        ax=ax, curve_kwargs={"linewidth": 2}
    )
    _roc_axes(ax)
    _mark(ax, sgd.fpr_at_threshold_90, sgd.recall_at_threshold_90)
    ax.legend(loc="lower right", fontsize=14)
    fig.tight_layout()
    return fig


def roc_curve_comparison(
    sgd: SgdDetectorResult, forest: ForestResult, comparison: RocComparisonResult
) -> Figure:
    fig, ax = plt.subplots(figsize=(8, 6))
    RocCurveDisplay(fpr=sgd.roc_fpr, tpr=sgd.roc_tpr, roc_auc=sgd.roc_auc, name="SGD").plot(
        ax=ax, curve_kwargs={"color": "b", "linestyle": ":", "linewidth": 2}
    )
    RocCurveDisplay(
        fpr=forest.roc_fpr, tpr=forest.roc_tpr, roc_auc=forest.roc_auc, name="Random Forest"
    ).plot(ax=ax, curve_kwargs={"linewidth": 2})
    _roc_axes(ax)
    _mark(ax, comparison.fpr_at_threshold_90, comparison.sgd_recall)
    _mark(ax, comparison.fpr_at_threshold_90, comparison.forest_recall, horizontal=False)
    ax.legend(loc="lower right", fontsize=14)
    fig.tight_layout()
    return fig


def confusion_matrix_gray(errors: ErrorAnalysisResult) -> Figure:
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.matshow(np.asarray(errors.confusion_matrix), cmap="gray")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("actual class")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    return fig


def _matrix_with_colorbar(matrix: np.ndarray) -> Figure:
    fig = plt.figure(figsize=(8, 8))
    ax = fig.add_subplot(111)
    image = ax.matshow(matrix)
    fig.colorbar(image, fraction=0.046, pad=0.04)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("actual class")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    return fig


def confusion_matrix_colour(errors: ErrorAnalysisResult) -> Figure:
    return _matrix_with_colorbar(np.asarray(errors.confusion_matrix))


def error_matrix(errors: ErrorAnalysisResult) -> Figure:
    return _matrix_with_colorbar(errors.error_matrix)


def errors_a_vs_b(errors: ErrorAnalysisResult) -> Figure:
    a, b = errors.class_a, errors.class_b
    titles = [f"{a} taken for {a}", f"{a} taken for {b}", f"{b} taken for {a}",
              f"{b} taken for {b}"]
    fig, axes = plt.subplots(2, 2, figsize=(8, 8))
    for ax, grid, key, title in zip(axes.flat, errors.grids, ("aa", "ab", "ba", "bb"), titles,
                                    strict=True):
        _show_digits(ax, grid, images_per_row=5)  # blank-padded to 5x5 so the grids line up
        ax.set_title(f"{title} ({errors.grid_counts[key]})", fontsize=12)
    fig.tight_layout()
    return fig


def noisy_digit_example(denoise: DenoiseResult) -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    for ax, image, title in zip(axes, (denoise.noisy_digit, denoise.clean_digit),
                                ("noisy input", "clean target"), strict=True):
        ax.imshow(image, cmap="binary", interpolation="nearest")
        ax.set_title(title, fontsize=12)
        ax.axis("off")
    fig.tight_layout()
    return fig


def cleaned_digit(denoise: DenoiseResult) -> Figure:
    return _single_image(denoise.cleaned_digit)


def svg_data_url(fig: Figure) -> str:
    """A figure as an inline SVG (for the index's and the benchmarks' charts); closes it."""
    buffer = io.StringIO()
    with plt.rc_context(STYLE):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue().encode()).decode()


@dataclass(frozen=True)
class FigureSpec:
    id: str
    section: str
    caption: str
    experiments: tuple[str, ...]  # whose results the drawing takes, in argument order
    draw: Callable[..., Figure]


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("first_digit", "dataset", "The first training image (label {first_label}).",
               ("dataset.overview",), first_digit),
    FigureSpec("more_digits", "dataset", "The first 100 training images.",
               ("dataset.overview",), more_digits),
    FigureSpec("precision_recall_vs_threshold", "binary",
               "Precision and recall of the 5-detector against the decision threshold; red: the"
               " lowest threshold reaching 90 % precision.", ("binary.sgd",),
               precision_recall_vs_threshold),
    FigureSpec("precision_vs_recall", "binary",
               "Precision against recall; red: the 90 %-precision point.", ("binary.sgd",),
               precision_vs_recall),
    FigureSpec("roc_curve", "binary",
               "ROC curve of the 5-detector; the dashed diagonal is a random classifier.",
               ("binary.sgd",), roc_curve),
    FigureSpec("roc_curve_comparison", "binary",
               "ROC curves of the SGD and the random forest; red: their recall at the SGD's"
               " 90 %-precision false-positive rate.",
               ("binary.sgd", "binary.forest", "binary.roc_comparison"), roc_curve_comparison),
    FigureSpec("confusion_matrix_gray", "errors",
               "Confusion matrix of the scaled SGD (brighter is more images).",
               ("errors.analysis",), confusion_matrix_gray),
    FigureSpec("confusion_matrix_colour", "errors", "The same confusion matrix in colour.",
               ("errors.analysis",), confusion_matrix_colour),
    FigureSpec("error_matrix", "errors",
               "Error rates: each row divided by its class size, diagonal set to zero.",
               ("errors.analysis",), error_matrix),
    FigureSpec("errors_3_vs_5", "errors",
               "Threes and fives, by what the classifier took them for (up to 25 each).",
               ("errors.analysis",), errors_a_vs_b),
    FigureSpec("noisy_digit_example", "multioutput",
               "The first test digit with noise added (left) and its clean original (right).",
               ("multioutput.knn",), noisy_digit_example),
    FigureSpec("cleaned_digit", "multioutput", "What KNN made of the noisy digit.",
               ("multioutput.knn",), cleaned_digit),
)


@dataclass(frozen=True)
class SavedFigure:
    id: str
    section: str
    caption: str
    svg: str  # path relative to the output folder
    png: str


def save_figures(run: RunResult, out_dir: Path, png_dpi: int = 150) -> list[SavedFigure]:
    """Draw every figure from the run's results and save each as SVG and PNG under out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    overview = run["dataset.overview"]
    with plt.rc_context(STYLE):
        for spec in FIGURES:
            fig = spec.draw(*(run[name] for name in spec.experiments))
            try:
                for ext, options in (("svg", {"metadata": {"Date": None}}), ("png",
                                     {"dpi": png_dpi, "metadata": {"Software": None}})):
                    fig.savefig(out_dir / f"{spec.id}.{ext}", format=ext, **options)
            finally:
                plt.close(fig)
            caption = spec.caption.format(first_label=overview.first_label)
            saved.append(SavedFigure(spec.id, spec.section, caption,
                                     f"{out_dir.name}/{spec.id}.svg",
                                     f"{out_dir.name}/{spec.id}.png"))
    return saved
