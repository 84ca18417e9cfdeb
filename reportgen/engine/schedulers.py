"""Where tasks run: in this process, in worker processes on this machine, or on a Dask cluster.

The runner (`engine.runner`) decides what runs when; a scheduler only carries tasks out. Each
one ships the chapter's inputs once (a memory-mapped copy on this machine, a worker plugin on
each Dask worker), runs `execute_task` where it lives, and hands back futures. BLAS runs on one
thread in every task, so no number depends on where it ran (KNN breaks distance ties
differently with another thread count); only fits proven not to depend on it use the threads
the policy gives a task (`engine.threads`), each taking that many of the scheduler's cores.
Each outcome carries the code fingerprint of the process that computed it, for the runner to
check before it caches anything; a fault that ends a run part-way (a lost scheduler, a cluster
without workers, a dead worker) is a `RunFault`, one line.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from threadpoolctl import threadpool_limits

from reportgen.engine.cache import code_fingerprint, fingerprint_difference
from reportgen.engine.memory import peak_memory
from reportgen.engine.profiles import CompactInputs, Inputs
from reportgen.engine.registry import Experiment, Fitted, failure_at
from reportgen.engine.repeats import in_repeat
from reportgen.engine.results_io import unstorable
from reportgen.engine.threads import running_with
from reportgen.errors import ReportgenError
from reportgen.interrupts import stop_if_signalled
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
    fingerprint: dict | None = None  # code_fingerprint() of the process that ran it
    # The task's Experiment.code_digest() as the process that ran it sees its code (None: this
    # process ran it): a worker that imported another version of a section module outside
    # reportgen (the user's) differs here, where the package fingerprint cannot tell.
    code_digest: str | None = None
    companions: list[TaskOutcome] = field(default_factory=list)  # of its `on_model` experiments


class RunFault(ReportgenError):
    """A fault that ends a run part-way (a lost cluster, a worker from another environment):
    the runner adds how much of the work was computed and kept."""

    def __init__(self, what: str, advice: str) -> None:
        super().__init__(f"{what}; {advice}")
        self.what, self.advice = what, advice

    def kept(self, computed: int, total: int) -> ReportgenError:
        return ReportgenError(f"{self.what}; {computed} of {total} tasks were computed and are"
                              f" kept in the cache; {self.advice}")


class ExperimentFailed(ReportgenError):
    """An experiment's code raised: its name, the line and the error, one line that survives
    the trip back from a worker process (loky, Dask) without the worker's traceback."""


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def execute_task(experiment: Experiment, inputs: Inputs | SharedInputs | WorkerInputs,
                 dependencies: tuple, in_worker: bool = True,
                 companions: tuple[Experiment, ...] = (), threads: int = 1) -> TaskOutcome:
    """Run one task where the scheduler put it, under its repeat's seeds: time it, measure its
    memory, and keep its warnings as data for the report instead of letting them scroll by.
    The `companions` (experiments `on_model` of this one) run right after it, on the model
    it fitted; their outcomes come with its own. Its fits may use `threads` threads
    (`engine.threads`); its companions predict on one.

    A worker process stays on one thread for good (a context would restore the old limits when
    a task ends, under another task running in the same process); this process restores them.
    """
    if isinstance(inputs, SharedInputs | WorkerInputs):
        inputs = inputs.load()
    limits = threadpool_limits(limits=1)  # takes effect now, in a worker for good
    try:
        with running_with(threads):
            outcome, model = _timed(experiment, inputs, dependencies, in_worker)
        outcome.companions = [_timed(companion, inputs, (model,), in_worker)[0]
                              for companion in companions]
    finally:
        if not in_worker:
            limits.restore_original_limits()
    return outcome


