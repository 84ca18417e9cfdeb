"""A tabular chapter through the real CLI, as a teacher would use it: examples/tumours (float
features from scikit-learn's bundled breast-cancer table, two models, five folds, a comparison
claim) is built, its claims are checked by `pytest` in its folder (and fail when a bound is made
impossible), a constant is changed and `diff` names it, and a version is rendered again."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli_project import MNIST_WORDS, reportgen

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "tumours"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    """A copy of the example chapter, as a user's own folder, built once; and its cache."""
    folder = tmp_path_factory.mktemp("teacher") / "tumours"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("reports", "__pycache__"))
    cache = folder.parent / "cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTGEN_CACHE", str(cache))
        reportgen(folder, "build", "--profile", "quick", "--no-pdf", "-q")
    return folder, cache


@pytest.fixture
def project(built_once, monkeypatch):
    """The built project, with the cache its build filled (as the teacher's own)."""
    folder, cache = built_once
    monkeypatch.setenv("REPORTGEN_CACHE", str(cache))
    return folder


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=folder, capture_output=True, text=True, timeout=600)


def test_a_table_is_described_as_rows_and_features(project):
    info = reportgen(project, "data", "info")
    assert "569 rows x 30 features float64 (mean radius, mean texture" in info.stdout
    assert "0 malignant: 212, 1 benign: 357" in info.stdout
    version = next(project.glob("reports/v0001-*"))
    record = json.loads((version / "metrics.json").read_text())
    assert record["dataset"]["kind"] == "table" and record["dataset"]["n_features"] == 30
    assert record["dataset"]["feature_names"][0] == "mean radius"
    confusion = record["metrics"]["models.linear.confusion"]
    assert len(confusion) == 2 and sum(map(sum, confusion)) == 114  # every test row, once
    html = (version / "report.html").read_text()
    assert "455 training and 114 test rows" in html
    assert not re.search(MNIST_WORDS, re.sub(r"<[^>]+>", " ", html), re.I)


def test_pytest_checks_the_claims_and_fails_on_an_impossible_bound(project, tmp_path):
    passing = pytest_in(project, "-v")
    assert passing.returncode == 0, passing.stdout
    for claim in ("linear-is-accurate", "forest-finds-malignant-tumours",
                  "linear-no-worse-than-forest", "gate"):
        assert f"thresholds.toml::{claim} PASSED" in passing.stdout
    spec = project / "thresholds.toml"
    original = spec.read_text()
    try:
        spec.write_text(original.replace("bound = 0.9\n", "bound = 1.01\n", 1))
        failing = pytest_in(project)
        assert failing.returncode == 1
        assert "FAIL linear-is-accurate: models.linear.cv_accuracy_mean" in failing.stdout
        assert "1 threshold(s) failed: linear-is-accurate" in failing.stdout  # the gate too
    finally:
        spec.write_text(original)


def test_pytest_on_a_fresh_build_archives_nothing(project):
    before = sorted(project.glob("reports/v*"))
    fresh = pytest_in(project, "--claims-build", "quick", "-q")
    assert fresh.returncode == 0 and "4 passed" in fresh.stdout, fresh.stdout
    assert sorted(project.glob("reports/v*")) == before


def test_diff_names_the_constant_that_changed_and_the_experiments_it_reran(project):
    models = project / "tumours" / "models.py"
    original = models.read_text()
    try:
        models.write_text(original.replace("N_TREES = 200", "N_TREES = 20"))
        built = reportgen(project, "build", "--profile", "quick", "--no-pdf", "-q")
        assert "(6 computed" in built.stdout  # the forest and its five folds, nothing else
        diff = reportgen(project, "diff", "1", "latest").stdout
    finally:
        models.write_text(original)
    assert re.search(r"code: 6 experiment\(s\) changed \(models\.forest [0-9a-f]{7}→[0-9a-f]{7},"
                     r" models\.forest\.fold0 [0-9a-f]{7}→[0-9a-f]{7}", diff), diff
    assert "  tumours.models.N_TREES: N_TREES = 200 -> N_TREES = 20" in diff
    assert "models.linear" not in diff.split("metrics:")[0]  # its code did not change
    newest = sorted(project.glob("reports/v*"))[-1]
    record = (newest / "record.html").read_text()  # the build record says it too
    assert "<h2>Code that changed</h2>" in record
    assert "<code>N_TREES = 200</code> → <code>N_TREES = 20</code>" in record


def test_an_archived_version_renders_again(project, tmp_path):
    out = tmp_path / "again"
    reportgen(project, "render", "1", "--out", str(out), "--no-pdf")
    assert "114 test rows" in (out / "report.html").read_text()
