"""The chapter's first look at the data: the first digit and the first hundred."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.engine.profiles import Inputs
from reportgen.engine.registry import experiment


@dataclass
class OverviewResult:
    first_label: int  # the chapter's y[0]
    first_image: np.ndarray  # (h, w) uint8
    first_images: np.ndarray  # (100, h, w) uint8, the "more digits" grid
    train_class_counts: list[int]
    n_train: int
    n_test: int


@experiment("dataset.overview", cost=0.01)
def overview(data: Inputs) -> OverviewResult:
    shape = data.image_shape
    counts = np.bincount(data.y_train, minlength=10)
    return OverviewResult(
        first_label=int(data.y_train[0]),
        first_image=data.some_digit.reshape(shape).astype(np.uint8),
        first_images=data.X_train[:100].reshape(-1, *shape).astype(np.uint8),
        train_class_counts=[int(n) for n in counts],
        n_train=len(data.y_train),
        n_test=len(data.y_test),
    )
