"""The dataset at a glance: how many of each shape, and what the average one looks like."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reportgen.engine.profiles import Inputs
from reportgen.figures import subplots
from reportgen.sections import FigureSpec, Metric, Section, field_of
from shapes_chapter.data import CLASS_NAMES, SHAPES  # noqa: F401 (the chapter's dataset)


@dataclass
class Overview:
    train_counts: list[int]
    smallest_class_share: float
    mean_images: np.ndarray  # (classes, height, width)


def mean_shapes(result: Overview):
    """The average training image of each class."""
    fig, axes = subplots(1, len(CLASS_NAMES), figsize=(2 * len(CLASS_NAMES), 2.3))
    for ax, name, image in zip(axes, CLASS_NAMES, result.mean_images, strict=True):
        ax.imshow(image, cmap="binary")
        ax.set_title(name, fontsize=11)
        ax.axis("off")
    fig.tight_layout()
    return fig


def _facts(results, spec) -> dict:
    overview = results["overview.counts"]
    return {"rows": [{"name": name, "count": count}
                     for name, count in zip(CLASS_NAMES, overview.train_counts, strict=True)],
            "n_classes": len(CLASS_NAMES), "dataset": spec.title}


SECTION = Section(
    id="overview",
    title="The {n_classes} shapes",
    order=10,
    template_dir=Path(__file__).parent / "templates",
    metrics=(
        Metric("overview.counts.smallest_class_share", "overview.counts",
               field_of("smallest_class_share"),
               "Share of the training images in the rarest class"),
    ),
    figures=(FigureSpec("mean_shapes", "The average training image of each of the"
                        " {n_classes} shapes.", ("overview.counts",), mean_shapes),),
    facts=_facts,
)


@SECTION.experiment("overview.counts", cost=0.01)
def counts(data: Inputs) -> Overview:
    """Training images per class, and each class's mean image."""
    classes = range(len(CLASS_NAMES))
    train_counts = [int((data.y_train == c).sum()) for c in classes]
    means = np.stack([data.X_train[data.y_train == c].mean(axis=0).reshape(data.features.shape)
                      for c in classes])
    return Overview(train_counts=train_counts,
                    smallest_class_share=min(train_counts) / len(data.y_train),
                    mean_images=means)
