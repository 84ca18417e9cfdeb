"""Bring images and labels from any source to one form: uint8 pixels, uint8 labels."""

from __future__ import annotations

import numpy as np

from reportgen.errors import DataError


def to_uint8_images(X: np.ndarray, origin: str, scale: float = 1.0) -> np.ndarray:
    """Flatten images to (n, pixels) uint8, refusing values that are not whole pixels 0..255.

    `scale` undoes a source's normalisation (the classic MNIST pickle stores pixel/256).
    """
    X = np.asarray(X)
    if X.ndim == 3:
        X = X.reshape(len(X), -1)
    if X.ndim != 2:
        raise DataError(f"{origin}: images must be 2-D (n, pixels) or 3-D (n, h, w), got {X.shape}")
    if X.dtype == np.uint8 and scale == 1.0:
        return X
    if not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise DataError(f"{origin}: images must be numbers, got dtype {X.dtype}")
    values = X.astype(np.float64) * scale
    pixels = np.rint(values)
    in_range = pixels.min(initial=0) >= 0 and pixels.max(initial=0) <= 255
    if not (in_range and np.array_equal(pixels, values)):
        raise DataError(f"{origin}: image values are not whole pixels in 0..255")
    return pixels.astype(np.uint8)


def to_uint8_labels(y: np.ndarray, origin: str) -> np.ndarray:
    """Labels as uint8, from integers or from the strings '0'..'9' OpenML serves."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise DataError(f"{origin}: labels must be 1-D, got shape {y.shape}")
    if y.dtype.kind in "OUS":
        try:
            y = y.astype(str).astype(np.int64)
        except ValueError:
            raise DataError(f"{origin}: labels are not whole numbers") from None
    if not np.issubdtype(y.dtype, np.integer):
        if not np.array_equal(np.rint(y), y):
            raise DataError(f"{origin}: labels are not whole numbers")
    if y.size and (y.min() < 0 or y.max() > 255):
        raise DataError(f"{origin}: labels must lie in 0..255")
    return y.astype(np.uint8)