def _timed(experiment: Experiment, inputs: Inputs, arguments: tuple,
           in_worker: bool) -> tuple[TaskOutcome, Any]:
    """One experiment's outcome, and the model it fitted (None unless it returns `Fitted`)."""
    state = experiment.state_read()  # what the cache key holds of its code, as it starts
    started_at = time.time()
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, peak_memory() as peak, \
            in_repeat(experiment.repeat):
        warnings.simplefilter("always")
        try:
            result = experiment.run(inputs, *arguments)
        except ReportgenError:
            raise
        except SystemExit as exc:  # a build that exits 0 having checked nothing would pass
            where = failure_at(exc).split(": SystemExit")[0]
            raise ExperimentFailed(f"experiment {experiment.name} called sys.exit({exc.code})"
                                   f" {where}: an experiment returns its result; nothing was"
                                   " cached for it") from None
        except Exception as exc:  # the experiment's own code: one line, where and what
            raise ExperimentFailed(f"experiment {experiment.name} failed"
                                   f" {failure_at(exc, experiment)}; nothing was cached for"
                                   " it") from None
    seconds = time.perf_counter() - started
    changed = experiment.state_changed(state)
    if changed:  # the next task in this process would read another state: scheduler-dependent
        raise ExperimentFailed(
            f"experiment {experiment.name} changed {', '.join(changed)} while it ran (module-"
            "level state its code reads, so what a later task computes would depend on which"
            " tasks ran before it in the same process); fit or change a copy made inside the"
            " experiment (sklearn.base.clone(...), copy.deepcopy(...)); nothing was cached for"
            " it")
    model = None
    if isinstance(result, Fitted):
        result, model = result.result, result.model
    if not isinstance(result, experiment.result_type):
        raise ReportgenError(f"experiment {experiment.name} returned {type(result).__name__},"
                             f" not the {experiment.result_type.__name__} its annotation says;"
                             " return an instance of its result dataclass")
    refused = unstorable(result)
    if refused:
        raise ExperimentFailed(
            f"experiment {experiment.name} returned {'; '.join(refused)} in its"
            f" {experiment.result_type.__name__}, which the cache cannot store: a field holds"
            " a numpy array or plain data (int(...), float(...), .tolist()); nothing was"
            " cached for it")
    messages = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return TaskOutcome(experiment.name, result, seconds, messages, peak["bytes"], _where(),
                       started_at, code_fingerprint(),
                       experiment.code_digest(state) if in_worker else None), model


