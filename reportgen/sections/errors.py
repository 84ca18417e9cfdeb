"""Error analysis of the scaled multiclass SGD: confusion matrix, error rates, 3s versus 5s."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import confusion_matrix

from reportgen.engine.profiles import Inputs
from reportgen.figures import show_digits, subplots
from reportgen.sections.api import FigureSpec, Metric, Section, field_of
from reportgen.sections.multiclass import ScaledSgdResult
from reportgen.sections.prose import class_label, class_plural

CLASS_A, CLASS_B = 3, 5  # the pair the chapter looks at image by image
GRID_SIZE = 25  # images per grid, as the chapter's X_aa[:25]
LARGEST_ERRORS = 5  # confusions the prose lists
N_CLASSES = 10


@dataclass
class ErrorAnalysisResult:
    confusion_matrix: list[list[int]]
    error_matrix: np.ndarray  # rows normalised by class size, diagonal zeroed
    class_a: int
    class_b: int
    grid_counts: dict  # {"aa": n, "ab": n, "ba": n, "bb": n}: images in each cell
    grids: np.ndarray  # (4, <=25, h, w) uint8: aa, ab, ba, bb (padded with zeros)
    largest_errors: list[dict]  # the most frequent confusions, true -> predicted


# -- figures ----------------------------------------------------------------------------------
def _matrix_axes(ax, n: int) -> None:
    ax.set_xlabel("predicted class")
    ax.set_ylabel("actual class")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))


def confusion_matrix_gray(errors: ErrorAnalysisResult):
    matrix = np.asarray(errors.confusion_matrix)
    fig, ax = subplots(figsize=(5, 5))
    ax.matshow(matrix, cmap="gray")
    _matrix_axes(ax, len(matrix))
    return fig


def _matrix_with_colorbar(matrix: np.ndarray):
    fig, ax = subplots(figsize=(8, 8))
    image = ax.matshow(matrix)
    fig.colorbar(image, fraction=0.046, pad=0.04)
    _matrix_axes(ax, len(matrix))
    return fig


def confusion_matrix_colour(errors: ErrorAnalysisResult):
    return _matrix_with_colorbar(np.asarray(errors.confusion_matrix))


def error_matrix(errors: ErrorAnalysisResult):
    return _matrix_with_colorbar(errors.error_matrix)


def pair_grids(errors: ErrorAnalysisResult):
    a, b = errors.class_a, errors.class_b
    titles = [f"{a} taken for {a}", f"{a} taken for {b}", f"{b} taken for {a}",
              f"{b} taken for {b}"]
    fig, axes = subplots(2, 2, figsize=(8, 8))
    for ax, grid, key, title in zip(axes.flat, errors.grids, ("aa", "ab", "ba", "bb"), titles,
                                    strict=True):
        show_digits(ax, grid, images_per_row=5)  # blank-padded to 5x5 so the grids line up
        ax.set_title(f"{title} ({errors.grid_counts[key]})", fontsize=12)
    fig.tight_layout()
    return fig


# -- the section ------------------------------------------------------------------------------
def _facts(results, spec) -> dict:
    errors = results["errors.analysis"]
    a, b = errors.class_a, errors.class_b
    return {
        "class_a": a,
        "class_b": b,
        "label_a": class_label(spec, a),
        "label_b": class_label(spec, b),
        "plural_a": class_plural(spec, a),
        "plural_b": class_plural(spec, b),
        "pair_words": f"{class_plural(spec, a).capitalize()} and {class_plural(spec, b)}",
        "grid_size": GRID_SIZE,
        "grid_counts": errors.grid_counts,
        "largest_errors": errors.largest_errors,
        "labels": list(range(len(errors.confusion_matrix))),
        "classes_are_digits": spec.classes_are_digits,
    }


CONFUSION_DIFFERS = (  # by construction; which releases give the book's matrix is measured
    "it is counted from the scaled multiclass SGD's cross-validated predictions"
    " (multiclass.sgd_scaled), so it differs wherever they do"
)

SECTION = Section(
    id="errors",
    title="Error analysis",
    order=40,
    metrics=(
        Metric("errors.confusion_matrix", "errors.analysis", field_of("confusion_matrix"),
               "10x10 confusion matrix of the scaled SGD's cross-validated predictions",
               [[5577, 0, 22, 5, 8, 43, 36, 6, 225, 1],
                [0, 6400, 37, 24, 4, 44, 4, 7, 212, 10],
                [27, 27, 5220, 92, 73, 27, 67, 36, 378, 11],
                [22, 17, 117, 5227, 2, 203, 27, 40, 403, 73],
                [12, 14, 41, 9, 5182, 12, 34, 27, 347, 164],
                [27, 15, 30, 168, 53, 4444, 75, 14, 535, 60],
                [30, 15, 42, 3, 44, 97, 5552, 3, 131, 1],
                [21, 10, 51, 30, 49, 12, 3, 5684, 195, 210],
                [17, 63, 48, 86, 3, 126, 25, 10, 5429, 44],
                [25, 18, 30, 64, 118, 36, 1, 179, 371, 5107]],
               CONFUSION_DIFFERS),
        Metric("errors.largest_error_rate", "errors.analysis",
               lambda r: r.largest_errors[0]["rate"],
               "The largest off-diagonal error rate (share of a class taken for another)"),
    ),
    figures=(
        FigureSpec("confusion_matrix_gray",
                   "Confusion matrix of the scaled SGD (brighter is more images).",
                   ("errors.analysis",), confusion_matrix_gray),
        FigureSpec("confusion_matrix_colour", "The same confusion matrix in colour.",
                   ("errors.analysis",), confusion_matrix_colour),
        FigureSpec("error_matrix",
                   "Error rates: each row divided by its class size, diagonal set to zero.",
                   ("errors.analysis",), error_matrix),
        FigureSpec("error_pair_grids",
                   "{pair_words}, by what the classifier took them for (up to {grid_size}"
                   " each).", ("errors.analysis",), pair_grids, size="wide"),
    ),
    facts=_facts,
)


@SECTION.experiment("errors.analysis", depends_on=("multiclass.sgd_scaled",), cost=0.05)
def analysis(data: Inputs, scaled: ScaledSgdResult) -> ErrorAnalysisResult:
    """Where the scaled SGD's errors go: normalised confusions and the chapter's pair, imaged."""
    y_train, y_pred = data.y_train, scaled.predictions
    labels = np.arange(N_CLASSES)
    conf_mx = confusion_matrix(y_train, y_pred, labels=labels)
    row_sums = conf_mx.sum(axis=1, keepdims=True)
    norm_conf_mx = conf_mx / np.maximum(row_sums, 1)
    np.fill_diagonal(norm_conf_mx, 0)

    cells = {
        "aa": (CLASS_A, CLASS_A), "ab": (CLASS_A, CLASS_B),
        "ba": (CLASS_B, CLASS_A), "bb": (CLASS_B, CLASS_B),
    }
    grids = np.zeros((4, GRID_SIZE, *data.features.shape), dtype=np.uint8)
    counts = {}
    for i, (key, (true, pred)) in enumerate(cells.items()):
        images = data.X_train[(y_train == true) & (y_pred == pred)]
        counts[key] = int(len(images))
        chosen = images[:GRID_SIZE]
        grids[i, : len(chosen)] = chosen.reshape(-1, *data.features.shape)

    order = np.dstack(np.unravel_index(np.argsort(-norm_conf_mx, axis=None), norm_conf_mx.shape))[0]
    largest = [
        {"true": int(t), "predicted": int(p), "rate": float(norm_conf_mx[t, p]),
         "count": int(conf_mx[t, p])}
        for t, p in order[:LARGEST_ERRORS]
    ]
    return ErrorAnalysisResult(
        confusion_matrix=conf_mx.tolist(),
        error_matrix=norm_conf_mx,
        class_a=CLASS_A,
        class_b=CLASS_B,
        grid_counts=counts,
        grids=grids,
        largest_errors=largest,
    )
