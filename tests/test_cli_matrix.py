"""`reportgen matrix` end to end, as a user runs it: real environments (uv, from the package
index) for the oldest and the newest supported scikit-learn release, the real CLI in each, a
matrix version in the archive that `render`, `list` and `show` know, and the book's numbers on
demand (`build --scikit-learn`). Small data (the bundled digits), so it takes about a minute."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sklearn

from reportgen.environments import newest_patches, supported_range
from reportgen.gate import NOTHING_CHECKED
from tests.chapter import DIGITS_SPEC

pytestmark = [pytest.mark.slow, pytest.mark.network]


def oldest_and_newest() -> list[str]:
    """The newest patch of the oldest minor release pyproject.toml admits, and the release
    this test runs with (tox installs the newest)."""
    lower = supported_range().removeprefix(">=")
    return [newest_patches(lower, lower)[0], sklearn.__version__]


def reportgen(*args: str, cache: Path, cwd: Path, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "reportgen", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "REPORTGEN_CACHE": str(cache), **(env or {})})


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """One matrix of the two releases on digits, built once for the module's tests."""
    cache, work = tmp_path_factory.mktemp("cache"), tmp_path_factory.mktemp("work")
    releases = oldest_and_newest()
    arguments = ["matrix", *(f"--scikit-learn={r}" for r in releases), "--dataset", "digits",
                 "--profile", "quick", "--jobs", "2", "--quiet", "--thresholds", DIGITS_SPEC]
    done = reportgen(*arguments, cache=cache, cwd=work)
    assert done.returncode == 0, done.stderr
    versions = sorted((work / "reports").glob("v*"))
    assert len(versions) == 1
    return {"cache": cache, "work": work, "releases": releases, "version": versions[0],
            "first": done, "arguments": arguments}


def test_a_matrix_version_holds_every_release_run_its_comparison_and_report(matrix):
    version = matrix["version"]
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["kind"] == "matrix"
    assert manifest["releases"] == [f"scikit-learn {r}" for r in matrix["releases"]]
    data = json.loads((version / "matrix.json").read_text())
    assert [r["libraries"]["scikit-learn"] for r in data["releases"]] == matrix["releases"]
    for release in data["releases"]:
        run = json.loads((version / "runs" / release["environment"] / "metrics.json").read_text())
        assert run["dataset"]["name"] == "digits"
    assert len(data["changes"]) == 1  # one step between two releases
    for name in ("report.html", "report.pdf", "figures/timings.svg"):
        assert name in manifest["files"], name
    html = (version / "report.html").read_text()
    assert "The chapter across releases" in html and matrix["releases"][0] in html


