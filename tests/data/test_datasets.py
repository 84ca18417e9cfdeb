import numpy as np
import pytest

from reportgen.data import load_dataset
from reportgen.data.datasets import DATASETS, FASHION_DIR, cache_path_for
from reportgen.data.sources import SourceUnavailable
from reportgen.errors import DataError
from tests.data.helpers import tiny_arrays, tiny_spec


class CountingSource:
    def __init__(self, X, y, description="fake source"):
        self.X, self.y, self.description, self.calls = X, y, description, 0

    def load(self, layout):
        self.calls += 1
        return self.X.copy(), self.y.copy()


class Unreachable:
    description = "offline source"

    def load(self, layout):
        raise SourceUnavailable("no network")


def test_sources_are_tried_in_order_and_reported():
    X, y = tiny_arrays()
    good = CountingSource(X, y)
    spec = tiny_spec(X, y, sources=(Unreachable(), good))
    lines = []
    ds = load_dataset(spec, log=lines.append)
    assert ds.source == "fake source" and np.array_equal(ds.X, X)
    assert lines[0].startswith("trying the cache")
    assert "trying offline source" in lines and "  offline source: no network" in lines


def test_second_load_comes_from_the_cache():
    X, y = tiny_arrays()
    good = CountingSource(X, y)
    spec = tiny_spec(X, y, sources=(good,))
    load_dataset(spec)
    again = load_dataset(spec)
    assert again.source == "cache, from fake source" and good.calls == 1
    assert np.array_equal(again.X, X)


def test_corrupt_cache_is_reported_discarded_and_fetched_again():
    X, y = tiny_arrays()
    good = CountingSource(X, y)
    spec = tiny_spec(X, y, sources=(good,))
    load_dataset(spec)
    path = cache_path_for(spec)
    path.write_bytes(path.read_bytes()[:100])  # truncated
    lines = []
    ds = load_dataset(spec, log=lines.append)
    assert ds.source == "fake source" and good.calls == 2
    assert any("is corrupt" in line and "discarded" in line for line in lines)
    assert load_dataset(spec).source == "cache, from fake source"


def test_cache_with_other_data_is_discarded():
    X, y = tiny_arrays()
    spec = tiny_spec(X, y, sources=(CountingSource(X, y),))
    path = cache_path_for(spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, X=255 - X, y=y)
    lines = []
    assert load_dataset(spec, log=lines.append).source == "fake source"
    assert any("sha256" in line for line in lines)


def test_checksum_mismatch_from_a_source_is_an_error_and_nothing_is_cached():
    X, y = tiny_arrays()
    spec = tiny_spec(X, y, sources=(CountingSource(X, (y + 1) % 10),))
    with pytest.raises(DataError, match="labels have sha256"):
        load_dataset(spec)
    assert not cache_path_for(spec).exists()


def test_nothing_reachable_names_what_was_tried_and_how_to_supply_data():
    X, y = tiny_arrays()
    spec = tiny_spec(X, y, sources=(Unreachable(),))
    with pytest.raises(DataError) as info:
        load_dataset(spec)
    message = str(info.value)
    assert "offline source (no network)" in message and "--data-file" in message


def test_data_file_with_wrong_data_is_refused(tmp_path):
    X, y = tiny_arrays()
    spec = tiny_spec(X, y)
    np.savez(tmp_path / "other.npz", X=X[::-1], y=y)
    with pytest.raises(DataError, match="images have sha256"):
        load_dataset(spec, data_file=tmp_path / "other.npz")


def test_digits_are_bundled_and_verified():
    ds = load_dataset("digits")
    assert ds.X.shape == (1797, 64) and ds.image_shape == (8, 8) and ds.X.dtype == np.uint8


@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="Debian's dataset-fashion-mnist not installed")
def test_fashion_mnist_from_debian_package():
    ds = load_dataset("fashion-mnist")
    assert ds.X.shape == (70000, 784) and ds.source.startswith("IDX files")


def test_every_dataset_has_a_consistent_spec():
    for spec in DATASETS.values():
        assert 0 < spec.n_train < spec.n_samples
        assert len(spec.x_sha256) == len(spec.y_sha256) == 64
