"""Repeats: the chapter's run again under other seeds, to tell what a number owes to its seed.

Repeat 0 is the chapter's run, unchanged to the bit. Repeat r >= 1 replaces every seed the
chapter sets with one drawn from a documented sequence: a source whose chapter seed is `s`
gets `repeat_seed(r, s)`, the first 32-bit word of `numpy.random.SeedSequence(s,
spawn_key=(r,))`. Sources the chapter leaves unseeded but deterministic (its unshuffled
`cv=3` splits) become shuffled splits seeded `repeat_seed(r, UNSHUFFLED_SPLIT_SEED)`.

Code asks for its seed with `reseeded(42)` (the estimators, the manual folds, the denoising
noise); the engine sets which repeat a task computes (`in_repeat`). A task whose code never
asks, and whose inputs do not vary, is deterministic: it runs once, whatever `--repeats` says
(`varying` finds which do vary, from the code the cache key follows).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from reportgen.errors import ReportgenError

if TYPE_CHECKING:  # repeats know experiments only by their fields: no import circle
    from reportgen.engine.registry import Experiment

# The most repeats a run may ask for: 100 repeats of the full chapter are about 38 hours on 2
# cores (scaled from 68 min 26 s for 3 repeats, measured for v0005), and a 95 % interval from
# 100 values is already tight; a larger number is likely a typo, and its tasks alone fill
# memory before any work (100,000 repeats: 2 GB, as the issue measured).
MAX_REPEATS = 100
UNSHUFFLED_SPLIT_SEED = 0  # the "chapter seed" of a split the chapter leaves unshuffled
_REPEAT: ContextVar[int] = ContextVar("reportgen_repeat", default=0)
_MARK = "@r"  # "binary.forest.fold0@r2": fold 0 of the forest in repeat 2


def repeat_seed(repeat: int, chapter_seed: int) -> int:
    """The seed of repeat `repeat` for a source the chapter seeds with `chapter_seed`."""
    if repeat == 0:
        return chapter_seed
    return int(np.random.SeedSequence(chapter_seed, spawn_key=(repeat,)).generate_state(1)[0])


def reseeded(chapter_seed: int) -> int:
    """The seed to use now: the chapter's in repeat 0 (and outside any task), else the
    repeat's. Every seeded source of a section goes through here, so repeats reach it. Called
    at module level it would run once, at import, and no repeat would reach it: refused."""
    caller = sys._getframe(1)
    if caller.f_code.co_name == "<module>":
        raise ReportgenError(
            f"reseeded({chapter_seed}) is called at module level"
            f" ({caller.f_code.co_filename}:{caller.f_lineno}): it would run once, at import,"
            " and repeats could not reseed it; call it inside the function that uses the seed")
    return repeat_seed(_REPEAT.get(), chapter_seed)


def current_repeat() -> int:
    return _REPEAT.get()


@contextmanager
def in_repeat(repeat: int) -> Iterator[None]:
    """Within the block, `reseeded` gives repeat `repeat`'s seeds (a task's run is wrapped
    in this wherever it executes)."""
    token = _REPEAT.set(repeat)
    try:
        yield
    finally:
        _REPEAT.reset(token)


def task_name(name: str, repeat: int) -> str:
    """The name of `name`'s task in `repeat` (repeat 0 keeps the chapter's name)."""
    return name if repeat == 0 else f"{name}{_MARK}{repeat}"


def split_name(name: str) -> tuple[str, int]:
    """("binary.forest", 2) for "binary.forest@r2"; (name, 0) for a chapter task."""
    base, mark, repeat = name.rpartition(_MARK)
    return (base, int(repeat)) if mark and repeat.isdigit() else (name, 0)


def varying(experiments: Iterable[Experiment]) -> set[str]:
    """The experiments (given in dependency order) whose result changes with the repeat: they
    draw a seed or reshuffle a split, or depend on one that does."""
    found: set[str] = set()
    for experiment in experiments:
        if experiment.draws_seeds() or any(d in found for d in experiment.depends_on):
            found.add(experiment.name)
    return found


def with_repeats(experiments: list[Experiment], repeats: int) -> list[Experiment]:
    """The chapter's experiments (in dependency order), then for each repeat 1..repeats-1 a
    task for every varying one, wired to the same repeat's dependencies. Deterministic ones
    are shared by all repeats. Each repeat's tasks carry the repeat in their cache settings,
    so a repeat is cached on its own: asking for more repeats computes only the new ones."""
    if not 1 <= repeats <= MAX_REPEATS:
        raise ReportgenError(f"--repeats must be between 1 and {MAX_REPEATS}, got {repeats}")
    changing = varying(experiments)
    tasks = list(experiments)
    for repeat in range(1, repeats):
        for experiment in experiments:
            if experiment.name not in changing:
                continue
            tasks.append(replace(
                experiment,
                name=task_name(experiment.name, repeat),
                depends_on=tuple(task_name(d, repeat) if d in changing else d
                                 for d in experiment.depends_on),
                repeat=repeat,
                settings=f"{experiment.settings}; repeat {repeat}",
            ))
    return tasks


def repeated_tasks(durations: dict[str, float], depends_on: dict[str, tuple[str, ...]],
                   varying_names: set[str], repeats: int
                   ) -> tuple[dict[str, float], dict[str, tuple[str, ...]]]:
    """The chapter's tasks (repeat 0) as `--repeats N` would run them, for a projection: each
    task whose result varies again in every other repeat, as long as in repeat 0 (as the runner
    estimates a new repeat's task), depending on its own repeat's tasks."""
    durations, depends = dict(durations), dict(depends_on)
    for repeat in range(1, repeats):
        for name in depends_on:
            if name in varying_names:
                copy = task_name(name, repeat)
                durations[copy] = durations[name]
                depends[copy] = tuple(task_name(d, repeat) if d in varying_names else d
                                      for d in depends_on[name])
    return durations, depends
