"""Real `dask scheduler` and `dask worker` processes for the tests, on 127.0.0.1 only, each in
a session of its own and stopped by its id (its process group: a worker's nanny and its
child), never by name."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

DASK = Path(sys.executable).parent / "dask"


class DaskProcesses:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen] = []
        self.address = ""

    def _start(self, name: str, arguments: list[str], env: dict | None = None
               ) -> subprocess.Popen:
        process = subprocess.Popen(
            [str(DASK), *arguments], stdout=subprocess.DEVNULL,
            stderr=(self.folder / f"{name}.log").open("w"), start_new_session=True,
            env=env, cwd=self.folder)
        self.started.append(process)
        return process

    def start_scheduler(self) -> subprocess.Popen:
        scheduler_file = self.folder / "scheduler.json"
        process = self._start("scheduler", [
            "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
            "--scheduler-file", str(scheduler_file)])
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, "dask scheduler did not start"
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text())["address"]
        return process

    def start_worker(self, env: dict | None = None, wait: bool = True) -> subprocess.Popen:
        """A worker of one thread (`env`: its environment, e.g. another PYTHONPATH); with
        `wait`, returned once the scheduler counts it."""
        before = len(self.workers())
        process = self._start(f"worker{len(self.started)}", [
            "worker", self.address, "--nthreads", "1", "--host", "127.0.0.1",
            "--no-dashboard"], env)
        if wait:
            with distributed.Client(self.address, timeout=30) as client:
                client.wait_for_workers(before + 1, timeout=60)
        return process

    def workers(self) -> dict:
        with distributed.Client(self.address, timeout=30) as client:
            return client.scheduler_info(n_workers=-1)["workers"]

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL a process and its children (its group), and reap it."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()

    def stop(self) -> None:
        for process in reversed(self.started):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(process)


@contextmanager
def dask_processes(folder: Path, workers: int) -> Iterator[DaskProcesses]:
    """A scheduler and `workers` workers, all stopped when the block ends."""
    cluster = DaskProcesses(folder)
    try:
        cluster.start_scheduler()
        for _ in range(workers):
            cluster.start_worker(wait=False)
        with distributed.Client(cluster.address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=60)
        yield cluster
    finally:
        cluster.stop()