def test_render_of_a_matrix_from_its_own_files_is_byte_identical(matrix, tmp_path):
    done = reportgen("render", matrix["version"].name, "--out", str(tmp_path / "again"),
                     cache=matrix["cache"], cwd=matrix["work"])
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "again" / "report.html").read_bytes() == (
        matrix["version"] / "report.html").read_bytes()
    assert (tmp_path / "again" / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_list_show_and_diff_know_a_matrix(matrix):
    listed = reportgen("list", cache=matrix["cache"], cwd=matrix["work"])
    assert listed.returncode == 0 and "release matrix: scikit-learn" in listed.stdout
    shown = reportgen("show", "latest", cache=matrix["cache"], cwd=matrix["work"])
    assert shown.returncode == 0 and "all match the manifest" in shown.stdout
    one = reportgen("show", "latest", "--metric", "binary.sgd.roc_auc", cache=matrix["cache"],
                    cwd=matrix["work"])
    assert one.returncode == 0, one.stderr
    assert set(json.loads(one.stdout)) == {f"scikit-learn {r}" for r in matrix["releases"]}
    diffed = reportgen("diff", "1", "1", cache=matrix["cache"], cwd=matrix["work"])
    assert diffed.returncode == 1 and "is a release matrix" in diffed.stderr
    assert len(diffed.stderr.strip().splitlines()) == 1


def made(cache: Path) -> dict[str, str]:
    """Each environment's creation time, from its marker."""
    return {marker.parent.name: json.loads(marker.read_text())["created_utc"]
            for marker in (cache / "environments").glob("*/reportgen-environment.json")}


def test_a_second_matrix_reuses_the_environments_and_the_cached_results(matrix):
    before = made(matrix["cache"])
    assert len(before) == 2
    done = reportgen(*matrix["arguments"], cache=matrix["cache"], cwd=matrix["work"])
    assert done.returncode == 0, done.stderr
    assert made(matrix["cache"]) == before  # not made again
    data = json.loads(sorted((matrix["work"] / "reports").glob("v0002*"))[0]
                      .joinpath("matrix.json").read_text())
    first = json.loads((matrix["version"] / "matrix.json").read_text())
    assert data["changes"] == first["changes"]  # the same numbers, to the bit
    for release in data["releases"]:
        run = json.loads(sorted((matrix["work"] / "reports").glob("v0002*"))[0].joinpath(
            "runs", release["environment"], "metrics.json").read_text())
        assert all(task["cached"] for task in run["timings"]["experiments"].values())


def test_build_with_a_release_gives_that_release_s_numbers(matrix, tmp_path):
    oldest = matrix["releases"][0]
    done = reportgen("build", "--scikit-learn", oldest, "--dataset", "digits", "--profile",
                     "quick", "--only", "dataset", "--no-pdf", "--quiet", "--reports-dir",
                     str(tmp_path / "reports"), cache=matrix["cache"], cwd=tmp_path)
    # the dataset section alone measures no metric: archived, and no claim checked (exit 1)
    assert done.returncode == 1 and NOTHING_CHECKED in done.stderr, done.stderr
    (version,) = (tmp_path / "reports").glob("v*")
    render = json.loads((version / "render.json").read_text())
    assert render["provenance"]["libraries"]["scikit-learn"] == oldest


def test_env_list_and_remove(matrix):
    listed = reportgen("env", "list", cache=matrix["cache"], cwd=matrix["work"])
    assert listed.returncode == 0
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert len(names) == 2 and all(f"scikit-learn-{r}" in " ".join(names)
                                   for r in matrix["releases"])


def test_a_release_that_does_not_exist_is_one_line_and_leaves_nothing(tmp_path):
    done = reportgen("env", "create", "--scikit-learn", "1.5.99", cache=tmp_path, cwd=tmp_path)
    assert done.returncode == 1
    assert "no such release with a wheel" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 2  # what is made, then why it failed
    assert list((tmp_path / "environments").iterdir()) == []


def test_no_package_index_and_no_cached_environment_is_one_line(tmp_path):
    offline = {"UV_INDEX_URL": "http://127.0.0.1:9/simple", "UV_DEFAULT_INDEX":
               "http://127.0.0.1:9/simple", "UV_NO_CACHE": "1"}
    done = reportgen("env", "create", "--scikit-learn", oldest_and_newest()[0], cache=tmp_path,
                     cwd=tmp_path, env=offline)
    assert done.returncode == 1
    assert "no package index reachable" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert list((tmp_path / "environments").iterdir()) == []


def test_speed_settings_and_threads_change_no_number_on_any_supported_release(matrix, mnist,
                                                                             tmp_path):
    """The proof (tests/engine/speed_proof.py) in an environment of the newest patch of every
    minor release pyproject.toml admits before the one this test runs with (whose proof is
    tests/engine/test_threads.py), on 1,000 MNIST training images."""
    from reportgen.environments import Pins, ensure_environment

    lower = supported_range().removeprefix(">=")
    current = ".".join(sklearn.__version__.split(".")[:2])
    releases = [r for r in newest_patches(lower, current) if r != sklearn.__version__]
    assert releases
    data = tmp_path / "data.npz"
    np.savez(data, X=mnist.X[:1300].astype(np.float64), y=mnist.y[:1300], n_train=1000)
    root = Path(__file__).resolve().parents[1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTGEN_CACHE", str(matrix["cache"]))
        for release in releases:
            environment = ensure_environment(Pins(release))
            done = subprocess.run([str(environment.python), "-m", "tests.engine.speed_proof",
                                   str(data)], cwd=root, capture_output=True, text=True,
                                  timeout=900, env={**os.environ, "PYTHONPATH": str(root)})
            assert done.returncode == 0, done.stderr
            result = json.loads(done.stdout)
            assert result["scikit-learn"] == release
            assert len(result["checks"]) > 2 and all(result["checks"].values()), result
