"""The result cache's key and the fingerprint of a process: what computes a number is in both."""

from reportgen.engine import cache
from reportgen.engine.cache import code_fingerprint, fingerprint_difference, result_key
from reportgen.provenance import blas
from tests.chapter import CHAPTER


def test_the_blas_kernel_is_part_of_the_environment():
    """The same code and versions give other last bits with another CPU kernel of OpenBLAS
    (measured: see engine/cache.py), so a result computed under another is no hit."""
    here = code_fingerprint()
    assert here["libraries"]["BLAS"] == blas() != "unknown"
    theirs = {**here, "libraries": {**here["libraries"], "BLAS": "openblas 0.3.30, Haswell"}}
    assert fingerprint_difference(theirs, here).startswith("BLAS openblas 0.3.30, Haswell there")
    assert fingerprint_difference(here, here) == ""


def test_another_blas_kernel_is_another_cache_key(monkeypatch):
    experiment = CHAPTER.experiments()["binary.sgd.fit"]
    before = result_key(experiment, "data", {"train_size": 1}, [])
    monkeypatch.setitem(cache.LIBRARY_VERSIONS, "BLAS", "openblas 0.3.30, Haswell kernels")
    assert result_key(experiment, "data", {"train_size": 1}, []) != before
