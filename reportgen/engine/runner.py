"""Run the chapter's tasks: from the cache where nothing changed, otherwise on a scheduler.

Tasks are the chapter's experiments (handed over by the command), fine-grained: a cross-
validation is one task per fold (`engine.cv`), so the folds of the longest experiment spread
over workers. The loop below keeps every core busy: whenever cores are free it starts the
ready task with the longest chain of work ahead, on the threads the policy gives it
(`engine.schedule`, from the durations measured last time, kept beside the cache). Where the
tasks run is the scheduler's business (`engine.schedulers`): this process, worker processes on
this machine, or a Dask cluster; the numbers are the same to the bit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reportgen.data import Dataset
from reportgen.engine.cache import ResultCache, code_fingerprint, fingerprint_difference, result_key
from reportgen.engine.profiles import CompactInputs, Profile, compact_inputs
from reportgen.engine.registry import Experiment, in_dependency_order, with_dependencies
from reportgen.engine.repeats import split_name, task_name, varying, with_repeats
from reportgen.engine.schedule import Plan, Speedup
from reportgen.engine.schedulers import RunFault, Scheduler, TaskOutcome, open_scheduler
from reportgen.interrupts import stop_if_signalled
from reportgen.provenance import cpu_count


class Progress(Protocol):
    def start(self, total: int, cached: int) -> None: ...
    def running(self, names: list[str]) -> None: ...
    def finished(self, name: str, seconds: float) -> None: ...


class NoProgress:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def start(self, total: int, cached: int) -> None:
        pass

    def running(self, names: list[str]) -> None:
        pass

    def finished(self, name: str, seconds: float) -> None:
        pass


@dataclass
class ExperimentRun:
    name: str
    result: Any
    seconds: float  # wall time of the computation (when cached: of the run that computed it)
    cached: bool
    key: str
    warnings: list[str] = field(default_factory=list)  # e.g. SGD's ConvergenceWarning, once each
    peak_rss: int | None = None  # bytes: the process's peak while computing it (None: unknown)
    depends_on: tuple[str, ...] = ()
    started: float | None = None  # seconds after the run began that it started (computed only;
    # by the clock of the machine that ran it, so a cluster's clock skew shows here)
    where: str = ""  # the process that computed it, in this run
    threads: int = 1  # the threads its fits ran on (engine.threads)
    rides_with: str | None = None  # an `on_model` experiment: the task it runs in


@dataclass
class RunResult:
    dataset: Dataset
    profile: Profile
    jobs: int  # workers the tasks ran on (1: this process)
    wall_seconds: float
    scheduler: str = "this process"  # where the computed tasks ran
    # What was asked for, in the report's order: the caller's sections (`sections.api.Section`),
    # carried for the report; the engine reads only their `tasks`.
    sections: list[Any] = field(default_factory=list)
    runs: dict[str, ExperimentRun] = field(default_factory=dict)  # in dependency order
    repeats: int = 1  # repeat 0 is the chapter's run; see engine.repeats
    varying: set[str] = field(default_factory=set)  # experiments whose result has repeats
    # For the projection: each task's speed-up with threads and its one-thread seconds (its
    # measured seconds where it ran on one thread; else converted through its speed-up)
    speedups: dict[str, Speedup] = field(default_factory=dict)
    one_thread_seconds: dict[str, float] = field(default_factory=dict)
    # Each task's code digest and what it is made of, by name (`Experiment.reads`): what the
    # version records so that `diff` names the code and constants that changed.
    code: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def __getitem__(self, name: str):
        return self.runs[name].result

    def repeat_results(self, name: str) -> list:
        """Experiment `name`'s result in each repeat, the chapter's first; one result when
        it does not vary with the seed (or the run has no repeats)."""
        if name not in self.varying:
            return [self[name]]
        return [self[task_name(name, repeat)] for repeat in range(self.repeats)]

    @property
    def computed(self) -> list[str]:
        return [name for name, run in self.runs.items() if not run.cached]


def run_experiments(
    dataset: Dataset,
    profile: Profile,
    sections: Sequence[Any],
    experiments: Mapping[str, Experiment] | None = None,
    jobs: int | None = None,
    force: bool = False,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
    log=lambda message: None,
    scheduler: Scheduler | None = None,
    repeats: int = 1,
    threads: int | None = None,
) -> RunResult:
    """The results of the sections' experiments and of the tasks they depend on (looked up in
    `experiments`, the chapter's every task; default: the sections' own), for this dataset and
    profile, in `repeats` repeats (repeat 0 is the chapter's run; see `engine.repeats`); only
    what changed is computed, on `scheduler` (see `engine.schedulers.open_scheduler`; the
    runner closes it when done), else on `jobs` processes of this machine. `threads`: every
    task that can split runs on exactly this many threads (None: as the policy decides)."""
    started = time.perf_counter()
    if experiments is None:
        experiments = {name: task for section in sections for name, task in section.tasks.items()}
    names = with_dependencies([name for section in sections for name in section.tasks],
                              experiments)
    chapter = in_dependency_order(names, experiments)
    tasks = {e.name: e for e in with_repeats(chapter, repeats)}
    cache = cache or ResultCache()
    progress = progress or NoProgress()
    jobs = max(1, jobs or cpu_count())
    run = RunResult(dataset=dataset, profile=profile, jobs=jobs, wall_seconds=0.0,
                    sections=list(sections), repeats=repeats, varying=varying(chapter))

    keys: dict[str, str] = {}
    digests: dict[str, str] = {}
    pending: list[Experiment] = []
    for name, experiment in tasks.items():  # each after the experiments it needs
        state = experiment.state_read()
        digests[name] = experiment.code_digest(state)
        if experiment.repeat == 0:  # a repeat runs the same code
            run.code[name] = (digests[name], experiment.reads(state))
        keys[name] = result_key(
            experiment, f"{dataset.checksum}:{dataset.spec.features!r}", profile.as_dict(),
            [keys[d] for d in experiment.depends_on], digests[name],
        )
        hit = None if force else cache.get(experiment, keys[name], log)
        if hit is None:
            pending.append(experiment)
        else:
            result, seconds, messages, peak_rss, used = hit
            run.runs[name] = ExperimentRun(name, result, seconds, True, keys[name], messages,
                                           peak_rss, experiment.depends_on, threads=used,
                                           rides_with=_lead_of(experiment))

    pending = _with_leads(pending, tasks)
    progress.start(total=len(tasks), cached=len(tasks) - len(pending))
    workers = scheduler
    scope = f"{dataset.name}-{dataset.checksum[:12]}/{profile.name}"
    try:  # whatever ends the run, at any moment (Ctrl-C too), stops its workers, leaves nothing
        if pending:
            workers = workers or open_scheduler(jobs)
            try:
                run.scheduler, run.jobs = workers.description, workers.slots()
                _compute(pending, compact_inputs(dataset, profile), workers, run, keys, digests,
                         cache, cache.durations(scope), progress, started, threads)
            except RunFault as fault:
                raise fault.kept(len(run.computed), len(pending)) from None
            cache.remember_durations(scope, {name: (r.threads, r.seconds)
                                             for name, r in run.runs.items() if not r.cached})
        if workers is not None:
            workers.close()
    except BaseException:
        if workers is not None:
            workers.close(kill=True)
        raise

    run.runs = {name: run.runs[name] for name in tasks}
    run.speedups, run.one_thread_seconds = _speedups(run, tasks, cache.durations(scope))
    run.wall_seconds = time.perf_counter() - started
    return run


def _lead_of(experiment: Experiment) -> str | None:
    return experiment.depends_on[0] if experiment.on_model else None


def _measured(name: str, measured: Mapping[str, dict[int, float]]) -> dict[int, float]:
    """A task's measured seconds by threads; a new repeat's task: as long as the chapter's."""
    return measured.get(name) or measured.get(split_name(name)[0]) or {}


def _speedup_of(experiment: Experiment, measured: Mapping[str, dict[int, float]]) -> Speedup:
    return Speedup.solved(experiment.threads, _measured(experiment.name, measured))


def _one_thread(seconds: float, threads: int, speedup: Speedup) -> float:
    return seconds / speedup.factor(threads)


def _one_thread_estimate(experiment: Experiment, measured: Mapping[str, dict[int, float]],
                         speedup: Speedup) -> float:
    """Its seconds on one thread as last measured (or converted from its time on the most
    threads it was measured on); its cost x 10 when never measured."""
    by_threads = _measured(experiment.name, measured)
    if 1 in by_threads:
        return by_threads[1]
    if by_threads:
        most = max(by_threads)
        return _one_thread(by_threads[most], most, speedup)
    return experiment.cost * 10


def _speedups(run: RunResult, tasks: Mapping[str, Experiment],
              measured: Mapping[str, dict[int, float]]
              ) -> tuple[dict[str, Speedup], dict[str, float]]:
    """Every task's speed-up and one-thread seconds, from all that is measured of it."""
    speedups = {name: _speedup_of(tasks[name], measured) for name in run.runs}
    one_thread = {}
    for name, r in run.runs.items():
        at_one = _measured(name, measured).get(1)
        one_thread[name] = (r.seconds if r.threads == 1 else
                            at_one if at_one is not None else
                            _one_thread(r.seconds, r.threads, speedups[name]))
    return speedups, one_thread


def _with_leads(pending: list[Experiment], tasks: Mapping[str, Experiment]) -> list[Experiment]:
    """`pending`, plus the cached experiments whose model a pending `on_model` one needs: the
    model is not cached (only results are), so its experiment runs again (to the same result)."""
    names = {e.name for e in pending}
    leads = [tasks[e.depends_on[0]] for e in pending
             if e.on_model and e.depends_on[0] not in names]
    return [*pending, *dict.fromkeys(leads)]


def _compute(pending: list[Experiment], inputs: CompactInputs, workers: Scheduler, run: RunResult,
             keys: dict[str, str], digests: dict[str, str], cache: ResultCache,
             measured: dict[str, dict[int, float]], progress: Progress, started: float,
             fixed_threads: int | None = None) -> None:
    """Keep every core busy until every pending task has its result (cached as it comes).
    An `on_model` experiment is no task of its own: it rides in its lead's."""
    speedups = {e.name: _speedup_of(e, measured) for e in pending}
    estimates = {e.name: _one_thread_estimate(e, measured, speedups[e.name]) for e in pending}
    riders: dict[str, tuple[Experiment, ...]] = {}
    for e in pending:
        if e.on_model:
            riders[e.depends_on[0]] = (*riders.get(e.depends_on[0], ()), e)
            estimates[e.depends_on[0]] += estimates.pop(e.name)  # predicting: one thread
    leading = [e for e in pending if not e.on_model]
    plan = Plan(estimates, {e.name: e.depends_on for e in leading}, speedups, workers.slots(),
                workers.most_threads(), fixed_threads)
    waiting = {e.name: e for e in leading}
    running: dict[Any, tuple[Experiment, int]] = {}  # future -> its task, its threads
    began = time.time() - (time.perf_counter() - started)  # the run's start, wall clock
    here = code_fingerprint()
    workers.start(inputs, _modules_outside_reportgen(pending))
    while waiting or running:
        stop_if_signalled()  # between tasks: a signal whose raise was deferred stops here
        ready = [name for name, e in waiting.items() if all(d in run.runs for d in e.depends_on)]
        # asked once a round: a cluster's answer is a call
        free = workers.slots() - sum(threads for _, threads in running.values())
        for name, threads in plan.starts(ready, free):
            experiment = waiting.pop(name)
            dependencies = tuple(run.runs[d].result for d in experiment.depends_on)
            future = workers.submit(experiment, dependencies, riders.get(name, ()), threads)
            running[future] = (experiment, threads)
        progress.running([e.name for e, _ in running.values()])
        for future in workers.wait(list(running)):
            lead, threads = running.pop(future)
            outcome: TaskOutcome = workers.outcome(future)
            for experiment, done, used in ((lead, outcome, threads),
                                           *((rider, companion, 1) for rider, companion in
                                             zip(riders.get(lead.name, ()), outcome.companions,
                                                 strict=True))):
                name = experiment.name
                _same_environment(done, here, digests[name])
                cache.put(experiment, keys[name], done.result, done.seconds, done.warnings,
                          done.peak_rss, used)
                run.runs[name] = ExperimentRun(
                    name, done.result, done.seconds, False, keys[name], done.warnings,
                    done.peak_rss, experiment.depends_on, done.started_at - began, done.where,
                    used, _lead_of(experiment))
                progress.finished(name, done.seconds)


def _modules_outside_reportgen(experiments: list[Experiment]) -> tuple[str, ...]:
    """The modules the experiments' code is defined in, other than reportgen's: a chapter of the
    user's, which a remote process must import to run its tasks."""
    modules = set()
    for experiment in experiments:
        for code in experiment.code or (experiment.run,):
            code = getattr(code, "func", code)  # a fold task's functools.partial
            module = getattr(code, "__module__", None) or ""
            if module and module.split(".")[0] != "reportgen":
                modules.add(module)
    return tuple(sorted(modules))


def _same_environment(outcome: TaskOutcome, here: dict, code_digest: str) -> None:
    """A result is cached and used only if the process that computed it ran this process's
    code and libraries (the cache key says they did): a Dask worker from another environment
    may join a cluster at any time, and a worker may import another copy of a section module
    from outside reportgen (its digest of the task's code differs then)."""
    difference = fingerprint_difference(outcome.fingerprint, here)
    if not difference and outcome.code_digest not in (None, code_digest):
        difference = (f"the code of {outcome.name} (its section's module or a helper it uses)"
                      f" has digest {outcome.code_digest[:12]} there, {code_digest[:12]} here")
    if difference:
        raise RunFault(f"worker {outcome.where} computed {outcome.name} with other code than"
                       f" this machine ({difference}), so its result was not kept",
                       "install the same reportgen and libraries on every worker (after an edit"
                       " of reportgen's files: start this process again), then run again")
