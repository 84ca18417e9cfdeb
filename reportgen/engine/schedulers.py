"""Where tasks run: in this process, in worker processes on this machine, or on a Dask cluster.

The runner (`engine.runner`) decides what runs when; a scheduler only carries tasks out. Each
one ships the chapter's inputs once (a memory-mapped copy on this machine, a worker plugin on
each Dask worker), runs `execute_task` where it lives, and hands back futures. Every task runs
on one thread, so its numbers never depend on where it ran (KNN breaks distance ties
differently with another thread count).
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import tempfile
import time
import uuid
import warnings
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from threadpoolctl import threadpool_limits

from reportgen.engine.memory import peak_memory
from reportgen.engine.profiles import CompactInputs, Inputs
from reportgen.engine.registry import Experiment
from reportgen.engine.repeats import in_repeat
from reportgen.errors import ReportgenError
from reportgen.provenance import cpu_count


@dataclass
class TaskOutcome:
    name: str
    result: Any
    seconds: float  # wall time of the computation, measured where it ran
    warnings: list[str]
    peak_rss: int | None  # bytes: the peak of the process that ran it, during the task
    where: str  # the process that ran it ("pid 1234", a Dask worker's address)
    started_at: float  # when it began, by the clock of the machine that ran it (time.time())


def execute_task(experiment: Experiment, inputs: Inputs | SharedInputs | WorkerInputs,
                 dependencies: tuple, in_worker: bool = True) -> TaskOutcome:
    """Run one task where the scheduler put it, under its repeat's seeds: time it, measure its
    memory, and keep its warnings as data for the report instead of letting them scroll by.

    A worker process stays on one thread for good (a context would restore the old limits when
    a task ends, under another task running in the same process); this process restores them.
    """
    if isinstance(inputs, SharedInputs | WorkerInputs):
        inputs = inputs.load()
    limits = threadpool_limits(limits=1)  # takes effect now, in a worker for good
    started_at = time.time()
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught, peak_memory() as peak, \
                in_repeat(experiment.repeat):
            warnings.simplefilter("always")
            result = experiment.run(inputs, *dependencies)
    finally:
        if not in_worker:
            limits.restore_original_limits()
    seconds = time.perf_counter() - started
    messages = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return TaskOutcome(experiment.name, result, seconds, messages, peak["bytes"], _where(),
                       started_at)


def _where() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


class Scheduler(Protocol):
    description: str  # for the report: "2 local processes", "Dask at tcp://..., 3 workers"

    def slots(self) -> int: ...  # how many tasks can run at once now
    def start(self, inputs: CompactInputs) -> None: ...  # ship the inputs, once
    def submit(self, experiment: Experiment, dependencies: tuple) -> Any: ...  # a future
    def wait(self, futures: list) -> list: ...  # those done (at least one), in given order
    def outcome(self, future: Any) -> TaskOutcome: ...  # a task's error is raised here
    def close(self, kill: bool = False) -> None: ...


class InProcess:
    """Every task in this process, one at a time: `--jobs 1`, and the reference the others
    are tested against."""

    description = "this process"

    def __init__(self) -> None:
        self.inputs: Inputs | None = None

    def slots(self) -> int:
        return 1

    def start(self, inputs: CompactInputs) -> None:
        self.inputs = inputs.expand()

    def submit(self, experiment: Experiment, dependencies: tuple) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        future.set_result(execute_task(experiment, self.inputs, dependencies, in_worker=False))
        return future

    def wait(self, futures: list) -> list:
        return [f for f in futures if f.done()]

    def outcome(self, future: concurrent.futures.Future) -> TaskOutcome:
        return future.result()

    def close(self, kill: bool = False) -> None:
        self.inputs = None


@dataclass(frozen=True)
class WorkerInputs:
    """The inputs a Dask worker made from the run's plugin (`engine.dask_inputs`)."""

    name: str

    def load(self) -> Inputs:
        from reportgen.engine.dask_inputs import inputs_named

        return inputs_named(self.name)


@dataclass(frozen=True)
class SharedInputs:
    """The inputs as .npy files a worker maps into memory: shipped once, shared by every task
    of the run through the page cache, never copied per task."""

    folder: str
    plain: dict  # the non-array fields

    def load(self) -> Inputs:
        if self.folder not in _LOADED:
            arrays = {f.name: np.load(Path(self.folder) / f"{f.name}.npy", mmap_mode="r")
                      for f in fields(Inputs) if f.name not in self.plain}
            _LOADED.clear()  # one run's inputs at a time per worker
            _LOADED[self.folder] = Inputs(**arrays, **self.plain)
        return _LOADED[self.folder]


_LOADED: dict[str, Inputs] = {}


def _start_worker() -> None:
    """Set up a worker process: it dies with the run that started it, and it is not restarted
    after each task.

    A run killed with SIGKILL cannot stop its workers, so on Linux each worker asks the kernel
    for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG). And loky restarts a worker whose
    resident memory grew by 300 MB since its first task, taking it for a leak; the
    memory-mapped inputs grow it by that much as tasks read them, so every task paid for a new
    process. reportgen's tasks keep nothing between them."""
    import ctypes
    import signal
    import sys

    from joblib.externals.loky import process_executor

    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    process_executor._USE_PSUTIL = False


_INPUTS_PREFIX = "reportgen-inputs-"


