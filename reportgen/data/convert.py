"""Bring data from any source to one form: images as uint8 pixels and uint8 labels; a table
as float64 features and int64 class numbers."""

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


def to_float_table(X: np.ndarray, origin: str) -> np.ndarray:
    """A table's features as (n, features) float64, refusing what is not finite numbers."""
    X = np.asarray(X)
    if X.ndim != 2:
        X = X.reshape(len(X), -1)  # one feature as a column; images as rows of pixels
    if X.dtype.kind not in "iuf" and X.dtype != np.bool_:
        raise DataError(f"{origin}: features must be numbers, got dtype {X.dtype}"
                        " (encode text columns as numbers first)")
    X = np.ascontiguousarray(X, dtype=np.float64)
    if not np.isfinite(X).all():
        rows = np.flatnonzero(~np.isfinite(X).all(axis=1))
        raise DataError(f"{origin}: {len(rows)} row(s) hold a missing or infinite value"
                        f" (the first is data row {rows[0] + 1}, counting from 1); fill or"
                        " drop them before loading")
    return X


def to_class_numbers(y: np.ndarray, origin: str,
                     class_names: tuple[str, ...] | None) -> np.ndarray:
    """A table's labels as int64 class numbers 0..k-1: whole numbers as they are, text by its
    place in `class_names` (a label that is not one of them is refused)."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise DataError(f"{origin}: labels must be 1-D, got shape {y.shape}")
    if y.dtype.kind in "OUS":
        text = y.astype(str)
        if class_names is not None:
            place = {name: i for i, name in enumerate(class_names)}
            unknown = sorted(str(t) for t in set(text) - place.keys())
            if unknown:
                first = next(i for i, t in enumerate(text) if t not in place)
                raise DataError(f"{origin}: labels {unknown[:5]} are not among the class"
                                f" names {list(class_names)} (the first at data row"
                                f" {first + 1}, counting from 1)")
            return np.array([place[t] for t in text], dtype=np.int64)
        try:
            y = text.astype(np.int64)
        except ValueError:
            raise DataError(f"{origin}: labels are text; name the classes in the dataset's"
                            " class_names=(...), in the order of their numbers") from None
    if y.dtype.kind not in "iub" and not np.array_equal(np.rint(y), y):
        raise DataError(f"{origin}: labels are not whole numbers (reportgen's chapters"
                        " classify: a label is a class number)")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise DataError(f"{origin}: labels must be class numbers from 0, found {y.min()}")
    return y
