"""Where tasks run changes nothing: this process, local worker processes and a Dask cluster
(a LocalCluster, and real `dask scheduler` / `dask worker` processes, one of them killed
mid-run) give the same numbers to the bit. Every cluster listens on 127.0.0.1 only."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from reportgen.engine.cache import ResultCache
from reportgen.engine.profiles import resolve_profile
from reportgen.engine.schedulers import DaskCluster, open_scheduler
from reportgen.errors import ReportgenError
from reportgen.metrics import metric_values
from tests.chapter import CHAPTER, run_builtin
from tests.engine.clusters import dask_processes

distributed = pytest.importorskip("distributed")


def results_equal(a, b) -> bool:
    """Every field of every result equal, arrays to the bit."""
    for name in a.runs:
        left, right = vars(a[name]), vars(b[name])
        for field, value in left.items():
            other = right[field]
            same = (np.array_equal(value, other) if isinstance(value, np.ndarray)
                    else value == other)
            if not same:
                return False
    return set(a.runs) == set(b.runs)


@pytest.fixture(scope="module")
def serial_digits(digits, tmp_path_factory):
    profile = resolve_profile("quick", digits)
    return run_builtin(digits, profile, jobs=1,
                           cache=ResultCache(tmp_path_factory.mktemp("serial")))


def test_local_processes_give_the_numbers_of_this_process(digits, serial_digits, tmp_path):
    profile = resolve_profile("quick", digits)
    parallel = run_builtin(digits, profile, jobs=2, cache=ResultCache(tmp_path))
    assert parallel.scheduler == "2 local processes"
    assert results_equal(parallel, serial_digits)
    assert {run.where for run in parallel.runs.values()} != {""}


def test_local_processes_leave_no_shared_inputs_behind(digits, tmp_path):
    scheduler = open_scheduler(jobs=2)
    run_builtin(digits, resolve_profile("quick", digits), cache=ResultCache(tmp_path),
                    scheduler=scheduler)
    assert scheduler.folder is None


@pytest.fixture(scope="module")
def local_cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster


def test_a_local_dask_cluster_gives_the_same_numbers(digits, serial_digits, local_cluster,
                                                     tmp_path):
    scheduler = DaskCluster(local_cluster.scheduler_address)
    assert scheduler.slots() == 2
    remote = run_builtin(digits, resolve_profile("quick", digits),
                             cache=ResultCache(tmp_path), scheduler=scheduler)
    assert remote.scheduler.startswith(f"Dask at {local_cluster.scheduler_address}")
    assert results_equal(remote, serial_digits)
    assert {run.where for run in remote.runs.values()} <= set(
        local_cluster.scheduler_info["workers"])


def test_repeats_run_side_by_side_on_a_cluster_with_the_same_numbers(digits, local_cluster,
                                                                    tmp_path):
    """Each repeat is tasks of its own; on the cluster they give this process's numbers."""
    profile = resolve_profile("quick", digits)
    remote = run_builtin(digits, profile, cache=ResultCache(tmp_path / "remote"),
                             scheduler=DaskCluster(local_cluster.scheduler_address), repeats=2)
    here = run_builtin(digits, profile, jobs=1, cache=ResultCache(tmp_path / "here"),
                           repeats=2)
    assert "binary.forest.fold0@r1" in remote.runs
    assert results_equal(remote, here)


def test_a_build_on_a_cluster_archives_the_metrics_of_a_local_build(local_cluster, tmp_path,
                                                                   monkeypatch):
    from reportgen.build import build_report

    def metrics(scheduler, jobs):
        outcome = build_report("digits", "quick", reports_dir=tmp_path / "reports", jobs=jobs,
                               scheduler=scheduler, pdf=False, benchmarks_dir=None)
        return json.loads((outcome.path / "metrics.json").read_text())

    monkeypatch.setenv("REPORTGEN_CACHE", str(tmp_path / "cluster-cache"))
    on_cluster = metrics(local_cluster.scheduler_address, None)
    monkeypatch.setenv("REPORTGEN_CACHE", str(tmp_path / "local-cache"))
    local = metrics(None, 2)
    assert on_cluster["metrics"] == local["metrics"]
    assert on_cluster["timings"]["scheduler"].startswith("Dask at")
    assert local["timings"]["scheduler"] == "2 local processes"