def _clear_abandoned_inputs() -> None:
    """Remove the shared inputs of runs that were killed (their process no longer exists)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_INPUTS_PREFIX}*-*"):
        pid = folder.name.removeprefix(_INPUTS_PREFIX).split("-")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass  # someone else's live process


class LocalProcesses:
    """Worker processes on this machine (`--jobs N`), through loky: a worker that dies is a
    clear error rather than a hang, and an interrupted run kills its workers."""

    def __init__(self, workers: int) -> None:
        from joblib.externals.loky import ProcessPoolExecutor

        self.workers = workers
        self.description = f"{workers} local processes"
        self.pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker)
        self.folder: Path | None = None
        self.shared: SharedInputs | None = None

    def slots(self) -> int:
        return self.workers

    def start(self, inputs: CompactInputs) -> None:
        _clear_abandoned_inputs()
        self.folder = Path(tempfile.mkdtemp(prefix=f"{_INPUTS_PREFIX}{os.getpid()}-"))
        expanded, plain = inputs.expand(), {}
        for f in fields(Inputs):
            value = getattr(expanded, f.name)
            if isinstance(value, np.ndarray):
                np.save(self.folder / f"{f.name}.npy", value)
            else:
                plain[f.name] = value
        self.shared = SharedInputs(str(self.folder), plain)

    def submit(self, experiment: Experiment, dependencies: tuple) -> concurrent.futures.Future:
        return self.pool.submit(execute_task, experiment, self.shared, dependencies)

    def wait(self, futures: list) -> list:
        done, _ = concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED)
        return [f for f in futures if f in done]

    def outcome(self, future: concurrent.futures.Future) -> TaskOutcome:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return future.result()
        except BrokenProcessPool as exc:
            reason = str(exc).splitlines()[0]
            raise ReportgenError(f"a worker process died ({reason}); out of memory? try fewer"
                                 " --jobs") from None

    def close(self, kill: bool = False) -> None:
        self.pool.shutdown(wait=not kill, kill_workers=kill)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


class DaskCluster:
    """An existing Dask distributed cluster (`--scheduler tcp://HOST:PORT`): every worker makes
    the inputs once from a plugin; a task whose worker is lost is run again elsewhere by Dask;
    results come back here, where they are cached and archived."""

    CONNECT_SECONDS = 5
    WORKER_WAIT_SECONDS = 60

    def __init__(self, address: str) -> None:
        """Connect, wait for a worker, and check the workers run this machine's code."""
        try:
            import distributed
        except ImportError:
            raise ReportgenError(
                "--scheduler needs Dask's distributed: pip install 'reportgen[dask]'") from None
        self._distributed = distributed
        try:
            self.client = distributed.Client(address, timeout=self.CONNECT_SECONDS,
                                             set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ReportgenError(
                f"cannot reach the Dask scheduler at {address} ({reason}); start one with"
                " `dask scheduler` and workers with `dask worker ADDRESS`, or check the"
                " address") from None
        self.address = address
        try:
            self.client.wait_for_workers(1, timeout=self.WORKER_WAIT_SECONDS)
        except (TimeoutError, OSError):
            self.client.close()
            raise ReportgenError(
                f"the Dask scheduler at {address} has no worker after"
                f" {self.WORKER_WAIT_SECONDS} s; start one with `dask worker {address}`"
            ) from None
        self._check_workers_match()
        self.inputs = None

    def _check_workers_match(self) -> None:
        """Workers must run the code this process computes cache keys from: a worker with
        another reportgen or scikit-learn would cache numbers under the wrong key."""
        from reportgen.engine.cache import code_fingerprint

        here = code_fingerprint()
        theirs = self.client.run(code_fingerprint)
        differ = sorted(address for address, fingerprint in theirs.items() if fingerprint != here)
        if differ:
            self.client.close()
            raise ReportgenError(
                f"Dask worker(s) {', '.join(differ)} run other reportgen code or library"
                f" versions than this machine ({here['summary']}); install the same on every"
                " worker")

    @property
    def description(self) -> str:
        return f"Dask at {self.address}, {len(self._workers())} workers"

    def _workers(self) -> dict:
        return self.client.scheduler_info(n_workers=-1)["workers"]

    def slots(self) -> int:
        return max(1, sum(w.get("nthreads", 1) for w in self._workers().values()))

    def start(self, inputs: CompactInputs) -> None:
        """Every worker, and any that joins during the run, makes the inputs once."""
        from reportgen.engine.dask_inputs import InputsPlugin

        self.inputs = f"reportgen-inputs-{uuid.uuid4().hex}"
        self.client.register_plugin(InputsPlugin(self.inputs, inputs), name=self.inputs)
        self.completed = self._distributed.as_completed(loop=self.client.loop)

    def submit(self, experiment: Experiment, dependencies: tuple):
        future = self.client.submit(execute_task, experiment, WorkerInputs(self.inputs),
                                    dependencies, key=f"{experiment.name}-{uuid.uuid4().hex}",
                                    pure=False)
        self.completed.add(future)
        return future

    def wait(self, futures: list) -> list:
        """The futures done by now, at least one (every future given was submitted here)."""
        first = next(self.completed)
        return [first, *self.completed.next_batch(block=False)]

    def outcome(self, future) -> TaskOutcome:
        try:
            return future.result()
        except self._distributed.KilledWorker as exc:
            raise ReportgenError(f"a task's workers died again and again ({exc}); see the Dask"
                                 " workers' logs (out of memory?)") from None

    def close(self, kill: bool = False) -> None:
        """Let go of the inputs and the connection (the cluster itself keeps running)."""
        try:
            if self.inputs is not None:
                self.client.unregister_worker_plugin(self.inputs)
                self.inputs = None
        finally:
            self.client.close()


def open_scheduler(jobs: int | None = None, address: str | None = None) -> Scheduler:
    """The scheduler for `--scheduler ADDRESS` (a Dask cluster: connected now, so a wrong
    address fails before any work) or `--jobs N` (this machine; default all cores)."""
    jobs = jobs or cpu_count()
    if address:
        return DaskCluster(address)
    return InProcess() if jobs <= 1 else LocalProcesses(jobs)
