"""The one place that decides the order of tasks, the threads each gets, and what that gives on
more cores.

Policy, in three rules:
1. **Threads where they shorten the run** (before the run, from the tasks' measured durations):
   every task starts with one thread; while the longest chain of tasks is longer than the work
   spread evenly over the cores, the task on that chain whose time falls most from one more
   thread gets it, if it can use one (its `threads`, see `engine.threads`). This is the
   "critical path and area" allotment of Radulescu & van Gemund (2001).
2. **Longest chain first**: whenever cores are free, the ready task (everything it depends on
   finished) with the longest chain of work ahead of it starts: its own duration plus the
   longest chain of tasks that wait for it (its "bottom level"; ties by name).
3. **Spare cores are used**: a task starts on its allotted threads, or on the cores left over
   when fewer tasks are ready than there are free cores (one kept for each other ready task),
   up to the threads it can use and the cores one worker has; never more than are free.

The runner uses `Plan` to start tasks; `project` simulates the same policy on 1 to 64 cores
from measured durations, to say what more cores can and cannot buy: past some number of cores
the wall time stops falling, bounded by the longest chain of tasks at their most threads.

How a task's time falls with threads (`Speedup`): a task of u independent pieces (10 classes,
100 trees) on k threads takes t1 x (s + (1 - s) x ceil(u/k)/u): the pieces go round the threads
in ceil(u/k) rounds, and a fraction s of its one-thread time t1 (checking the input, the
scaler, predicting) does not split. s is solved from the task's own durations measured at two
thread counts (kept beside the cache); a task never measured at two is modelled with s = 0, a
lower bound on its time, and said to be so.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

WORKERS = (1, 2, 4, 8, 16, 32, 64)

Durations = Mapping[str, float]
DependsOn = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Speedup:
    """How one task's time falls with threads (see the module's docstring)."""

    pieces: int = 1  # the most threads that can help it (1: it does not split)
    serial: float = 0.0  # s: the fraction of its one-thread time that does not split
    measured: tuple[int, ...] = ()  # the thread counts s was solved from (): assumed 0

    def factor(self, threads: int) -> float:
        """Its time on `threads` threads as a fraction of its one-thread time."""
        k = max(1, min(threads, self.pieces))
        return self.serial + (1 - self.serial) * math.ceil(self.pieces / k) / self.pieces

    def most_useful(self, cores: int) -> int:
        """The fewest threads, at most `cores`, that give its shortest time."""
        k = max(1, min(cores, self.pieces))
        return math.ceil(self.pieces / math.ceil(self.pieces / k))

    @classmethod
    def solved(cls, pieces: int, seconds_by_threads: Mapping[int, float]) -> Speedup:
        """The speed-up of a task of `pieces` pieces from its measured seconds at each thread
        count: s from the one-thread time and the time at the most threads measured."""
        if pieces <= 1:
            return cls()
        useful = {min(k, pieces): t for k, t in seconds_by_threads.items() if t > 0}
        most = max(useful, default=1)
        if 1 not in useful or most == 1:
            return cls(pieces)
        rounds = math.ceil(pieces / most) / pieces
        serial = (useful[most] / useful[1] - rounds) / (1 - rounds)
        return cls(pieces, min(1.0, max(0.0, serial)), (1, most))


def riding_along(one_thread: Durations, depends_on: DependsOn,
                 speedups: Mapping[str, Speedup], rides_with: Mapping[str, str | None]
                 ) -> tuple[dict[str, float], dict[str, tuple[str, ...]], dict[str, Speedup]]:
    """The tasks as they run: an experiment that rides in another's task (`on_model`: it
    predicts on one thread, right after the fit) is added to that task, whose speed-up then
    has the ride's time in its serial part."""
    durations, depends = dict(one_thread), {n: tuple(depends_on.get(n, ())) for n in one_thread}
    speeds = {n: speedups.get(n, Speedup()) for n in one_thread}
    for name, lead in rides_with.items():
        if lead is None or lead not in durations or name not in durations:
            continue
        lead_seconds, ride = durations[lead], durations.pop(name)
        depends.pop(name)
        total = lead_seconds + ride
        own = speeds[lead]
        serial = (lead_seconds * own.serial + ride) / total if total else own.serial
        speeds[lead] = Speedup(own.pieces, serial, own.measured)
        durations[lead] = total
        speeds.pop(name)
    for name in depends:
        depends[name] = tuple(d if rides_with.get(d) is None else rides_with[d]
                              for d in depends[name] if d != name)
    return durations, depends, speeds


def longest_unsplittable(one_thread: Durations, speedups: Mapping[str, Speedup],
                         cores: int) -> tuple[str, float]:
    """The task that takes longest even on its most useful threads (at most `cores`): no
    number of cores runs the work in less."""
    def shortest(name: str) -> float:
        speedup = speedups.get(name, Speedup())
        return one_thread[name] * speedup.factor(speedup.most_useful(cores))

    name = max(one_thread, key=lambda n: (shortest(n), n))
    return name, shortest(name)


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


