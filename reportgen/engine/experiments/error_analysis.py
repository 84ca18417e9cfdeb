"""Error analysis of the scaled multiclass SGD: confusion matrix, error rates, 3s versus 5s."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import confusion_matrix

from reportgen.engine.experiments.multiclass import ScaledSgdResult
from reportgen.engine.profiles import Inputs
from reportgen.engine.registry import experiment

CLASS_A, CLASS_B = 3, 5
GRID_SIZE = 25  # digits per grid, as the chapter's X_aa[:25]


@dataclass
class ErrorAnalysisResult:
    confusion_matrix: list[list[int]]
    error_matrix: np.ndarray  # rows normalised by class size, diagonal zeroed
    class_a: int
    class_b: int
    grid_counts: dict  # {"aa": n, "ab": n, "ba": n, "bb": n}: digits in each cell
    grids: np.ndarray  # (4, <=25, h, w) uint8: aa, ab, ba, bb (padded with zeros)
    largest_errors: list[dict]  # the most frequent confusions, true -> predicted


@experiment("errors.analysis", depends_on=("multiclass.sgd_scaled",), cost=0.05)
def analysis(data: Inputs, scaled: ScaledSgdResult) -> ErrorAnalysisResult:
    y_train, y_pred = data.y_train, scaled.predictions
    labels = np.arange(10)
    conf_mx = confusion_matrix(y_train, y_pred, labels=labels)
    row_sums = conf_mx.sum(axis=1, keepdims=True)
    norm_conf_mx = conf_mx / np.maximum(row_sums, 1)
    np.fill_diagonal(norm_conf_mx, 0)

    cells = {
        "aa": (CLASS_A, CLASS_A), "ab": (CLASS_A, CLASS_B),
        "ba": (CLASS_B, CLASS_A), "bb": (CLASS_B, CLASS_B),
    }
    grids = np.zeros((4, GRID_SIZE, *data.image_shape), dtype=np.uint8)
    counts = {}
    for i, (key, (true, pred)) in enumerate(cells.items()):
        images = data.X_train[(y_train == true) & (y_pred == pred)]
        counts[key] = int(len(images))
        chosen = images[:GRID_SIZE]
        grids[i, : len(chosen)] = chosen.reshape(-1, *data.image_shape)

    order = np.dstack(np.unravel_index(np.argsort(-norm_conf_mx, axis=None), norm_conf_mx.shape))[0]
    largest = [
        {"true": int(t), "predicted": int(p), "rate": float(norm_conf_mx[t, p]),
         "count": int(conf_mx[t, p])}
        for t, p in order[:5]
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
