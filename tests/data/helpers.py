"""Tiny stand-ins for real datasets: a spec with digests computed from small arrays."""

from __future__ import annotations

import gzip
import hashlib
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np

from reportgen.data.datasets import DATASETS


def tiny_arrays(n: int = 20, side: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, side * side), dtype=np.uint8)
    y = (np.arange(n) % 10).astype(np.uint8)
    return X, y


def tiny_spec(X: np.ndarray, y: np.ndarray, sources=(), side: int = 4, name: str = "mnist"):
    """A copy of a real spec whose shape and digests fit the tiny arrays."""
    return replace(
        DATASETS[name],
        image_shape=(side, side),
        n_samples=len(X),
        n_train=len(X) - 5,
        x_sha256=hashlib.sha256(X.tobytes()).hexdigest(),
        y_sha256=hashlib.sha256(y.tobytes()).hexdigest(),
        sources=tuple(sources),
    )


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_folder(folder: Path, X: np.ndarray, y: np.ndarray, n_train: int, side: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    images = X.reshape(len(X), side, side)
    parts = {
        "train-images-idx3-ubyte.gz": images[:n_train],
        "train-labels-idx1-ubyte.gz": y[:n_train],
        "t10k-images-idx3-ubyte.gz": images[n_train:],
        "t10k-labels-idx1-ubyte.gz": y[n_train:],
    }
    for name, array in parts.items():
        (folder / name).write_bytes(gzip.compress(idx_bytes(array)))
    return folder
