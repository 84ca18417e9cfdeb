"""Run the chapter's experiments: from the cache where nothing changed, otherwise in parallel.

Independent experiments run at the same time through joblib (any joblib backend: wrap the call
in `joblib.parallel_config(backend=...)` to send them elsewhere). Experiments that depend on
others run in a later wave; they are cheap by design (they derive, they do not fit).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Protocol

from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from reportgen.data import Dataset
from reportgen.engine.cache import ResultCache, result_key
from reportgen.engine.memory import peak_memory
from reportgen.engine.profiles import Inputs, Profile, make_inputs
from reportgen.engine.registry import (
    Experiment,
    all_experiments,
    in_dependency_order,
    with_dependencies,
)
from reportgen.provenance import cpu_count
from reportgen.sections import Section, select


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


@dataclass
class RunResult:
    dataset: Dataset
    profile: Profile
    jobs: int
    wall_seconds: float
    sections: list[Section] = field(default_factory=list)  # what was asked for, report order
    runs: dict[str, ExperimentRun] = field(default_factory=dict)  # in dependency order

    def __getitem__(self, name: str):
        return self.runs[name].result

    @property
    def computed(self) -> list[str]:
        return [name for name, run in self.runs.items() if not run.cached]


def _execute(experiment_name: str, inputs: Inputs, dependencies: tuple):
    """Runs in a worker: look the experiment up by name (functions travel badly), time it,
    and keep its warnings as data for the report instead of letting them scroll by.

    Each experiment runs on one thread: KNN breaks distance ties differently with another
    thread count, so this keeps the numbers independent of --jobs and of the machine's cores.
    Parallelism comes from running experiments side by side.
    """
    experiment = all_experiments()[experiment_name]
    started = time.perf_counter()
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught, \
            peak_memory() as peak:
        warnings.simplefilter("always")
        result = experiment.run(inputs, *dependencies)
    seconds = time.perf_counter() - started
    messages = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return experiment_name, result, seconds, messages, peak["bytes"]


def _waves(pending: list[Experiment], done: set[str]) -> list[list[Experiment]]:
    """Group experiments so each wave needs only results of earlier waves; longest first."""
    waves, done = [], set(done)
    while pending:
        ready = [e for e in pending if all(d in done for d in e.depends_on)]
        if not ready:
            raise RuntimeError(f"circular dependencies among {[e.name for e in pending]}")
        waves.append(sorted(ready, key=lambda e: -e.cost))
        done |= {e.name for e in ready}
        pending = [e for e in pending if e not in ready]
    return waves


def run_experiments(
    dataset: Dataset,
    profile: Profile,
    jobs: int | None = None,
    force: bool = False,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
    log=lambda message: None,
    sections: list[Section] | None = None,
) -> RunResult:
    """The results of the sections' experiments (all sections by default) and of what they
    depend on, for this dataset and profile; only what changed is computed."""
    started = time.perf_counter()
    sections = sections if sections is not None else select()
    names = with_dependencies([name for section in sections for name in section.experiments])
    experiments = {e.name: e for e in in_dependency_order(names)}
    cache = cache or ResultCache()
    progress = progress or NoProgress()
    jobs = max(1, jobs or cpu_count())
    run = RunResult(dataset=dataset, profile=profile, jobs=jobs, wall_seconds=0.0,
                    sections=list(sections))

    keys: dict[str, str] = {}
    pending: list[Experiment] = []
    for name, experiment in experiments.items():  # each after the experiments it needs
        keys[name] = result_key(
            experiment, dataset.checksum, profile.as_dict(),
            [keys[d] for d in experiment.depends_on],
        )
        hit = None if force else cache.get(experiment, keys[name], log)
        if hit is None:
            pending.append(experiment)
        else:
            result, seconds, messages, peak_rss = hit
            run.runs[name] = ExperimentRun(name, result, seconds, True, keys[name], messages,
                                           peak_rss)

    progress.start(total=len(experiments), cached=len(experiments) - len(pending))
    inputs = make_inputs(dataset, profile) if pending else None
    for wave in _waves(pending, set(run.runs)):
        waiting = [e.name for e in wave]
        progress.running(waiting[:jobs])
        calls = (
            delayed(_execute)(e.name, inputs, tuple(run.runs[d].result for d in e.depends_on))
            for e in wave
        )
        n_jobs = min(jobs, len(wave))
        outcomes = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(calls)
        for name, result, seconds, messages, peak_rss in outcomes:
            cache.put(experiments[name], keys[name], result, seconds, messages, peak_rss)
            run.runs[name] = ExperimentRun(name, result, seconds, False, keys[name], messages,
                                           peak_rss)
            waiting.remove(name)
            progress.finished(name, seconds)
            progress.running(waiting[:jobs])

    run.runs = {name: run.runs[name] for name in experiments}
    run.wall_seconds = time.perf_counter() - started
    return run
