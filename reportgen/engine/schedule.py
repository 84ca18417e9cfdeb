"""The one place that decides the order of tasks, and what that order gives on more workers.

Policy: whenever a worker is free, start the ready task (everything it depends on finished)
with the longest chain of work ahead of it: its own duration plus the longest chain of tasks
that wait for it (its "bottom level"; ties by name). With independent tasks this is simply
longest first. The runner uses `priorities` to pick the next task; `project` simulates the
same policy on 1 to 64 workers from measured durations, to say what more machines can and
cannot buy: past some number of workers the wall time stops falling, bounded by the longest
chain of tasks (`critical_path`).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

WORKERS = (1, 2, 4, 8, 16, 32, 64)

Durations = Mapping[str, float]
DependsOn = Mapping[str, tuple[str, ...]]


def priorities(durations: Durations, depends_on: DependsOn) -> dict[str, float]:
    """Each task's duration plus the longest chain of tasks that need it (transitively)."""
    needed_by: dict[str, list[str]] = {name: [] for name in durations}
    for name in durations:
        for dependency in depends_on.get(name, ()):
            if dependency in needed_by:
                needed_by[dependency].append(name)
    level: dict[str, float] = {}

    def bottom(name: str) -> float:
        if name not in level:
            level[name] = durations[name] + max((bottom(n) for n in needed_by[name]),
                                                default=0.0)
        return level[name]

    for name in sorted(durations):
        bottom(name)
    return level


def next_task(ready: list[str], priority: Mapping[str, float]) -> str:
    """The policy's choice among the ready tasks."""
    return max(ready, key=lambda name: (priority.get(name, 0.0), name))


@dataclass(frozen=True)
class Projection:
    workers: int
    wall_seconds: float
    bounding_task: str  # the task that finishes last
    idle_seconds: float  # worker time spent waiting: workers x wall - the work


def project(durations: Durations, depends_on: DependsOn, workers: int) -> Projection:
    """The wall time of running every task on `workers` workers under the runner's policy."""
    priority = priorities(durations, depends_on)
    waiting = {name: {d for d in depends_on.get(name, ()) if d in durations}
               for name in durations}
    finish: dict[str, float] = {}
    running: list[tuple[float, str]] = []  # (finish time, task)
    now, free = 0.0, workers
    while waiting or running:
        ready = [name for name, needs in waiting.items() if not needs]
        while free and ready:
            name = next_task(ready, priority)
            ready.remove(name)
            del waiting[name]
            heapq.heappush(running, (now + durations[name], name))
            free -= 1
        now, done = heapq.heappop(running)
        finish[done] = now
        free += 1
        for needs in waiting.values():
            needs.discard(done)
    last = max(finish, key=lambda n: (finish[n], n))
    wall = finish[last]
    return Projection(workers, wall, last, workers * wall - sum(durations.values()))


def projections(durations: Durations, depends_on: DependsOn,
                workers: tuple[int, ...] = WORKERS) -> list[Projection]:
    return [project(durations, depends_on, n) for n in workers]


def critical_path(durations: Durations, depends_on: DependsOn) -> list[str]:
    """The longest chain of tasks, each depending on the one before: no number of workers
    finishes sooner than its total."""
    longest: dict[str, tuple[float, list[str]]] = {}

    def chain(name: str) -> tuple[float, list[str]]:
        if name not in longest:
            before = [chain(d) for d in depends_on.get(name, ()) if d in durations]
            total, path = max(before, default=(0.0, []), key=lambda c: (c[0], c[1]))
            longest[name] = (total + durations[name], path + [name])
        return longest[name]

    return max((chain(name) for name in sorted(durations)), key=lambda c: c[0])[1]


def worker_count(jobs: int | None, log=lambda message: None) -> int:
    """How many local workers a run gets: `jobs`, at most the cores this process may use (more
    processes than cores only compete for them, each holding its own copy of the models, and
    thousands of them take minutes to start and to stop); all cores by default."""
    from reportgen.provenance import cpu_count

    cores = cpu_count()
    if jobs is None:
        return cores
    if jobs > cores:
        log(f"--jobs {jobs} is more than the {cores} cores this process may use: running"
            f" {cores} workers")
        return cores
    return jobs


def release_runs(releases: int, jobs: int) -> list[int]:
    """How a matrix's runs (one per release environment) share the machine: the workers each
    run gets, in the order the runs go. They go one after another, each with all `jobs`
    workers: every run already spreads its own tasks over them, and two runs side by side
    would only share the same cores while holding two sets of models in memory."""
    return [jobs] * releases
