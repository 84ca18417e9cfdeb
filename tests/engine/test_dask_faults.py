"""A Dask cluster's faults mid-run end the run with one line, in bounded time, keeping in the
cache what was computed and nothing computed by a worker from another environment. Every
process listens on 127.0.0.1 and is stopped by its id."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import reportgen
from reportgen.engine.cache import ResultCache, code_fingerprint
from reportgen.engine.profiles import resolve_profile
from reportgen.engine.runner import NoProgress
from reportgen.engine.schedulers import DaskCluster
from reportgen.errors import ReportgenError
from tests.chapter import run_builtin
from tests.engine.clusters import DaskProcesses, dask_processes

distributed = pytest.importorskip("distributed")

# A run of the digits chapter on the cluster at argv[1] (cache argv[2], worker_timeout argv[3])
# that SIGKILLs the process groups argv[5:] argv[4] seconds after its first task is done (0:
# at once, from the runner's thread); one line on error.
CHILD = """
import os, signal, sys, threading
from pathlib import Path
from reportgen.data import load_dataset
from reportgen.engine.cache import ResultCache
from reportgen.engine.profiles import resolve_profile
from reportgen.engine.runner import NoProgress
from tests.chapter import run_builtin
from reportgen.engine.schedulers import open_scheduler
from reportgen.errors import ReportgenError

address, cache, timeout, delay, *victims = sys.argv[1:]

def kill():
    for pid in victims:
        os.killpg(int(pid), signal.SIGKILL)

class KillAfterTheFirstTask(NoProgress):
    done = 0

    def finished(self, name, seconds):
        self.done += 1
        if self.done == 1 and float(delay) == 0:
            kill()
        elif self.done == 1:
            threading.Timer(float(delay), kill).start()

try:
    digits = load_dataset("digits", use_cache=False)
    scheduler = open_scheduler(address=address, worker_timeout=float(timeout))
    run_builtin(digits, resolve_profile("quick", digits), cache=ResultCache(Path(cache)),
                    scheduler=scheduler, progress=KillAfterTheFirstTask())
except ReportgenError as exc:
    sys.exit(f"Error: {exc}")
"""


def run_child(arguments: list[str], timeout: float) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", CHILD, *arguments], capture_output=True,
                          text=True, timeout=timeout)
    return done, time.monotonic() - started


def assert_one_line_error(done: subprocess.CompletedProcess, *parts: str) -> str:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


def run_later(digits, cache: Path):
    """A local run with the same cache."""
    return run_builtin(digits, resolve_profile("quick", digits), jobs=1,
                           cache=ResultCache(cache))


@pytest.mark.parametrize("delay", [0, 0.5])
def test_a_cluster_left_without_workers_is_one_line_after_the_timeout(digits, tmp_path, delay):
    with dask_processes(tmp_path, workers=1) as cluster:
        worker = cluster.started[-1]
        done, seconds = run_child([cluster.address, str(tmp_path / "cache"), "3", str(delay),
                                   str(worker.pid)], timeout=3 + 60)
    line = assert_one_line_error(
        done, f"the Dask cluster at {cluster.address} has had no worker for 3 s;",
        "tasks were computed and are kept in the cache;",
        f"start workers with `dask worker {cluster.address}` and run again")
    assert seconds < 3 + 30
    kept, total = map(int, re.search(r"; (\d+) of (\d+) tasks were computed", line).groups())
    assert kept >= 1
    later = run_later(digits, tmp_path / "cache")
    assert (len(later.computed), len(later.runs)) == (total - kept, total)


@pytest.mark.parametrize("delay", [0, 0.5])
def test_a_lost_scheduler_is_one_line(tmp_path, delay):
    with dask_processes(tmp_path, workers=1) as cluster:
        scheduler = cluster.started[0]
        done, seconds = run_child([cluster.address, str(tmp_path / "cache"), "60", str(delay),
                                   str(scheduler.pid)], timeout=60)
    assert_one_line_error(done, f"lost the Dask scheduler at {cluster.address}",
                          "tasks were computed and are kept in the cache")
    assert seconds < 30


@pytest.mark.parametrize("address", ["http://127.0.0.1:8786", "tcp://127.0.0.1", "garbage",
                                     "tcp://127.0.0.1:99999", "tls://127.0.0.1:9"])
def test_a_wrong_scheduler_address_is_one_line_and_no_traceback_at_exit(address):
    """Refused before any client is made, or (TLS without its settings) by a client that is
    disarmed: Client.__del__ printed a traceback at exit after 10 s."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n"
         "from reportgen.engine.schedulers import open_scheduler\n"
         "from reportgen.errors import ReportgenError\n"
         "try:\n    open_scheduler(address=sys.argv[1])\n"
         "except ReportgenError as exc:\n    sys.exit(f'Error: {exc}')\n", address],
        capture_output=True, text=True, timeout=60)
    assert_one_line_error(done, address)
    assert time.monotonic() - started < 20


