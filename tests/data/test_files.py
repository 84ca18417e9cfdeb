"""Every file the data loader reads is checked before use: what the path is (by os.stat, so a
FIFO never blocks), whether it is an .npz at all, and what shapes and dtypes its headers declare
(so a small file cannot inflate into hundreds of MB). Each failure is one DataError line."""

import gzip
import io
import os
import pickle
import socket
import struct

import numpy as np
import pytest

from reportgen.data import load_dataset
from reportgen.data.datasets import cache_path_for
from reportgen.errors import DataError
from tests.data.helpers import (
    idx_bytes,
    no_hang,
    peak_allocation,
    tiny_arrays,
    tiny_spec,
    write_idx_folder,
    write_npz_bomb,
)

X, Y = tiny_arrays()  # 20 images of 4 x 4
SPEC = tiny_spec(X, Y)
BOMB_SHAPE = (100_000, 2_000)  # 200 MB of zeros in a file of about 200 kB
MB = 1 << 20


class Good:
    description = "good source"

    def load(self, layout=None):
        return X.copy(), Y.copy()


def make_fifo(path):
    os.mkfifo(path)
    return path


def make_socket(path):
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays
    return path


@pytest.mark.parametrize("make, kind", [
    (make_fifo, "a FIFO (named pipe)"),
    (make_socket, "a socket"),
    (lambda path: path.symlink_to("/dev/zero") or path, "a character device"),
], ids=["fifo", "socket", "device"])
def test_a_data_file_that_is_no_file_is_refused_before_it_is_opened(tmp_path, make, kind):
    path = make(tmp_path / "d.npz")
    with no_hang(), pytest.raises(DataError) as info:
        load_dataset(SPEC, data_file=path)
    assert str(info.value) == (f"--data-file {path} is {kind}, not a regular file or a folder;"
                               " pass an .npz with X and y, a CSV or Parquet table, or a"
                               " folder of the four IDX files")


def test_a_fifo_in_the_cache_is_discarded_without_blocking():
    path = cache_path_for(SPEC)
    path.parent.mkdir(parents=True, exist_ok=True)
    make_fifo(path)
    lines = []
    with no_hang():
        dataset = load_dataset(SPEC, sources=(Good(),), log=lines.append)
    assert dataset.source == "good source" and path.is_file()
    assert any("is a FIFO (named pipe)" in line and "discarded" in line for line in lines)


def test_a_fifo_among_the_idx_files_is_refused(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", X, Y, n_train=SPEC.n_train, side=4)
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    make_fifo(folder / "t10k-images-idx3-ubyte.gz")
    with no_hang(), pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz is a FIFO"):
        load_dataset(SPEC, data_file=folder)


@pytest.mark.parametrize("write", [
    lambda path: path.write_bytes(pickle.dumps({"X": X, "y": Y})),
    lambda path: path.write_bytes(_npy_bytes(X)),
    lambda path: path.write_bytes(b""),
], ids=["pickle", "npy", "empty"])
def test_a_file_that_is_no_npz_says_so_plainly(tmp_path, write):
    path = tmp_path / "d.npz"
    write(path)
    with pytest.raises(DataError) as info:
        load_dataset(SPEC, data_file=path)
    message = str(info.value)
    assert message.startswith(f"--data-file {path} is not an .npz archive (a zip of .npy files"
                              " with X and y)")
    assert "allow_pickle" not in message


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_compressed_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = write_npz_bomb(tmp_path / "bomb.npz", BOMB_SHAPE, n_labels=BOMB_SHAPE[0])
    assert path.stat().st_size < MB
    with peak_allocation() as peak, pytest.raises(DataError) as info:
        load_dataset(SPEC, data_file=path)
    assert peak["bytes"] < 20 * MB, f"{peak['bytes'] / MB:.0f} MB held while refusing"
    assert str(info.value) == (f"--data-file {path}: X is uint8 (100000, 2000) by its .npy"
                               " header, expected numbers (20, 16) or (20, 4, 4) for mnist")


def test_a_compressed_bomb_in_the_cache_is_discarded_before_it_is_inflated():
    path = cache_path_for(SPEC)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_npz_bomb(path, BOMB_SHAPE, n_labels=BOMB_SHAPE[0])
    lines = []
    with peak_allocation() as peak:
        dataset = load_dataset(SPEC, sources=(Good(),), log=lines.append)
    assert peak["bytes"] < 20 * MB, f"{peak['bytes'] / MB:.0f} MB held while refusing"
    assert dataset.source == "good source"
    assert any("X is uint8 (100000, 2000) by its .npy header" in line for line in lines)


@pytest.mark.parametrize("arrays, message", [
    ({"X": X[:19], "y": Y[:19]}, r"X is uint8 \(19, 16\) by its .npy header, expected numbers"
                                 r" \(20, 16\) or \(20, 4, 4\) for mnist$"),
    ({"X": X, "y": Y.reshape(4, 5)}, r"y is uint8 \(4, 5\) by its .npy header, expected numbers"
                                     r" \(20,\) for mnist$"),
    ({"X": X.astype(object), "y": Y}, r"X is object \(20, 16\) by its .npy header, .*objects,"
                                      " strings and records are never loaded"),
    ({"X": X.astype(complex), "y": Y}, r"X is complex128 \(20, 16\) by its .npy header"),
], ids=["wrong-shape", "labels-2d", "object", "complex"])
def test_headers_of_other_shapes_or_dtypes_are_refused(tmp_path, arrays, message):
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        load_dataset(SPEC, data_file=path)


def test_data_in_another_plain_number_type_is_still_accepted(tmp_path):
    np.savez(tmp_path / "d.npz", X=X.astype(np.float64), y=Y.astype(np.int64))
    dataset = load_dataset(SPEC, data_file=tmp_path / "d.npz")
    assert np.array_equal(dataset.X, X) and np.array_equal(dataset.y, Y)


def test_a_cache_entry_in_another_dtype_is_discarded():
    path = cache_path_for(SPEC)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, X=X.astype(np.float64), y=Y)
    lines = []
    assert load_dataset(SPEC, sources=(Good(),), log=lines.append).source == "good source"
    assert any("X is float64 (20, 16) by its .npy header, expected uint8 (20, 16)" in line
               for line in lines)


def test_idx_headers_are_checked_against_the_dataset_before_any_file_is_inflated(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", X, Y, n_train=SPEC.n_train, side=4)
    train = folder / "train-images-idx3-ubyte.gz"
    with gzip.open(train, "wb", compresslevel=1) as bomb:  # 20,000 images of 100 x 100: 200 MB
        bomb.write(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 20_000, 100, 100))
        for _ in range(200):
            bomb.write(bytes(MB))
    with peak_allocation() as peak, pytest.raises(DataError) as info:
        load_dataset(SPEC, data_file=folder)
    assert peak["bytes"] < 20 * MB, f"{peak['bytes'] / MB:.0f} MB held while refusing"
    assert str(info.value) == (f"IDX file {train} declares shape (20000, 100, 100), expected"
                               " (15, 4, 4) for mnist's training images")


def test_idx_test_labels_of_another_count_are_refused_before_the_images_are_read(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", X, Y, n_train=SPEC.n_train, side=4)
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(idx_bytes(Y[:3])))
    with pytest.raises(DataError, match=r"declares shape \(3,\), expected \(5,\) for mnist's"
                                        " test labels"):
        load_dataset(SPEC, data_file=folder)
