"""Opening the files a user or the cache hands over: checked by `os.stat`, then by their headers,
before any data is read.

A FIFO makes `open` wait forever for a writer, and a small compressed file can declare gigabytes:
so what a path is, and what shape and type its arrays declare, are checked first, against the
dataset's own shapes (`Layout`), and a mismatch is one `DataError` line.
"""

from __future__ import annotations

import lzma
import math
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from numpy.lib import format as npy

from reportgen.errors import DataError, ReportgenError

_SPECIAL = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
            stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


def path_kind(
    path: Path, what: str, allowed: tuple[str, ...], hint: str,
    error: type[ReportgenError] = DataError,
) -> str | None:
    """"file" or "folder" (one of `allowed`), by `os.stat`, which opens nothing; None when
    nothing is there. Anything else, a FIFO, a device, a socket, is refused with `error`."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise error(f"{what} cannot be examined ({exc.strerror}); {hint}") from None
    kind = "file" if stat.S_ISREG(mode) else "folder" if stat.S_ISDIR(mode) else None
    if kind not in allowed:
        found = _SPECIAL.get(stat.S_IFMT(mode), "a folder" if kind else "an unusual kind of file")
        wanted = " or ".join("a regular file" if k == "file" else f"a {k}" for k in allowed)
        raise error(f"{what} is {found}, not {wanted}; {hint}")
    return kind


@dataclass(frozen=True)
class Layout:
    """The shapes a dataset's arrays have: what headers are checked against before reading.
    `feature_shape` is one sample's: (height, width) for images, (n_features,) for a table."""

    name: str
    n_samples: int
    n_train: int
    feature_shape: tuple[int, ...]
    images: bool = True  # uint8 pixels; else a table of numbers (stored as float64)
    feature_names: tuple[str, ...] | None = None  # a table file's feature columns, in order
    target_name: str | None = None  # a table file's label column

    @property
    def n_features(self) -> int:
        return math.prod(self.feature_shape)

    @property
    def image_shape(self) -> tuple[int, ...]:
        return self.feature_shape

    @property
    def stored_dtypes(self) -> tuple[str, str]:
        """The one form every load ends in: (X, y) as uint8 pixels and uint8 labels, or as
        float64 features and int64 class numbers."""
        return ("uint8", "uint8") if self.images else ("float64", "int64")


@dataclass(frozen=True)
class Member:
    """What one array of an .npz must declare in its .npy header."""

    shapes: tuple[tuple[int, ...], ...]
    # "uint8", "int64" or "float64" exactly; "numbers" (any int or float: converted later);
    # "text"
    dtypes: str
    required: bool = True

    def accepts(self, shape: tuple[int, ...], dtype: np.dtype) -> bool:
        if shape not in self.shapes:
            return False
        if self.dtypes in ("uint8", "float64", "int64"):
            return dtype == np.dtype(self.dtypes)
        if self.dtypes == "text":  # a short string, never an object
            return dtype.kind == "U" and dtype.itemsize <= 4 * 4096
        return dtype.kind in "iuf"  # plain numbers: no objects, records, strings or complex

    def expected(self) -> str:
        shapes = " or ".join(str(shape) for shape in self.shapes)
        kind = "numbers" if self.dtypes == "numbers" else self.dtypes
        return "a string" if self.dtypes == "text" else f"{kind} {shapes}"


def data_file_members(layout: Layout) -> dict[str, Member]:
    """A user's .npz: X flat or as images, y, of the dataset's size, any plain number type."""
    n = layout.n_samples
    shapes = tuple(dict.fromkeys(((n, layout.n_features), (n, *layout.feature_shape))))
    return {"X": Member(shapes, "numbers"),
            "y": Member(((n,),), "numbers")}


def cache_members(layout: Layout) -> dict[str, Member]:
    """A cache entry, as `_write_cache` writes it: X (uint8 pixels or float64 features) and
    y (uint8 class numbers of images, int64 of a table), and where they came from."""
    n = layout.n_samples
    x, y = layout.stored_dtypes
    return {"X": Member(((n, layout.n_features),), x), "y": Member(((n,),), y),
            "source": Member(((),), "text", required=False)}


NOT_NPZ = "is not an .npz archive (a zip of .npy files with X and y)"
_UNREADABLE = (OSError, ValueError, EOFError, RuntimeError, zlib.error, lzma.LZMAError,
               zipfile.BadZipFile)  # RuntimeError: an encrypted or unsupported zip member


def read_npz(path: Path, layout: Layout, origin: str, cache: bool = False) -> dict[str, np.ndarray]:
    """The arrays of the .npz at `path` (a user's data file, or with `cache` a cache entry),
    read only once every header has declared a shape and dtype of `layout`: a compressed file
    that would expand to more, or an object array, is refused before any of its data is
    inflated. Every failure is a DataError naming `origin`."""
    members = (cache_members if cache else data_file_members)(layout)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise DataError(f"{origin} {NOT_NPZ}; write one with numpy.savez(PATH, X=..., y=...)"
                        ) from None
    except _UNREADABLE as exc:
        raise DataError(f"{origin} is not a readable .npz ({exc})") from None
    try:
        with archive:
            present = [key for key in members if f"{key}.npy" in archive.namelist()]
            missing = sorted(k for k, m in members.items() if m.required and k not in present)
            if missing:
                raise DataError(f"{origin} lacks array(s) {missing}")
            for key in present:
                with archive.open(f"{key}.npy") as stream:
                    _check_header(stream, members[key], f"{origin}: {key}", layout.name)
            arrays = {}
            for key in present:
                with archive.open(f"{key}.npy") as stream:
                    arrays[key] = npy.read_array(stream, allow_pickle=False)
            return arrays
    except _UNREADABLE as exc:
        raise DataError(f"{origin} is not a readable .npz ({exc})") from None


def _check_header(stream: IO[bytes], member: Member, where: str, dataset: str) -> None:
    """Read the .npy header at the start of `stream`; refuse what `member` does not accept."""
    version = npy.read_magic(stream)
    if version not in _HEADER_READERS:
        raise DataError(f"{where} is in .npy format {version}; save it again with numpy.savez")
    shape, _, dtype = _HEADER_READERS[version](stream)
    if not member.accepts(shape, dtype):
        note = (" (whole numbers of another integer or float type convert; objects, strings"
                " and records are never loaded)"
                if member.dtypes == "numbers" and dtype.kind not in "iuf" else "")
        raise DataError(f"{where} is {dtype} {shape} by its .npy header, expected"
                        f" {member.expected()}{note} for {dataset}")


_HEADER_READERS = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}
