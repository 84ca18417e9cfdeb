"""End to end: the real `reportgen run` on the bundled digits (and MNIST), and its files."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.engine.registry import with_dependencies
from tests.chapter import CHAPTER

FIGURES = [figure for section in CHAPTER.sections for figure in section.figures]
EXPERIMENTS = len(with_dependencies([e for s in CHAPTER.sections for e in s.experiments],
                                    CHAPTER.experiments()))


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_run_writes_metrics_and_figures_then_reuses_the_cache(tmp_path):
    out = tmp_path / "out"
    result = run("run", "--dataset", "digits", "--profile", "quick", "--quiet", "--jobs", "1",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"{EXPERIMENTS} computed" in result.output
    document = json.loads((out / "metrics.json").read_text())
    assert document["dataset"]["name"] == "digits" and document["profile"]["name"] == "quick"
    assert 0.9 < document["metrics"]["binary.sgd.roc_auc"] <= 1
    for spec in FIGURES:
        assert (out / "figures" / f"{spec.id}.svg").stat().st_size > 1000
        assert (out / "figures" / f"{spec.id}.png").stat().st_size > 1000

    again = run("run", "--dataset", "digits", "--profile", "quick", "--quiet", "--out", str(out))
    assert f"(0 computed, {EXPERIMENTS} from the cache)" in again.output
    assert json.loads((out / "metrics.json").read_text())["metrics"] == document["metrics"]


def test_bad_train_size_is_one_line(tmp_path):
    result = run("run", "--dataset", "digits", "--train-size", "5000", "--quiet",
                 "--out", str(tmp_path / "o"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--train-size must be between 300 and 1500" in result.output
    assert not (tmp_path / "o").exists()


def test_run_help_lists_its_options():
    result = run("run", "--help")
    for option in ("--profile", "--dataset", "--jobs", "--force", "--out", "--train-size"):
        assert option in result.output


def test_an_out_folder_that_cannot_be_written_is_one_line(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    result = run("run", "--dataset", "digits", "--quiet", "--out", str(not_a_folder))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(
        f"Error: cannot write to --out {not_a_folder}: File exists")


def _group_members(pgid: int) -> list[int]:
    """The processes of a process group, read from /proc (no `ps` needed)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    members.append(int(entry))
            except ProcessLookupError:
                pass
    return members


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_killing_a_run_stops_its_workers_and_caches_nothing_partial(tmp_path, mnist):
    """SIGTERM mid-run: the command exits, joblib's workers go with it, no temporary files."""
    cache = tmp_path / "cache"
    (cache / "datasets").mkdir(parents=True)
    np.savez(cache / "datasets" / "mnist.npz", X=mnist.X, y=mnist.y, source=np.array("test"))
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "run", "--train-size", "2000", "--jobs", "2",
         "--quiet", "--out", str(tmp_path / "out")],
        env={**os.environ, "REPORTGEN_CACHE": str(cache)}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.time() + 60
    while time.time() < deadline:  # wait for the two workers (same process group)
        if len(_group_members(process.pid)) >= 3:
            break
        time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the run never started its workers")
    time.sleep(1)
    process.terminate()
    _, stderr = process.communicate(timeout=30)
    assert process.returncode != 0 and "Traceback" not in stderr.decode()
    deadline = time.time() + 15
    while _group_alive(process.pid) and time.time() < deadline:
        time.sleep(0.1)
    alive = _group_alive(process.pid)
    if alive:
        os.killpg(process.pid, signal.SIGKILL)
    assert not alive, "joblib workers outlived the killed run"
    assert not list(cache.rglob("*.tmp")) and not (tmp_path / "out" / "metrics.json").exists()
