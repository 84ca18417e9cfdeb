import os
import pickle

import numpy as np
import pytest

from reportgen.data.safe_pickle import load_arrays


def test_loads_tuples_of_arrays():
    parts = ((np.zeros((2, 3), dtype=np.float32), np.array([1, 2])),)
    loaded = load_arrays(pickle.dumps(parts, protocol=2))
    assert np.array_equal(loaded[0][0], parts[0][0]) and loaded[0][1].tolist() == [1, 2]


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_refuses_a_pickle_that_would_run_code(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(pickle.UnpicklingError, match="refused to load"):
        load_arrays(pickle.dumps(_Exploit(marker)))
    assert not marker.exists()


def test_refuses_other_numpy_globals():
    with pytest.raises(pickle.UnpicklingError, match="numpy.load"):
        load_arrays(pickle.dumps(np.load))
