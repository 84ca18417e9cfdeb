"""A dataset that is a table: float features and class numbers from CSV, Parquet, .npz or
scikit-learn's bundles, read by real readers (pandas, pyarrow), checked in one line each, its
digests optional and, when pinned, printed in full."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from reportgen.data import DataFileSource, DatasetSpec, load_dataset, sklearn_dataset
from reportgen.data.datasets import cache_path_for, digest
from reportgen.errors import DataError, ReportgenError

ROWS = pd.DataFrame({"width": [1.5, 2.0, 0.5, 3.25, 1.0, 2.5],
                     "height": [10, 20, 30, 40, 50, 60],
                     "label": ["cat", "dog", "cat", "dog", "dog", "cat"]})


def table_spec(path, **changes) -> DatasetSpec:
    spec = DatasetSpec(name="pets", title="Pets", n_samples=6, n_train=4,
                       feature_names=("width", "height"), target_name="label",
                       class_names=("cat", "dog"), sources=(DataFileSource(path, "label"),))
    return replace(spec, **changes)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_table_file_is_read_by_column_name(tmp_path, suffix):
    path = tmp_path / f"pets{suffix}"
    ROWS.to_csv(path, index=False) if suffix == ".csv" else ROWS.to_parquet(path)
    ds = load_dataset(table_spec(path))
    assert ds.X.dtype == np.float64 and ds.X.shape == (6, 2)
    assert ds.X[3].tolist() == [3.25, 40.0]
    assert ds.y.dtype == np.int64 and ds.y.tolist() == [0, 1, 0, 1, 1, 0]  # by class_names
    assert ds.spec.features.nouns == ("rows", "features")


def test_feature_names_choose_and_order_the_columns(tmp_path):
    path = tmp_path / "pets.csv"
    ROWS.to_csv(path, index=False)
    ds = load_dataset(table_spec(path, feature_names=("height",), n_features=None))
    assert ds.X[:, 0].tolist() == [10, 20, 30, 40, 50, 60]


def test_an_npz_table_is_read_too(tmp_path):
    path = tmp_path / "pets.npz"
    np.savez(path, X=ROWS[["width", "height"]].to_numpy(), y=np.array([0, 1, 0, 1, 1, 0]))
    ds = load_dataset(table_spec(path), data_file=path)
    assert ds.X.shape == (6, 2) and ds.y.tolist() == [0, 1, 0, 1, 1, 0]


@pytest.mark.parametrize("frame, message", [
    (ROWS.assign(width=[1.0, None, 1, 1, 1, 1]),
     r"1 row\(s\) hold a missing or infinite value \(the first is data row 2, counting"),
    (ROWS.rename(columns={"label": "lable"}), "no column 'label' \\(did you mean 'lable'\\?\\);"
     " set target_name= in the dataset to one of its 3 columns: width, height, lable"),
    (ROWS.assign(height=list("abcdef")), r"column\(s\) \['height'\] are not numbers"),
    (ROWS.assign(label=["cat", "dog", "cat", "dog", "emu", "cat"]),
     r"labels \['emu'\] are not among the class names \['cat', 'dog'\] \(the first at data"
     r" row 5"),
    (ROWS.iloc[:5], r"pets.csv: rows are float64 \(5, 2\), expected float64 \(6, 2\) for pets"),
], ids=["missing-value", "no-target", "text-feature", "unknown-class", "too-few-rows"])
def test_a_bad_table_is_one_line_naming_the_file(tmp_path, frame, message):
    path = tmp_path / "pets.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=message):
        load_dataset(table_spec(path))


def test_unpinned_data_is_read_afresh_never_cached(tmp_path):
    path = tmp_path / "pets.csv"
    ROWS.to_csv(path, index=False)
    first = load_dataset(table_spec(path))
    assert not cache_path_for(first.spec).exists() and first.cache_path is None
    ROWS.assign(width=ROWS.width * 2).to_csv(path, index=False)  # the teacher edits the file
    second = load_dataset(table_spec(path))
    assert second.checksum != first.checksum  # so every cached result of it is keyed anew


def test_a_pinned_table_that_differs_says_both_full_digests(tmp_path):
    path = tmp_path / "pets.csv"
    ROWS.to_csv(path, index=False)
    actual = load_dataset(table_spec(path)).x_sha256
    pinned = table_spec(path, x_sha256="0" * 64, y_sha256="1" * 64)
    with pytest.raises(DataError) as info:
        load_dataset(pinned)
    assert f"rows have sha256 {actual}, not pets's pinned {'0' * 64}" in str(info.value)
    assert "pin the new digest (x_sha256)" in str(info.value)


def test_a_bundled_table_brings_its_names_and_is_shuffled_once():
    spec = sklearn_dataset("load_wine")
    assert (spec.name, spec.n_samples, spec.n_train, spec.n_features) == ("wine", 178, 142, 13)
    assert spec.feature_names[0] == "alcohol" and spec.class_names == ("class_0", "class_1",
                                                                        "class_2")
    ds = load_dataset(spec)
    assert set(ds.y[:spec.n_train].tolist()) == {0, 1, 2}  # sorted by class, shuffled
    again = load_dataset(spec)
    assert digest(again.X) == digest(ds.X)  # the same shuffle every time


def test_a_loader_scikit_learn_lacks_is_one_line():
    with pytest.raises(DataError, match="scikit-learn has no bundled dataset 'load_tumours';"
                                        " choose one of: .*load_breast_cancer"):
        sklearn_dataset("load_tumours")


@pytest.mark.parametrize("changes, message", [
    ({"image_shape": (1, 2)}, "give image_shape .* or n_features/feature_names .*, one of them"),
    ({"feature_names": ("a", "b", "c"), "n_features": 2}, "3 feature_names for n_features=2"),
    ({"n_train": 6}, "n_train=6 must leave a training and a test set of the 6 samples"),
    ({"shuffle_seed": -1}, r"shuffle_seed must be a whole number from 0 to 2\*\*32 - 1, not -1"),
])
def test_a_spec_that_cannot_be_is_refused_as_it_is_made(tmp_path, changes, message):
    with pytest.raises(ReportgenError, match=message):
        table_spec(tmp_path / "x.csv", **changes)


def test_an_edited_spec_is_never_served_its_old_cached_arrays(tmp_path):
    """The cache of a pinned dataset follows everything its spec says about the arrays: with
    the class names reordered, the labels are numbered anew (and no longer match the pins),
    where a cache keyed by the name alone served the old labels as verified."""
    path = tmp_path / "pets.csv"
    ROWS.to_csv(path, index=False)
    first = load_dataset(table_spec(path))
    pinned = table_spec(path, x_sha256=first.x_sha256, y_sha256=first.y_sha256)
    assert load_dataset(pinned).cache_path.exists()  # pinned: cached
    assert load_dataset(pinned).source.startswith("cache")
    with pytest.raises(DataError, match="labels have sha256"):
        load_dataset(replace(pinned, class_names=("dog", "cat")))
    reshuffled = replace(pinned, shuffle_seed=3, x_sha256=None, y_sha256=None)
    assert not load_dataset(reshuffled).source.startswith("cache")


def test_labels_beyond_the_class_names_are_refused(tmp_path):
    path = tmp_path / "pets.csv"
    ROWS.assign(label=[0, 1, 2, 1, 0, 2]).to_csv(path, index=False)
    with pytest.raises(DataError, match="a label is 2, but the dataset names 2 classes"
                                        r" \(cat, dog\)"):
        load_dataset(table_spec(path))
