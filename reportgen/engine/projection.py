"""How long the chapter would take on more workers: list scheduling of the measured task graph.

Each experiment is a task with its measured duration and its dependencies. Tasks are started
longest first as soon as a worker is free and everything they depend on has finished (the
runner's own policy). The projection says what more machines can and cannot buy: past some
number of workers the wall time stops falling, bounded by the longest chain of tasks.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

WORKERS = (1, 2, 4, 8, 16, 32, 64)


@dataclass(frozen=True)
class Projection:
    workers: int
    wall_seconds: float
    bounding_task: str  # the task that finishes last


def project(durations: dict[str, float], depends_on: dict[str, tuple[str, ...]],
            workers: int) -> Projection:
    """The wall time of running every task on `workers` workers, by list scheduling."""
    finish: dict[str, float] = {}
    free = [0.0] * workers  # the time each worker becomes free
    heapq.heapify(free)
    pending = dict(durations)
    while pending:
        ready = [name for name in pending
                 if all(d in finish for d in depends_on.get(name, ()) if d in durations)]
        name = max(ready, key=lambda n: (pending[n], n))  # longest first, ties by name
        worker_free = heapq.heappop(free)
        start = max([worker_free] + [finish[d] for d in depends_on.get(name, ())
                                     if d in finish])
        finish[name] = start + pending.pop(name)
        heapq.heappush(free, finish[name])
    last = max(finish, key=lambda n: (finish[n], n))
    return Projection(workers, finish[last], last)


def projections(durations: dict[str, float], depends_on: dict[str, tuple[str, ...]],
                workers: tuple[int, ...] = WORKERS) -> list[Projection]:
    return [project(durations, depends_on, n) for n in workers]


def critical_path(durations: dict[str, float],
                  depends_on: dict[str, tuple[str, ...]]) -> list[str]:
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
