"""A strict reader for the IDX format of (Fashion-)MNIST.

Strict because a silently short or padded file would shift every image after it: the magic
number, the dimensions and the exact byte count are all checked. The dimensions a header
declares are checked against the dataset before the body is inflated, and no more than the
declared body is ever read, so a small gzip file cannot expand into gigabytes.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np

from reportgen.data.files import Layout, path_kind
from reportgen.errors import DataError

UNSIGNED_BYTE = 0x08


@contextmanager
def _opened(path: Path) -> Iterator[IO[bytes]]:
    """The IDX bytes of `path`, inflated as they are read if it is gzipped; a file that cannot
    be read or inflated is a DataError."""
    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw) if gzipped else raw as stream:
                yield stream
    except FileNotFoundError:
        raise DataError(f"IDX file not found: {path}") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"IDX file {path} is not a readable gzip file ({exc})") from None


def _read_header(stream: IO[bytes], name: str) -> tuple[int, ...]:
    """The dimensions an IDX header declares, checking its magic number and data type."""
    start = stream.read(4)
    if len(start) < 4:
        raise DataError(f"IDX file {name} is too short for a header ({len(start)} bytes)")
    zero1, zero2, dtype_code, ndim = start
    if zero1 != 0 or zero2 != 0:
        raise DataError(f"IDX file {name} has a bad magic number {start.hex()}")
    if dtype_code != UNSIGNED_BYTE:
        raise DataError(
            f"IDX file {name} holds data type 0x{dtype_code:02x};"
            " only unsigned bytes (0x08) are read"
        )
    if ndim == 0:
        raise DataError(f"IDX file {name} declares zero dimensions")
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise DataError(f"IDX file {name} is truncated inside its header")
    return struct.unpack(f">{ndim}I", dims)


def _read_body(stream: IO[bytes], dims: tuple[int, ...], name: str) -> np.ndarray:
    """The body of exactly the declared size (one byte more is read to detect padding)."""
    expected = int(np.prod(dims, dtype=np.int64))
    body = stream.read(expected + 1)
    if len(body) != expected:
        held = f"{len(body)}" if len(body) < expected else "more"
        raise DataError(
            f"IDX file {name} should hold {expected} bytes for shape {dims} but holds {held}"
            f" ({'truncated' if len(body) < expected else 'trailing bytes'})"
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(dims).copy()


def _check_dims(dims: tuple[int, ...], expected: tuple[int, ...] | None, name: str,
                of: str) -> None:
    if expected is not None and dims != expected:
        raise DataError(f"IDX file {name} declares shape {dims}, expected {expected}{of}")


def read_idx(path: Path, expected: tuple[int, ...] | None = None, of: str = "") -> np.ndarray:
    """Read one IDX file (optionally gzipped) of unsigned bytes into an array of its shape,
    refusing, before its body is inflated, a header that does not declare `expected` (the
    shape `of` describes)."""
    path = Path(path)
    with _opened(path) as stream:
        dims = _read_header(stream, str(path))
        _check_dims(dims, expected, str(path), of)
        return _read_body(stream, dims, str(path))


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an IDX file; see read_idx."""
    stream = io.BytesIO(raw)
    return _read_body(stream, _read_header(stream, name), name)


IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


PARTS = {"train_images": "training images", "train_labels": "training labels",
         "test_images": "test images", "test_labels": "test labels"}


def _expected_shapes(layout: Layout) -> dict[str, tuple[int, ...]]:
    """What each of the four files must declare: the dataset's canonical split."""
    n_test = layout.n_samples - layout.n_train
    return {"train_images": (layout.n_train, *layout.image_shape),
            "train_labels": (layout.n_train,),
            "test_images": (n_test, *layout.image_shape),
            "test_labels": (n_test,)}


def _find(folder: Path, stem: str) -> Path:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if path_kind(candidate, f"IDX file {candidate}", ("file",),
                     "replace it with the IDX file itself"):
            return candidate
    raise DataError(f"{folder} has no {stem}.gz (nor {stem}): it needs the four IDX files")


def read_idx_folder(folder: Path, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Read the four IDX files of a folder: training then test, as flat images and labels.

    Every header is checked against `layout` before any file's body is inflated."""
    folder = Path(folder)
    if path_kind(folder, f"IDX folder {folder}", ("folder",), "pass a folder") is None:
        raise DataError(f"IDX folder not found: {folder}")
    paths = {key: _find(folder, stem) for key, stem in IDX_FILES.items()}
    expected = _expected_shapes(layout)
    of = {key: f" for {layout.name}'s {part}" for key, part in PARTS.items()}
    for key, path in paths.items():  # every header first: nothing inflated for a wrong one
        with _opened(path) as stream:
            _check_dims(_read_header(stream, str(path)), expected[key], str(path), of[key])
    parts = {key: read_idx(path, expected[key], of[key]) for key, path in paths.items()}
    images = np.concatenate([parts["train_images"], parts["test_images"]])
    labels = np.concatenate([parts["train_labels"], parts["test_labels"]])
    return images.reshape(len(images), -1), labels
