import gzip

import numpy as np
import pytest

from reportgen.data.files import Layout
from reportgen.data.idx import parse_idx, read_idx, read_idx_folder
from reportgen.errors import DataError
from tests.data.helpers import idx_bytes, tiny_arrays, write_idx_folder

LAYOUT = Layout("mnist", n_samples=12, n_train=9, feature_shape=(4, 4))  # the folders below


def test_reads_what_was_written(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(images)))
    assert np.array_equal(read_idx(path), images)


def test_reads_uncompressed_files(tmp_path):
    labels = np.array([3, 1, 4], dtype=np.uint8)
    (tmp_path / "labels").write_bytes(idx_bytes(labels))
    assert np.array_equal(read_idx(tmp_path / "labels"), labels)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda raw: b"\x01" + raw[1:], "bad magic"),
        (lambda raw: raw[:2] + b"\x0d" + raw[3:], "data type 0x0d"),
        (lambda raw: raw[:-1], "truncated"),
        (lambda raw: raw + b"\x00", "trailing bytes"),
        (lambda raw: raw[:6], "inside its header"),
        (lambda raw: raw[:3], "too short"),
        (lambda raw: raw[:3] + b"\x00", "zero dimensions"),
    ],
    ids=["magic", "dtype", "truncated", "trailing", "short-header", "tiny", "no-dims"],
)
def test_refuses_malformed_files(mutate, message):
    raw = idx_bytes(np.zeros((2, 3, 4), dtype=np.uint8))
    with pytest.raises(DataError, match=message):
        parse_idx(mutate(raw))


def test_truncated_gzip_is_a_clear_error(tmp_path):
    packed = gzip.compress(idx_bytes(np.zeros((5, 4, 4), dtype=np.uint8)))
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match="not a readable gzip"):
        read_idx(path)


def test_folder_gives_train_then_test_flattened(tmp_path):
    X, y = tiny_arrays(n=12, side=4)
    folder = write_idx_folder(tmp_path / "idx", X, y, n_train=9, side=4)
    got_X, got_y = read_idx_folder(folder, LAYOUT)
    assert np.array_equal(got_X, X) and np.array_equal(got_y, y)


def test_folder_missing_a_file_names_it(tmp_path):
    X, y = tiny_arrays(n=12, side=4)
    folder = write_idx_folder(tmp_path / "idx", X, y, n_train=9, side=4)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte"):
        read_idx_folder(folder, LAYOUT)


def test_folder_with_mismatched_counts_is_refused(tmp_path):
    X, y = tiny_arrays(n=12, side=4)
    folder = write_idx_folder(tmp_path / "idx", X, y, n_train=9, side=4)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(y[:8])))
    with pytest.raises(DataError, match=r"declares shape \(8,\), expected \(9,\) for mnist's"
                                        " training labels"):
        read_idx_folder(folder, LAYOUT)