def test_an_unreachable_scheduler_is_a_one_line_error(monkeypatch):
    monkeypatch.setattr(DaskCluster, "CONNECT_SECONDS", 2)
    started = time.perf_counter()
    with pytest.raises(ReportgenError, match="cannot reach the Dask scheduler at"
                                             " tcp://127.0.0.1:9") as error:
        DaskCluster("tcp://127.0.0.1:9")
    assert "\n" not in str(error.value)
    assert time.perf_counter() - started < 30


def test_the_cli_refuses_an_unreachable_scheduler_before_any_work(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "reportgen", "run", "--dataset", "digits", "--profile", "quick",
         "--scheduler", "tcp://127.0.0.1:9", "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "cannot reach the Dask scheduler" in done.stderr
    assert not out.exists()


class FakeScheduler(threading.Thread):
    """A TCP server on 127.0.0.1 that is no Dask scheduler: it accepts and never answers
    (`answer` None), or answers every connection with `answer` (an HTTP server's error)."""

    def __init__(self, answer: bytes | None = None):
        super().__init__(daemon=True)
        self.answer = answer
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = f"tcp://127.0.0.1:{self.server.getsockname()[1]}"
        self.connections: list[socket.socket] = []

    def run(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:  # closed
                return
            self.connections.append(connection)
            if self.answer is not None:
                connection.recv(65536)
                connection.sendall(self.answer)

    def __enter__(self) -> "FakeScheduler":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.close()
        for connection in self.connections:
            connection.close()


def test_an_endpoint_that_never_answers_fails_within_the_handshake_timeout(monkeypatch):
    monkeypatch.setattr(DaskCluster, "HANDSHAKE_SECONDS", 2, raising=False)
    errors: list[BaseException] = []

    def connect(address: str) -> None:
        try:
            DaskCluster(address, worker_timeout=5)
        except BaseException as exc:
            errors.append(exc)

    with FakeScheduler() as silent:
        attempt = threading.Thread(target=connect, args=(silent.address,), daemon=True)
        attempt.start()
        attempt.join(timeout=30)
        assert not attempt.is_alive(), "still waiting for the scheduler's handshake"
    assert len(errors) == 1 and isinstance(errors[0], ReportgenError), errors
    assert "no answer within 2 s" in str(errors[0]) and "\n" not in str(errors[0])


def test_a_server_that_is_no_scheduler_is_one_line(tmp_path):
    """An HTTP server's "400 Bad Request" read as Dask frames asked for exabytes: a traceback
    ending in MemoryError."""
    with FakeScheduler(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") as http:
        done = subprocess.run(
            [sys.executable, "-m", "reportgen", "run", "--dataset", "digits", "--profile",
             "quick", "--scheduler", http.address, "--worker-timeout", "5",
             "--out", str(tmp_path / "out"), "--quiet"],
            capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "answers, but not as a Dask scheduler" in done.stderr


class WorkerKiller(threading.Thread):
    """Waits until a fold task is being processed by a worker, then SIGKILLs that worker."""

    def __init__(self, address: str):
        super().__init__(daemon=True)
        self.address = address
        self.killed: tuple[str, str] | None = None  # (worker address, task name)

    def run(self) -> None:
        with distributed.Client(self.address, timeout=30) as client:
            pids = client.run(os.getpid)
            deadline = time.monotonic() + 120
            while self.killed is None and time.monotonic() < deadline:
                for worker, keys in client.processing().items():
                    folds = [key for key in keys if ".fold" in str(key)]
                    if folds and worker in pids:
                        os.kill(pids[worker], signal.SIGKILL)
                        self.killed = (worker, str(folds[0]).rsplit("-", 1)[0])
                        return
                time.sleep(0.02)


def test_a_worker_killed_mid_run_changes_no_number(mnist, tmp_path):
    profile = resolve_profile("quick", mnist, train_size=600)
    sections = CHAPTER.select(["multiclass"])
    with dask_processes(tmp_path, workers=2) as cluster:
        killer = WorkerKiller(cluster.address)
        scheduler = DaskCluster(cluster.address)
        killer.start()
        remote = run_builtin(mnist, profile, cache=ResultCache(tmp_path / "remote"),
                                 sections=sections, scheduler=scheduler)
        killer.join(timeout=30)
    assert killer.killed is not None, "no worker was killed"
    worker, task = killer.killed
    assert remote.runs[task].where != worker  # it was run again elsewhere
    local = run_builtin(mnist, profile, jobs=1, cache=ResultCache(tmp_path / "local"),
                            sections=sections)
    assert metric_values(remote) == metric_values(local)
    assert results_equal(remote, local)


def test_a_local_worker_that_dies_is_a_one_line_error(digits, tmp_path):
    """A worker process killed under a task (the out-of-memory killer, say) ends the run with
    a clear error instead of a hang."""
    from dataclasses import dataclass

    from reportgen.sections import Section

    @dataclass
    class Nothing:
        value: int

    section = Section(id="dies", title="Dies", order=99)

    @section.experiment("dies.now")
    def dies_now(data) -> Nothing:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(ReportgenError, match="a worker process died"):
        run_builtin(digits, resolve_profile("quick", digits), jobs=2,
                        cache=ResultCache(tmp_path), sections=[section])


def test_the_inputs_of_a_killed_run_are_removed_by_the_next(digits, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = tmp_path / f"reportgen-inputs-{dead.pid}-x"
    abandoned.mkdir()
    scheduler = open_scheduler(jobs=2)
    run_builtin(digits, resolve_profile("quick", digits), cache=ResultCache(tmp_path / "c"),
                    scheduler=scheduler)
    assert not abandoned.exists()
    assert not list(tmp_path.glob("reportgen-inputs-*"))


def test_on_dask_a_task_reserves_its_threads_of_the_workers_cores(digits, serial_digits,
                                                                   tmp_path):
    """Workers started with a CORES resource: a task that splits may take several of a
    worker's cores (Dask then runs nothing else on them); the numbers stay the same."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  resources={"cores": 2}) as cluster:
        scheduler = DaskCluster(cluster.scheduler_address)
        assert scheduler.slots() == 2 and scheduler.most_threads() == 2
        remote = run_builtin(digits, resolve_profile("quick", digits),
                             cache=ResultCache(tmp_path), scheduler=scheduler, threads=2)
    assert results_equal(remote, serial_digits)
    assert {run.threads for run in remote.runs.values()} == {1, 2}


def test_on_dask_without_the_resource_every_task_has_one_thread(local_cluster):
    scheduler = DaskCluster(local_cluster.scheduler_address)
    try:
        assert scheduler.most_threads() == 1
    finally:
        scheduler.close()


def test_the_resource_tracker_cleans_up_an_interrupted_run_without_a_word():
    """A run stopped by Ctrl-C leaves a semaphore for loky's resource tracker to remove; the
    tracker does, and prints nothing beside the run's own line."""
    program = (
        "import os\n"
        "from joblib.externals.loky.backend.synchronize import SemLock\n"
        "from joblib.externals.loky.backend import resource_tracker\n"
        "from reportgen.engine.schedulers import LocalProcesses\n"
        "pool = LocalProcesses(1)\n"
        "lock = SemLock(1, 1, 1)\n"   # registered with the tracker, as the pool's locks are
        "name = lock._semlock.name\n"
        "from _multiprocessing import sem_unlink\n"
        "sem_unlink(name)\n"          # gone, as after an interrupted run, and not unregistered
        "print(name, os.getpid(), flush=True)\n"
        "os._exit(0)\n"               # no finaliser runs: the tracker is left to clean up
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    name, pid = result.stdout.split()
    assert name.startswith("/loky-")
    # run() returned when the tracker, which shares the stderr pipe, had cleaned up and ended
    assert result.stderr == ""
    if Path("/dev/shm").is_dir():  # Linux: the pool's own semaphores are removed too
        assert not list(Path("/dev/shm").glob(f"sem.loky-{pid}-*"))
