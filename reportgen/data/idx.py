"""A strict reader for the IDX format of (Fashion-)MNIST.

Strict because a silently short or padded file would shift every image after it: the magic
number, the dimensions and the exact byte count are all checked.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from reportgen.errors import DataError

UNSIGNED_BYTE = 0x08


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) of unsigned bytes into an array of its shape."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise DataError(f"IDX file not found: {path}") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"IDX file {path} is not a readable gzip file ({exc})") from None
    return parse_idx(raw, name=str(path))


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an IDX file; see read_idx."""
    if len(raw) < 4:
        raise DataError(f"IDX file {name} is too short for a header ({len(raw)} bytes)")
    zero1, zero2, dtype_code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero1 != 0 or zero2 != 0:
        raise DataError(f"IDX file {name} has a bad magic number {raw[:4].hex()}")
    if dtype_code != UNSIGNED_BYTE:
        raise DataError(
            f"IDX file {name} holds data type 0x{dtype_code:02x};"
            " only unsigned bytes (0x08) are read"
        )
    if ndim == 0:
        raise DataError(f"IDX file {name} declares zero dimensions")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataError(f"IDX file {name} is truncated inside its header")
    dims = struct.unpack(f">{ndim}I", raw[4:header_size])
    expected = int(np.prod(dims, dtype=np.int64))
    body = len(raw) - header_size
    if body != expected:
        raise DataError(
            f"IDX file {name} should hold {expected} bytes for shape {dims} but holds {body}"
            f" ({'truncated' if body < expected else 'trailing bytes'})"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(dims).copy()


IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def _find(folder: Path, stem: str) -> Path:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    raise DataError(f"{folder} has no {stem}.gz (nor {stem}): it needs the four IDX files")


def read_idx_folder(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read the four IDX files of a folder: training then test, as flat images and labels."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"IDX folder not found: {folder}")
    parts = {key: read_idx(_find(folder, stem)) for key, stem in IDX_FILES.items()}
    for split in ("train", "test"):
        images, labels = parts[f"{split}_images"], parts[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1:
            raise DataError(
                f"{folder}: {split} images must have 3 dimensions and labels 1,"
                f" got {images.ndim} and {labels.ndim}"
            )
        if len(images) != len(labels):
            raise DataError(
                f"{folder}: {len(images)} {split} images but {len(labels)} {split} labels"
            )
    if parts["train_images"].shape[1:] != parts["test_images"].shape[1:]:
        raise DataError(f"{folder}: training and test images differ in size")
    images = np.concatenate([parts["train_images"], parts["test_images"]])
    labels = np.concatenate([parts["train_labels"], parts["test_labels"]])
    return images.reshape(len(images), -1), labels
