"""The chapter's own dataset: 2,000 shapes drawn on 16x16 pixels, the same on every machine.

The images are generated, not downloaded: numpy's legacy RandomState is frozen by numpy's
compatibility policy, so the same seed draws the same images in every release, and reportgen
checks them against the pinned digests below like any dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.data import DatasetSpec

SIZE = 16
N_SAMPLES = 2_000
N_TRAIN = 1_500
GENERATOR_SEED = 20261202
CLASS_NAMES = ("circle", "square", "triangle", "cross")


def draw_shape(kind: int, rng: np.random.RandomState) -> np.ndarray:
    """One shape of class `kind` at a random place, size and brightness, with pixel noise."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    cx, cy = rng.uniform(5.5, 10.5, size=2)
    radius = rng.uniform(3.0, 5.5)
    dx, dy = xx - cx, yy - cy
    if kind == 0:
        inside = np.hypot(dx, dy) <= radius
    elif kind == 1:
        inside = np.maximum(np.abs(dx), np.abs(dy)) <= 0.8 * radius
    elif kind == 2:
        inside = (dy >= -radius) & (dy <= 0.7 * radius) & (np.abs(dx) <= (dy + radius) / 2)
    else:
        bar = radius / 3
        inside = ((np.abs(dx) <= bar) | (np.abs(dy) <= bar)) & (
            np.maximum(np.abs(dx), np.abs(dy)) <= radius)
    image = inside * rng.uniform(150, 255) + rng.normal(0, 20, size=(SIZE, SIZE))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8).ravel()


def generate() -> tuple[np.ndarray, np.ndarray]:
    """All images and labels, in the order the split uses (the first N_TRAIN train)."""
    rng = np.random.RandomState(GENERATOR_SEED)
    y = rng.randint(0, len(CLASS_NAMES), size=N_SAMPLES).astype(np.uint8)
    X = np.stack([draw_shape(int(kind), rng) for kind in y])
    return X, y


@dataclass
class GeneratedShapes:
    """A reportgen data source: the images come from `generate`, offline."""

    description: str = "the shapes generator of shapes_chapter.data"

    def load(self, layout) -> tuple[np.ndarray, np.ndarray]:
        return generate()


SHAPES = DatasetSpec(
    name="shapes",
    title="Drawn shapes (16x16)",
    image_shape=(SIZE, SIZE),
    n_samples=N_SAMPLES,
    n_train=N_TRAIN,
    pixel_max=255,
    x_sha256="3ae1994bd9862e1e48f0dcc9a2f9f3517b92037f904064fad59fd63f2b10ec87",
    y_sha256="9c638eebbf977905bc9b2e870e028528861404fcc18e028bb331cc9c5c34208b",
    sources=(GeneratedShapes(),),
    manual_hint="reinstall the example chapter: its generator makes the images",
    class_names=CLASS_NAMES,
)
