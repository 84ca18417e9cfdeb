"""The chapter's first look at the data: the first digit and the first hundred."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.engine.profiles import Inputs
from reportgen.figures import show_digits, single_image, subplots
from reportgen.sections.api import FigureSpec, Section

FIRST_IMAGES = 100  # the chapter's "more digits" grid


@dataclass
class OverviewResult:
    first_label: int  # the chapter's y[0]
    first_image: np.ndarray  # (h, w) uint8
    first_images: np.ndarray  # (100, h, w) uint8, the "more digits" grid
    train_class_counts: list[int]
    n_train: int
    n_test: int


def first_digit(overview: OverviewResult):
    return single_image(overview.first_image)


def more_digits(overview: OverviewResult):
    fig, ax = subplots(figsize=(9, 9))
    show_digits(ax, overview.first_images)
    fig.tight_layout()
    return fig


def _facts(results, spec) -> dict:
    overview = results["dataset.overview"]
    return {
        "first_label": overview.first_label,
        "first_images": len(overview.first_images),
        "class_names": list(spec.class_names),
        "classes_are_digits": spec.classes_are_digits,
        "train_class_counts": overview.train_class_counts,
    }


SECTION = Section(
    id="dataset",
    title="The data",
    order=10,
    figures=(
        FigureSpec("first_digit", "The first training image (label {first_label}).",
                   ("dataset.overview",), first_digit, size="small"),
        FigureSpec("more_digits", "The first {first_images} training images.",
                   ("dataset.overview",), more_digits, size="wide"),
    ),
    facts=_facts,
)


@SECTION.experiment("dataset.overview", cost=0.01)
def overview(data: Inputs) -> OverviewResult:
    """The first image, the first hundred and the class counts: what the chapter looks at."""
    shape = data.features.shape
    counts = np.bincount(data.y_train, minlength=10)
    return OverviewResult(
        first_label=int(data.y_train[0]),
        first_image=data.some_digit.reshape(shape).astype(np.uint8),
        first_images=data.X_train[:FIRST_IMAGES].reshape(-1, *shape).astype(np.uint8),
        train_class_counts=[int(n) for n in counts],
        n_train=len(data.y_train),
        n_test=len(data.y_test),
    )
