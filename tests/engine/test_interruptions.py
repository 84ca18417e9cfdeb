"""An interruption (Ctrl-C) at any moment of a run leaves nothing behind: no shared inputs in
the temporary folder, no worker process, no task computing on a cluster for nobody."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from reportgen.engine.cache import ResultCache
from reportgen.engine.profiles import resolve_profile
from reportgen.engine.runner import NoProgress
from reportgen.engine.schedulers import LocalProcesses
from tests.chapter import run_builtin


def all_gone(pids: set[int], seconds: float = 10) -> bool:
    """Whether every process of `pids` ends (a zombie has ended) within `seconds`."""
    def alive(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


class InterruptAfter(NoProgress):
    """Ctrl-C once `after` tasks are done ("last": all of them); remembers the workers."""

    def __init__(self, scheduler: LocalProcesses, after: int | str | None) -> None:
        self.scheduler, self.after = scheduler, after
        self.done = 0
        self.workers: set[int] = set()

    def start(self, total: int, cached: int) -> None:
        if self.after == "last":
            self.after = total - cached

    def finished(self, name: str, seconds: float) -> None:
        self.workers |= set(self.scheduler.pool._processes)
        self.done += 1
        if self.done == self.after:
            raise KeyboardInterrupt


@pytest.mark.parametrize("moment", ["start", "first task", "last task", "close"])
def test_an_interruption_leaves_no_inputs_and_no_worker(digits, tmp_path, monkeypatch, moment):
    """While the inputs are written, after a task, after the last task, and while waiting for
    the workers to finish: the shared inputs go and the workers are stopped."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    scheduler = LocalProcesses(2)
    progress = InterruptAfter(scheduler, {"first task": 1, "last task": "last"}.get(moment))
    if moment == "start":
        save, saved = np.save, []

        def save_then_interrupt(*args, **kwargs) -> None:
            save(*args, **kwargs)
            saved.append(args[0])
            if len(saved) == 2:
                raise KeyboardInterrupt

        monkeypatch.setattr(np, "save", save_then_interrupt)
    if moment == "close":
        shutdown = scheduler.pool.shutdown

        def interrupted_while_waiting(wait: bool = True, kill_workers: bool = False) -> None:
            if not wait:
                return shutdown(wait=wait, kill_workers=kill_workers)
            shutdown(wait=False)  # the workers are told to finish, then Ctrl-C
            raise KeyboardInterrupt

        scheduler.pool.shutdown = interrupted_while_waiting
    with pytest.raises(KeyboardInterrupt):
        run_builtin(digits, resolve_profile("quick", digits), cache=ResultCache(tmp_path),
                        scheduler=scheduler, progress=progress)
    assert not list(tmp_path.glob(f"reportgen-inputs-{os.getpid()}-*"))
    assert moment == "start" or progress.workers
    assert all_gone(progress.workers)


# A run of the digits chapter on 2 local processes that says when each task is done.
CHILD = """
import sys
from pathlib import Path
from reportgen.data import load_dataset
from reportgen.engine.cache import ResultCache
from reportgen.engine.profiles import resolve_profile
from reportgen.engine.runner import NoProgress
from tests.chapter import run_builtin

class Say(NoProgress):
    def start(self, total, cached):
        print("tasks", total - cached, flush=True)

    def finished(self, name, seconds):
        print("done", name, flush=True)

digits = load_dataset("digits", use_cache=False)
run_builtin(digits, resolve_profile("quick", digits), jobs=2,
                cache=ResultCache(Path(sys.argv[1])), progress=Say())
"""


@pytest.mark.parametrize("after", ["first", "last"])
def test_ctrl_c_on_a_real_run_leaves_nothing_behind(tmp_path, after):
    """SIGINT to the run's process group, as Ctrl-C in a terminal sends it, once the first or
    the last task is done."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "cache")],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env={**os.environ, "TMPDIR": str(temporary)},
                             start_new_session=True)
    try:
        tasks = int(child.stdout.readline().split()[1])
        for _ in range(1 if after == "first" else tasks):
            assert child.stdout.readline().startswith("done")
        descendants = {p.pid for p in psutil.Process(child.pid).children(recursive=True)}
        try:
            os.killpg(child.pid, signal.SIGINT)
        except ProcessLookupError:
            pass  # done before Ctrl-C came
        interrupted = time.monotonic()
        child.wait(timeout=30)
        assert time.monotonic() - interrupted < 15
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert descendants
    assert all_gone(descendants)
    assert not list(temporary.glob("reportgen-inputs-*"))


class InterruptAtTheFirstTask(NoProgress):
    def finished(self, name: str, seconds: float) -> None:
        raise KeyboardInterrupt


def test_an_interrupted_run_leaves_the_cluster_nothing_to_compute(digits, tmp_path):
    """Its tasks are cancelled and its inputs plugin is removed: the cluster computes nothing
    for a run that is gone."""
    distributed = pytest.importorskip("distributed")
    from reportgen.engine.schedulers import DaskCluster

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        with pytest.raises(KeyboardInterrupt):
            run_builtin(digits, resolve_profile("quick", digits), cache=ResultCache(tmp_path),
                            scheduler=DaskCluster(cluster.scheduler_address),
                            progress=InterruptAtTheFirstTask())

        def left(dask_scheduler) -> tuple[int, list[str]]:
            return len(dask_scheduler.tasks), [name for name in dask_scheduler.worker_plugins
                                               if name.startswith("reportgen-inputs-")]

        deadline = time.monotonic() + 10
        while client.run_on_scheduler(left) != (0, []) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.run_on_scheduler(left) == (0, [])


def test_workers_whose_run_is_killed_while_they_start_go_with_it(tmp_path):
    """A run SIGKILLed in the seconds its workers spend importing, before they ask to die with
    it: they went on (the tasks queued for them, then waiting for more) and kept loky's
    semaphores in /dev/shm."""
    program = (
        "import os, signal, time\n"
        "from reportgen.engine.schedulers import LocalProcesses\n"
        "pool = LocalProcesses(2)\n"
        "for _ in range(2):\n"
        "    pool.pool.submit(time.sleep, 120)\n"  # starts the workers, importing
        "print(os.getpid(), *pool.pool._processes, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    printed = tmp_path / "pids"
    with printed.open("w") as out:  # not a pipe: the workers inherit it
        run = subprocess.run([sys.executable, "-c", program], stdout=out, timeout=60)
    assert run.returncode == -signal.SIGKILL
    killed, *pids = (int(pid) for pid in printed.read_text().split())
    workers = set(pids)
    try:
        assert len(workers) == 2
        assert all_gone(workers, seconds=30)
        deadline = time.monotonic() + 10  # the tracker removes them once the workers are gone
        while list(Path("/dev/shm").glob(f"sem.loky-{killed}-*")):
            assert time.monotonic() < deadline, "loky's semaphores were left behind"
            time.sleep(0.1)
    finally:
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