def unimportable(modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` this process cannot import, each with why (run on the Dask scheduler
    and workers)."""
    import importlib

    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # any failure to import is the answer
            missing.append(f"{name} ({type(exc).__name__}: {exc})")
    return missing


def _import_root(module: str) -> str | None:
    """The folder `module` is imported from here (its top-level package's parent)."""
    top = sys.modules.get(module.split(".")[0])
    path = getattr(top, "__file__", None)
    if not path:
        return None
    file = Path(path).resolve()
    return str(file.parent.parent if hasattr(top, "__path__") else file.parent)


def _where() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


class Scheduler(Protocol):
    description: str  # for the report: "2 local processes", "Dask at tcp://..., 3 workers"

    def slots(self) -> int: ...  # how many cores its tasks have now (a task takes its threads)
    def most_threads(self) -> int: ...  # the most threads one task can have (one worker's)
    # Ship the inputs, once; `modules`: where the tasks' code lives outside reportgen (a
    # chapter of the user's), which every process that unpickles a task must import.
    def start(self, inputs: CompactInputs, modules: tuple[str, ...] = ()) -> None: ...
    def submit(self, experiment: Experiment, dependencies: tuple,  # a future
               companions: tuple[Experiment, ...] = (), threads: int = 1) -> Any: ...
    def wait(self, futures: list) -> list: ...  # those done (at least one), in given order
    def outcome(self, future: Any) -> TaskOutcome: ...  # a task's error is raised here
    def close(self, kill: bool = False) -> None: ...  # never raises a fault of its own


class InProcess:
    """Every task in this process, one at a time: `--jobs 1`, and the reference the others
    are tested against."""

    description = "this process"

    def __init__(self) -> None:
        self.inputs: Inputs | None = None

    def slots(self) -> int:
        return 1

    def most_threads(self) -> int:
        return 1

    def start(self, inputs: CompactInputs, modules: tuple[str, ...] = ()) -> None:
        self.inputs = inputs.expand()

    def submit(self, experiment: Experiment, dependencies: tuple,
               companions: tuple[Experiment, ...] = (),
               threads: int = 1) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        future.set_result(execute_task(experiment, self.inputs, dependencies, in_worker=False,
                                       companions=companions, threads=threads))
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


def _start_worker(parent: int) -> None:
    """Set up a worker process: it dies with the run that started it, and it is not restarted
    after each task.

    A run killed with SIGKILL cannot stop its workers, so on Linux each worker asks the kernel
    for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG). A worker runs this seconds after
    it was started (its imports come first): one whose `parent` died meanwhile would never get
    that signal, and would wait for tasks (or compute those already queued) for ever, so it
    goes at once. And loky restarts a worker whose
    resident memory grew by 300 MB since its first task, taking it for a leak; the
    memory-mapped inputs grow it by that much as tasks read them, so every task paid for a new
    process. reportgen's tasks keep nothing between them."""
    import ctypes
    import sys

    from joblib.externals.loky import process_executor

    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)  # the run is gone
    process_executor._USE_PSUTIL = False
    code_fingerprint()  # of the code this worker imported, as close to its import as can be


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


@contextmanager
def _workers_spawned_deaf_to_ctrl_c() -> Iterator[None]:
    """Worker processes started in the block (loky starts them in the first submit) ignore
    SIGINT for good, as an ignored signal survives exec: a terminal's Ctrl-C reaches the whole
    process group, and a worker interrupted mid-import or mid-task would print its own
    traceback; this process stops them (close(kill=True)). A Ctrl-C within the few
    milliseconds of the block itself is lost: press it again."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change a signal's handler
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


_TRACKER = "joblib.externals.loky.backend.resource_tracker"


def _start_a_quiet_resource_tracker() -> None:
    """Start loky's resource tracker (a process of its own, in the terminal's process group)
    with its warnings off. It removes the semaphores of a run stopped by Ctrl-C, which is its
    job, and says so with a UserWarning and a line of its source at exit: three lines after
    the run's own "interrupted" line (seen in CI, 2 of 3 interrupted runs under load). The
    tracker takes its warning options from the environment it is started with; nothing else
    of its work changes. A tracker already running is kept as it is."""
    from joblib.externals.loky.backend import resource_tracker

    quiet = f"ignore::UserWarning:{_TRACKER}"
    before = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = quiet if not before else f"{before},{quiet}"
    try:
        resource_tracker.ensure_running()
    finally:
        if before is None:
            del os.environ["PYTHONWARNINGS"]
        else:
            os.environ["PYTHONWARNINGS"] = before


class LocalProcesses:
    """Worker processes on this machine (`--jobs N`), through loky: a worker that dies is a
    clear error rather than a hang, and an interrupted run kills its workers."""

    POLL_SECONDS = 0.5  # how often a wait looks for a signal

    def __init__(self, workers: int) -> None:
        from joblib.externals.loky import ProcessPoolExecutor

        _start_a_quiet_resource_tracker()
        self.workers = workers
        self.description = f"{workers} local processes"
        self.pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                                        initargs=(os.getpid(),))
        self.folder: Path | None = None
        self.shared: SharedInputs | None = None
        self._remove_folder = lambda: None

    def slots(self) -> int:
        return self.workers

    def most_threads(self) -> int:
        return self.workers

    def start(self, inputs: CompactInputs, modules: tuple[str, ...] = ()) -> None:
        """Write the inputs for the workers to map (they start with this process's import
        path, so they import what it imports). The folder is named before it is made and
        removed at exit at the latest, so no interruption, at any moment, leaves it behind."""
        _clear_abandoned_inputs()
        folder = Path(tempfile.gettempdir()) / f"{_INPUTS_PREFIX}{os.getpid()}-{uuid.uuid4().hex}"
        self.folder = folder
        self._remove_folder = weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
        folder.mkdir(mode=0o700)
        expanded, plain = inputs.expand(), {}
        for f in fields(Inputs):
            value = getattr(expanded, f.name)
            if isinstance(value, np.ndarray):
                np.save(self.folder / f"{f.name}.npy", value)
            else:
                plain[f.name] = value
        self.shared = SharedInputs(str(self.folder), plain)

    def submit(self, experiment: Experiment, dependencies: tuple,
               companions: tuple[Experiment, ...] = (),
               threads: int = 1) -> concurrent.futures.Future:
        with _workers_spawned_deaf_to_ctrl_c():
            return self.pool.submit(execute_task, experiment, self.shared, dependencies,
                                    companions=companions, threads=threads)

    def wait(self, futures: list) -> list:
        """The futures done by now, at least one; a signal whose raise was deferred
        (`reportgen.interrupts`) stops the wait within POLL_SECONDS."""
        while True:
            done, _ = concurrent.futures.wait(futures, timeout=self.POLL_SECONDS,
                                              return_when=concurrent.futures.FIRST_COMPLETED)
            if done:
                return [f for f in futures if f in done]
            stop_if_signalled()

    def outcome(self, future: concurrent.futures.Future) -> TaskOutcome:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise RunFault(f"a worker process died ({_first_line(exc)})",
                           "out of memory? try fewer --jobs") from None

    def close(self, kill: bool = False) -> None:
        """Stop the workers (at once with `kill`: a failed or interrupted run) and remove the
        inputs; an interruption while waiting for the workers to finish kills them."""
        try:
            self.pool.shutdown(wait=not kill, kill_workers=kill)
        except BaseException:
            self.pool.shutdown(wait=False, kill_workers=True)
            raise
        finally:
            self._remove_folder()
            self.folder = None


_ADDRESS = re.compile(r"(?:tcp|tls)://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})")


def _check_address(address: str) -> None:
    """Refuse what is no scheduler address before a client is made (a client that fails
    half-made prints a traceback at exit)."""
    match = _ADDRESS.fullmatch(address)
    if match is None or not 0 < int(match[1]) < 65536:
        raise ReportgenError(f"{address!r} is not a Dask scheduler address: give tcp://HOST:PORT"
                             " (or tls://HOST:PORT), as `dask scheduler` prints it")


def _hush_distributed(*loggers: str, level: int = logging.CRITICAL) -> None:
    """Quiet distributed's logs of what Dask handles (a result fetched again from another
    worker) or the run reports in one line itself: a closed connection (at INFO, with a
    traceback), a failed reconnect, whatever follows a lost scheduler."""
    for name in loggers:
        logging.getLogger(name).setLevel(level)


def _unless_cut_short(loop, context: dict) -> None:
    """The client loop's handler of errors nobody retrieved: a fetch of a result cut short by
    its timeout leaves distributed's inner tasks to end in AllExit, which asyncio would print,
    with a traceback, at exit."""
    from distributed.client import AllExit

    if not isinstance(context.get("exception"), AllExit):
        loop.default_exception_handler(context)


def _disarm(client) -> None:
    """Mark a client that never connected, or lost its scheduler, closed and stop its thread:
    closing it (as Client.__del__ does at exit) would wait for a scheduler that is not there,
    then print a traceback."""
    client.status = "closed"
    runner = getattr(client, "_loop_runner", None)
    if runner is not None:
        runner.stop()


CORES = "cores"  # the Dask worker resource a task reserves its threads of


class DaskCluster:
    """An existing Dask distributed cluster (`--scheduler tcp://HOST:PORT`): every worker makes
    the inputs once from a plugin; a task whose worker is lost is run again elsewhere by Dask;
    results come back here, where they are cached and archived. A lost scheduler, or a cluster
    left without workers, ends the run with one line; whatever the client was doing then."""

    CONNECT_SECONDS = 5
    HANDSHAKE_SECONDS = 15  # the whole start of a connection: connect, handshake, registration
    POLL_SECONDS = 1.0  # how often a wait looks whether the cluster still has a worker

    def __init__(self, address: str, worker_timeout: float = 60.0) -> None:
        """Connect, wait for a worker, and check the workers run this machine's code.

        `worker_timeout`: how many seconds the cluster may have no worker at all (when
        connecting, or while tasks are pending) before the run stops with one line, keeping
        what was computed in the cache; a run whose workers all died would otherwise wait for
        ever."""
        try:
            import distributed
        except ImportError:
            raise ReportgenError(
                "--scheduler needs Dask's distributed: pip install 'reportgen[dask]'") from None
        _check_address(address)
        self._distributed = distributed
        self.address, self.worker_timeout = address, worker_timeout
        self.inputs: str | None = None  # the name of the run's inputs plugin, once started
        self.reserves_cores = False  # every task asks for its threads of CORES (see start)
        self.futures: set = set()  # submitted and not yet handed back: cancelled by a kill
        _hush_distributed("distributed.batched", "distributed.client", level=logging.ERROR)
        self.client = self._connect()
        self.client.loop.asyncio_loop.set_exception_handler(_unless_cut_short)
        try:
            with self._faults():
                try:
                    self.client.wait_for_workers(1, timeout=worker_timeout)
                except TimeoutError:
                    raise ReportgenError(
                        f"the Dask scheduler at {address} has no worker after"
                        f" {worker_timeout:g} s; start one with `dask worker {address}`"
                    ) from None
                self._worker_seen = time.monotonic()
                self._check_workers_match()
        except BaseException:
            self.close()
            raise

    def _connect(self):
        """A client of the scheduler; one whose connection fails half-way is disarmed.

        distributed bounds the TCP connect by its timeout but waits for the scheduler's
        handshake for ever, so the whole start (connect, handshake, registration) is bounded
        by HANDSHAKE_SECONDS: an endpoint that accepts and never answers fails then. Whatever
        else goes wrong is a peer that is no Dask scheduler (an HTTP server's answer read as
        Dask frames asks for exabytes): one line either way."""
        Client = self._distributed.Client
        client = Client.__new__(Client)
        # Client.__init__ calls self.start, whose keywords go to distributed.utils.sync:
        # its callback_timeout bounds the start as a whole.
        client.start = functools.partial(Client.start, client,
                                         callback_timeout=self.HANDSHAKE_SECONDS)
        try:
            client.__init__(self.address, timeout=self.CONNECT_SECONDS, set_as_default=False)
        except Exception as exc:
            _disarm(client)
            if isinstance(exc, TimeoutError):  # before OSError, its base class
                reason = f"no answer within {self.HANDSHAKE_SECONDS:g} s"
            elif isinstance(exc, OSError):  # refused, unroutable: nothing listens there
                reason = _first_line(exc)
            else:  # a garbled answer: the detail (an exabyte allocation, say) is noise
                detail = "" if isinstance(exc, MemoryError) else f": {_first_line(exc)[:100]}"
                raise ReportgenError(
                    f"{self.address} answers, but not as a Dask scheduler (another kind of"
                    f" server?{detail}); give the address `dask scheduler` prints") from None
            raise ReportgenError(
                f"cannot reach the Dask scheduler at {self.address} ({reason}); start"
                " one with `dask scheduler` and workers with `dask worker ADDRESS`, or check the"
                " address") from None
        except BaseException:
            _disarm(client)
            raise
        finally:
            client.__dict__.pop("start", None)
        return client

    def _check_importable(self, modules: tuple[str, ...]) -> None:
        with self._faults():
            where = {"the Dask scheduler": self.client.run_on_scheduler(unimportable, modules),
                     **{f"Dask worker {address}": missing for address, missing in
                        self.client.run(unimportable, modules).items()}}
        lacking = {place: missing for place, missing in where.items() if missing}
        if lacking:
            place, missing = next(iter(lacking.items()))
            folders = ":".join(sorted(filter(None, map(_import_root, modules))))
            raise ReportgenError(
                f"{place}{' and others' if len(lacking) > 1 else ''} cannot import the"
                f" chapter's module {missing[0]}; start the scheduler and every worker with"
                f" the project on their path (PYTHONPATH={folders}), then run again")

    def _check_workers_match(self) -> None:
        """Workers must run the code this process computes cache keys from: a worker with
        another reportgen or scikit-learn would cache numbers under the wrong key. (The runner
        checks every result too: a worker may join later.)"""
        here = code_fingerprint()
        try:
            theirs = self.client.run(code_fingerprint)
        except (OSError, TimeoutError):
            raise  # a lost scheduler: see _faults
        except Exception as exc:  # a worker without reportgen, say
            raise ReportgenError(f"the Dask workers at {self.address} cannot run reportgen"
                                 f" ({_first_line(exc)}); install this machine's reportgen and"
                                 " libraries on every worker") from None
        differ = {address: fingerprint_difference(fingerprint, here)
                  for address, fingerprint in sorted(theirs.items())}
        differ = {address: difference for address, difference in differ.items() if difference}
        if differ:
            raise ReportgenError(
                f"Dask worker(s) {', '.join(differ)} run other code than this machine"
                f" ({next(iter(differ.values()))}); install the same reportgen and libraries on"
                " every worker")

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """A lost scheduler is one line, wherever the client notices it."""
        try:
            yield
        except (OSError, TimeoutError, concurrent.futures.CancelledError) as exc:
            raise self._lost(exc) from None

    def _lost(self, cause: BaseException | None = None) -> RunFault:
        """The fault of a lost scheduler (`cause`: how the client noticed, if it says more
        than that the connection is gone)."""
        _hush_distributed("distributed", "distributed.client")
        if cause is None or isinstance(cause, concurrent.futures.CancelledError):
            reason = "the connection to it was lost"  # the client cancels every task then
        else:
            reason = _first_line(cause)
        return RunFault(f"lost the Dask scheduler at {self.address} ({reason})",
                        "check that it runs (`dask scheduler`), then run again")

    @property
    def description(self) -> str:
        return f"Dask at {self.address}, {len(self._workers())} workers"

    def _workers(self) -> dict:
        with self._faults():
            workers = self.client.scheduler_info(n_workers=-1)["workers"]
        if workers:
            self._worker_seen = time.monotonic()
        return workers

    def _check_served(self) -> None:
        """Raise when the scheduler is gone, or the cluster has had no worker for
        `worker_timeout` seconds; called while waiting, every POLL_SECONDS."""
        if self.client.status != "running":
            raise self._lost()
        if not self._workers() and time.monotonic() - self._worker_seen >= self.worker_timeout:
            raise RunFault(
                f"the Dask cluster at {self.address} has had no worker for"
                f" {self.worker_timeout:g} s",
                f"start workers with `dask worker {self.address}` and run again")

    def _cores(self, workers: dict) -> list[int] | None:
        """Each worker's CORES resource, when every worker declares one (else None)."""
        cores = [w.get("resources", {}).get(CORES) for w in workers.values()]
        return [int(c) for c in cores] if cores and None not in cores else None

    def slots(self) -> int:
        """Cores: the workers' CORES resources when they declare them; else their threads."""
        workers = self._workers()
        cores = self._cores(workers)
        if cores is not None:
            return max(1, sum(cores))
        return max(1, sum(w.get("nthreads", 1) for w in workers.values()))

    def most_threads(self) -> int:
        """A task takes several threads only where Dask reserves them: on workers started with
        `--resources CORES=N` (every task then asks for its threads of it); else one."""
        cores = self._cores(self._workers())
        return max(cores) if cores else 1

    def start(self, inputs: CompactInputs, modules: tuple[str, ...] = ()) -> None:
        """Every worker, and any that joins during the run, makes the inputs once. The
        scheduler and the workers must import the chapter's own `modules` to unpickle its
        tasks: checked first, so a missing one is one line, not a traceback or a worker that
        dies unpickling its first task."""
        from reportgen.engine.dask_inputs import InputsPlugin

        if modules:
            self._check_importable(modules)
        self.inputs = f"reportgen-inputs-{uuid.uuid4().hex}"
        self.reserves_cores = self._cores(self._workers()) is not None  # see most_threads
        with self._faults():
            self.client.register_plugin(InputsPlugin(self.inputs, inputs), name=self.inputs)
        self.completed = self._distributed.as_completed(loop=self.client.loop)

    def submit(self, experiment: Experiment, dependencies: tuple,
               companions: tuple[Experiment, ...] = (), threads: int = 1):
        with self._faults():
            reserve = {CORES: threads} if self.reserves_cores else None
            future = self.client.submit(execute_task, experiment, WorkerInputs(self.inputs),
                                        dependencies, companions=companions, threads=threads,
                                        key=f"{experiment.name}-{uuid.uuid4().hex}",
                                        pure=False, resources=reserve)
        self.futures.add(future)
        self.completed.add(future)
        return future

    def wait(self, futures: list) -> list:
        """The futures done by now, at least one (every future given was submitted here)."""
        ready = self.completed.thread_condition  # notified whenever a future is done
        while True:
            with ready:
                if not self.completed.has_ready():
                    ready.wait(timeout=self.POLL_SECONDS)
            if self.completed.has_ready():
                done = self.completed.next_batch(block=False)
                self.futures.difference_update(done)
                return done
            stop_if_signalled()
            self._check_served()

    def outcome(self, future) -> TaskOutcome:
        """A done task's outcome. The worker holding its result may be lost meanwhile (Dask
        then computes it again): fetching it takes at most `worker_timeout` at a time, and a
        task no longer done is waited for as `wait` does."""
        while True:
            if not future.done():
                time.sleep(self.POLL_SECONDS)
            else:
                try:
                    return future.result(timeout=self.worker_timeout)
                except self._distributed.KilledWorker as exc:
                    raise RunFault(f"a task's workers died again and again ({_first_line(exc)})",
                                   "see the Dask workers' logs (out of memory?)") from None
                except (OSError, TimeoutError, concurrent.futures.CancelledError) as exc:
                    if future.status == "error":
                        raise  # the task's own error, as it would be in this process
                    if not isinstance(exc, TimeoutError):
                        raise self._lost(exc) from None
            self._check_served()

    def close(self, kill: bool = False) -> None:
        """Let go of the run's tasks (cancelled with `kill`: a failed or interrupted run, so
        that the cluster does not compute for nobody), its inputs and the connection; the
        cluster itself keeps running. Raises nothing, even with the scheduler gone."""
        client, futures, self.futures = self.client, list(self.futures), set()
        inputs, self.inputs = self.inputs, None
        if client.status != "running":
            _disarm(client)
            return
        try:
            if kill and futures:
                client.cancel(futures, force=True)
            if inputs is not None:
                client.unregister_worker_plugin(inputs)
            client.close(timeout=self.CONNECT_SECONDS)
        except Exception:  # the scheduler went away meanwhile
            _disarm(client)


def open_scheduler(jobs: int | None = None, address: str | None = None,
                   worker_timeout: float = 60.0) -> Scheduler:
    """The scheduler for `--scheduler ADDRESS` (a Dask cluster: connected now, so a wrong
    address fails before any work; `worker_timeout`: see DaskCluster) or `--jobs N` (this
    machine; default all cores)."""
    jobs = jobs or cpu_count()
    if address is not None:  # "" too: a mistyped address, never a quiet local run
        return DaskCluster(address, worker_timeout)
    return InProcess() if jobs <= 1 else LocalProcesses(jobs)
