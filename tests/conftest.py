import os
from contextlib import contextmanager

import pytest

from reportgen.data import load_dataset
from reportgen.engine.profiles import resolve_profile
from reportgen.errors import DataError
from tests.chapter import run_builtin

# The user's real cache, captured before any test isolates the cache: real MNIST lives there.
_REAL_CACHE = os.environ.get("REPORTGEN_CACHE")


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory):
    """Module- and session-scoped fixtures are set up before a test's own cache (monkeypatch is
    per test): they get an empty temporary cache too, never the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTGEN_CACHE", str(tmp_path_factory.mktemp("session-cache")))
        yield


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty cache, so no test sees another's (or the user's) data."""
    monkeypatch.setenv("REPORTGEN_CACHE", str(tmp_path_factory.mktemp("cache")))


@contextmanager
def real_cache():
    """Within the block, the user's own cache (real MNIST, reusable experiment results)."""
    saved = os.environ.pop("REPORTGEN_CACHE", None)
    if _REAL_CACHE:
        os.environ["REPORTGEN_CACHE"] = _REAL_CACHE
    try:
        yield
    finally:
        os.environ.pop("REPORTGEN_CACHE", None)
        if saved is not None:
            os.environ["REPORTGEN_CACHE"] = saved


@pytest.fixture(scope="session")
def mnist():
    """The real, verified MNIST from the user's cache (`reportgen data fetch` puts it there).

    Skipped when absent, unless REPORTGEN_REQUIRE_MNIST=1 (tox and CI), where absence fails.
    """
    with real_cache():
        try:
            return load_dataset("mnist", sources=())
        except DataError as exc:
            if os.environ.get("REPORTGEN_REQUIRE_MNIST") == "1":
                pytest.fail(f"real MNIST required but not cached: {exc}")
            pytest.skip("real MNIST not in the cache: run `reportgen data fetch`")


@pytest.fixture(scope="session")
def digits():
    return load_dataset("digits", use_cache=False)


@pytest.fixture(scope="session")
def digits_run(digits, tmp_path_factory):
    """One whole engine run on the bundled digits (about two seconds)."""
    from reportgen.engine.cache import ResultCache

    cache = ResultCache(tmp_path_factory.mktemp("results"))
    return run_builtin(digits, resolve_profile("quick", digits), jobs=1, cache=cache)

