"""Tiny stand-ins for real datasets: a spec with digests computed from small arrays."""

from __future__ import annotations

import gzip
import hashlib
import signal
import struct
import tracemalloc
import zipfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy

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
        n_train=len(X) - 5 if len(X) > 5 else len(X) - 1,
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


@contextmanager
def no_hang(seconds: float = 10.0):
    """Fail, instead of hanging forever, when the body blocks (an open() on a FIFO does): the
    alarm's handler raises in the main thread, which interrupts the blocking call."""
    def fail(_signum, _frame):
        pytest.fail(f"blocked for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def write_npz_bomb(path: Path, shape: tuple[int, ...], n_labels: int) -> Path:
    """An .npz of a few hundred kB whose X, all zeros, inflates to prod(shape) bytes; written
    in chunks, so making it never holds the array."""
    size = int(np.prod(shape))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("X.npy", "w", force_zip64=True) as member:
            npy.write_array_header_1_0(member, {"descr": "|u1", "fortran_order": False,
                                                "shape": shape})
            chunk = bytes(1 << 20)
            for start in range(0, size, len(chunk)):
                member.write(chunk[: min(len(chunk), size - start)])
        with archive.open("y.npy", "w") as member:
            npy.write_array(member, np.zeros(n_labels, dtype=np.uint8))
    return path


@contextmanager
def peak_allocation():
    """Yields a dict whose "bytes" is, after the block, the most Python and numpy held at once
    during it (numpy reports its array buffers to tracemalloc)."""
    result = {}
    tracemalloc.start()
    try:
        yield result
    finally:
        result["bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