def allot(one_thread: Durations, depends_on: DependsOn, speedups: Mapping[str, Speedup],
          cores: int, most_threads: int) -> dict[str, int]:
    """Rule 1: the threads each task gets, before any task runs."""
    threads = {name: 1 for name in one_thread}
    if cores <= 1 or most_threads <= 1:
        return threads
    ceiling = {name: min(speedups.get(name, Speedup()).most_useful(most_threads), cores)
               for name in one_thread}

    def seconds(name: str) -> float:
        return one_thread[name] * speedups.get(name, Speedup()).factor(threads[name])

    while True:
        durations = {name: seconds(name) for name in one_thread}
        path = critical_path(durations, depends_on)
        area = sum(threads[n] * durations[n] for n in one_thread) / cores
        if sum(durations[n] for n in path) <= area:
            return threads
        gains = {}
        for name in path:
            if threads[name] < ceiling[name]:
                more = min(_next_useful(threads[name], speedups[name]), ceiling[name])
                gains[name] = (more, durations[name]
                               - one_thread[name] * speedups[name].factor(more))
        if not gains:
            return threads
        best = max(gains, key=lambda n: (gains[n][1], n))
        threads[best] = gains[best][0]


def _next_useful(threads: int, speedup: Speedup) -> int:
    """The next thread count that shortens the task (fewer rounds of pieces)."""
    rounds = math.ceil(speedup.pieces / threads)
    return math.ceil(speedup.pieces / (rounds - 1)) if rounds > 1 else threads


@dataclass
class Plan:
    """The policy for one run: the tasks' one-thread estimates, their speed-ups, the threads
    rule 1 gives them and their priorities (rule 2) on `cores` cores, at most `most_threads`
    for one task (the cores of one worker)."""

    one_thread: dict[str, float]
    depends_on: dict[str, tuple[str, ...]]
    speedups: dict[str, Speedup]
    cores: int
    most_threads: int
    # every task that can split gets exactly this many (`--threads N`), waiting for them
    fixed_threads: int | None = None
    threads: dict[str, int] = field(init=False)
    priority: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        if self.fixed_threads is None:
            self.threads = allot(self.one_thread, self.depends_on, self.speedups, self.cores,
                                 self.most_threads)
        else:
            self.threads = {name: min(self.fixed_threads, self.most_threads, self.cores,
                                      self.speedups.get(name, Speedup()).pieces)
                            for name in self.one_thread}
        self.priority = priorities({name: self.seconds(name, self.threads[name])
                                    for name in self.one_thread}, self.depends_on)

    def seconds(self, name: str, threads: int) -> float:
        return self.one_thread[name] * self.speedups.get(name, Speedup()).factor(threads)

    def starts(self, ready: list[str], free: int) -> list[tuple[str, int]]:
        """Rules 2 and 3: which ready tasks start now on `free` cores, each with its threads."""
        chosen, ready = [], list(ready)
        while free > 0 and ready:
            name = next_task(ready, self.priority)
            ready.remove(name)
            threads = self.threads[name]
            if self.fixed_threads is not None and threads > free:
                break  # exactly its threads: it waits for them, and the tasks after it too
            if self.fixed_threads is None:
                spare = free - len(ready)  # a core kept for each other ready task
                threads = max(threads, min(spare, self.speedups.get(name, Speedup())
                                           .most_useful(self.most_threads)))
            threads = max(1, min(threads, free))
            chosen.append((name, threads))
            free -= threads
        return chosen


@dataclass(frozen=True)
class Projection:
    workers: int  # cores
    wall_seconds: float
    bounding_task: str  # the task that finishes last
    idle_seconds: float  # core time spent waiting: cores x wall - the work


def project(durations: Durations, depends_on: DependsOn, workers: int,
            speedups: Mapping[str, Speedup] | None = None) -> Projection:
    """The wall time of running every task on `workers` cores of one machine under the
    runner's policy; `durations` are one-thread seconds (without `speedups`, no task splits)."""
    plan = Plan(dict(durations), {n: tuple(depends_on.get(n, ())) for n in durations},
                dict(speedups or {}), workers, workers)
    waiting = {name: {d for d in depends_on.get(name, ()) if d in durations}
               for name in durations}
    finish: dict[str, float] = {}
    running: list[tuple[float, str, int]] = []  # (finish time, task, threads)
    now, free, work = 0.0, workers, 0.0
    while waiting or running:
        ready = [name for name, needs in waiting.items() if not needs]
        for name, threads in plan.starts(ready, free):
            del waiting[name]
            seconds = plan.seconds(name, threads)
            work += threads * seconds
            heapq.heappush(running, (now + seconds, name, threads))
            free -= threads
        now, done, threads = heapq.heappop(running)
        finish[done] = now
        free += threads
        for needs in waiting.values():
            needs.discard(done)
    last = max(finish, key=lambda n: (finish[n], n))
    wall = finish[last]
    return Projection(workers, wall, last, workers * wall - work)


def projections(durations: Durations, depends_on: DependsOn,
                workers: tuple[int, ...] = WORKERS,
                speedups: Mapping[str, Speedup] | None = None) -> list[Projection]:
    return [project(durations, depends_on, n, speedups) for n in workers]


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
