"""A pickle reader that admits only what plain numpy arrays need.

Unpickling runs code named by the file; a downloaded pickle is therefore read with an allow-list
(ndarray, dtype and numpy's array reconstructor) so a tampered file fails instead of executing.
"""

from __future__ import annotations

import codecs
import io
import pickle

import numpy as np

try:  # numpy >= 2
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    # Python 3 writes array bytes at protocol 2 through codecs.encode(str, "latin1"): harmless
    ("_codecs", "encode"): codecs.encode,
}


class ArrayOnlyUnpickler(pickle.Unpickler):
    """Refuses every global except the few that rebuild numpy arrays."""

    def find_class(self, module: str, name: str):  # noqa: D401 - pickle's hook
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused to load {module}.{name}: only numpy arrays are allowed"
            ) from None


def load_arrays(raw: bytes):
    """Unpickle bytes that may contain only tuples, lists, numbers and numpy arrays."""
    return ArrayOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()
