"""The test session never writes into the user's cache: not from a test (each has its own), and
not from a module- or session-scoped fixture, which is set up before any test's own cache."""

import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from reportgen.places import cache_root
from tests.conftest import _REAL_CACHE

ROOT = Path(__file__).resolve().parents[1]
USER_CACHE = Path(_REAL_CACHE or platformdirs.user_cache_dir("reportgen"))


@pytest.fixture(scope="module")
def module_cache() -> Path:
    return cache_root()


def test_a_module_fixture_gets_a_temporary_cache(module_cache, tmp_path_factory):
    assert module_cache.is_relative_to(tmp_path_factory.getbasetemp())
    assert not module_cache.is_relative_to(USER_CACHE)


def test_a_test_gets_a_temporary_cache_of_its_own(module_cache, tmp_path_factory):
    assert cache_root().is_relative_to(tmp_path_factory.getbasetemp())
    assert cache_root() != module_cache


INNER = '''
import pytest

from reportgen.build import build_report


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_report("digits", "quick", only=("dataset",), jobs=1, pdf=False,
                        benchmarks_dir=None, reports_dir=tmp_path_factory.mktemp("reports"))


def test_a_build_made_by_a_module_fixture(built):
    assert built.record.dataset.name == "digits"
'''


def test_a_session_whose_module_fixture_builds_leaves_the_user_cache_alone(tmp_path):
    """A session with this conftest, in which the user's cache is a folder of its own (no
    $REPORTGEN_CACHE; the platform's cache folder under $XDG_CACHE_HOME): a build made by a
    module-scoped fixture writes nothing there."""
    (tmp_path / "test_inner.py").write_text(INNER)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    user_caches = tmp_path / "xdg-cache"
    env = {key: value for key, value in os.environ.items() if key != "REPORTGEN_CACHE"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path),
         "--basetemp", str(tmp_path / "basetemp"), "-q", str(tmp_path / "test_inner.py")],
        cwd=ROOT, env={**env, "XDG_CACHE_HOME": str(user_caches)}, capture_output=True,
        text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert not (user_caches / "reportgen").exists(), sorted(
        str(p.relative_to(user_caches)) for p in user_caches.rglob("*"))[:10]