def another_environment(folder: Path) -> dict:
    """The environment of a worker that imports a copy of reportgen with one file changed:
    another reportgen, as a worker installed from another commit would run."""
    package = Path(reportgen.__file__).parent
    shutil.copytree(package, folder / "reportgen", ignore=shutil.ignore_patterns("__pycache__"))
    with (folder / "reportgen" / "__init__.py").open("a") as changed:
        changed.write("# another commit\n")
    return {**os.environ, "PYTHONPATH": str(folder)}


class JoinAndTakeOver(NoProgress):
    """Once two tasks are done, starts a worker from `env` and kills the first worker, so
    that every later task runs on the one that joined mid-run."""

    def __init__(self, cluster: DaskProcesses, env: dict) -> None:
        self.cluster, self.env = cluster, env
        self.done: list[str] = []
        self.joined = ""  # its address
        self.theirs: dict = {}  # its code_fingerprint()

    def finished(self, name: str, seconds: float) -> None:
        self.done.append(name)
        if len(self.done) != 2:
            return
        first = self.cluster.started[-1]
        before = set(self.cluster.workers())
        self.cluster.start_worker(self.env)
        (self.joined,) = set(self.cluster.workers()) - before
        with distributed.Client(self.cluster.address, timeout=30) as client:
            where = client.run(lambda: __import__("reportgen").__file__, workers=[self.joined])
            theirs = client.run(code_fingerprint, workers=[self.joined])
        assert where[self.joined] == str(Path(self.env["PYTHONPATH"], "reportgen",
                                              "__init__.py"))
        self.theirs = theirs[self.joined]
        assert self.theirs["code"] != code_fingerprint()["code"]
        self.cluster.kill(first)


def test_a_worker_from_another_environment_that_joins_mid_run_is_refused(digits, tmp_path):
    """Its results would be cached under this environment's key; the connect-time check
    cannot see a worker that joins later, so every result's fingerprint is checked."""
    env = another_environment(tmp_path / "other")
    cache = tmp_path / "cache"
    with dask_processes(tmp_path, workers=1) as cluster:
        progress = JoinAndTakeOver(cluster, env)
        with pytest.raises(ReportgenError) as error:
            run_builtin(digits, resolve_profile("quick", digits), cache=ResultCache(cache),
                            scheduler=DaskCluster(cluster.address), progress=progress)
    message = str(error.value)
    assert "\n" not in message
    assert f"worker {progress.joined} computed" in message
    assert (f"reportgen code {progress.theirs['code'][:12]} there,"
            f" {code_fingerprint()['code'][:12]} here") in message
    assert "; 2 of " in message and "install the same reportgen" in message
    later = run_later(digits, cache)  # computes again all but the first worker's two tasks
    assert set(later.computed) == set(later.runs) - set(progress.done)


EXTERNAL_SECTION = '''
from dataclasses import dataclass
from reportgen.sections import Section

@dataclass
class Size:
    n: int

SECTION = Section(id="outside", title="Outside", order=99)

@SECTION.experiment("outside.size")
def size(data) -> Size:
    return Size(len(data.y_train))
'''


@pytest.fixture
def outside_section(tmp_path, monkeypatch):
    """A section module of the user's, importable here (its folder on this process's path)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "outside_dask.py").write_text(EXTERNAL_SECTION)
    monkeypatch.syspath_prepend(str(project))
    import importlib

    module = importlib.import_module("outside_dask")
    yield project, module.SECTION
    sys.modules.pop("outside_dask", None)


def test_a_cluster_that_cannot_import_the_chapters_module_is_one_line(digits, tmp_path,
                                                                      outside_section):
    """The scheduler unpickles every task: a section module of the user's it cannot import was
    a traceback from the scheduler (or a worker dying on its first task, then a wait for the
    worker timeout); now one line, before any task, naming the module and the path to give."""
    project, section = outside_section
    (tmp_path / "cluster").mkdir()
    with dask_processes(tmp_path / "cluster", workers=1) as cluster:
        started = time.perf_counter()
        with pytest.raises(ReportgenError) as error:
            run_builtin(digits, resolve_profile("quick", digits), sections=[section],
                        cache=ResultCache(tmp_path / "cache"),
                        scheduler=DaskCluster(cluster.address))
    message = str(error.value)
    assert message.startswith("the Dask scheduler and others cannot import the chapter's module"
                              " outside_dask (ModuleNotFoundError")
    assert f"(PYTHONPATH={project})" in message and "\n" not in message
    assert time.perf_counter() - started < 30


def test_a_cluster_that_imports_the_chapters_module_runs_it(digits, tmp_path, outside_section):
    """Workers started from this process (a LocalCluster) have its path: the section runs."""
    distributed = pytest.importorskip("distributed")
    _, section = outside_section
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        run = run_builtin(digits, resolve_profile("quick", digits), sections=[section],
                          cache=ResultCache(tmp_path / "cache"),
                          scheduler=DaskCluster(cluster.scheduler_address))
    assert run["outside.size"].n == resolve_profile("quick", digits).train_size
