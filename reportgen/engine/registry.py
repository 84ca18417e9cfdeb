"""Experiments are named units: a function from the chapter's inputs (and results it depends on)
to a plain result dataclass. They are the tasks the runner schedules: an experiment that
cross-validates depends on one task per fold (`engine.cv`), registered here too. Sections
register them (`Section.experiment`, `Section.cross_validation`); the runner takes them in
dependency order (`in_dependency_order`), never in the order they were registered."""

from __future__ import annotations

import functools
import hashlib
import inspect
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Experiment:
    name: str  # "binary.sgd": section, then unit
    run: Callable
    result_type: type
    depends_on: tuple[str, ...]
    cost: float  # a first guess at its seconds on the full data / 10, until it has been timed
    code: tuple[Callable, ...] = ()  # the functions its result depends on; () means (run,)
    settings: str = ""  # what else decides the result (a fold task: which fold of which split)
    reshuffles: bool = False  # a fold task: its split is drawn anew in every repeat
    repeat: int = 0  # which repeat of the chapter's run it computes (engine.repeats)

    def code_digest(self) -> str:
        """What the cache key knows of this experiment's code: its functions, its result type,
        every reportgen function, class and constant they use (directly or through them, so
        changing a shared helper or a seed reruns exactly the experiments that use it), its
        settings, and the code that makes the inputs."""
        parts = [_source(self.result_type), self.settings]
        for function in self.code or (self.run,):
            parts += [_without_decorators(function)] + _code_used_by(function)
        parts += [path.read_text(encoding="utf-8") for path in _SHARED_CODE]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def draws_seeds(self) -> bool:
        """Whether its result changes with the repeat: a fold task's split is reshuffled; other
        code changes when it (or a helper it uses) asks `engine.repeats.reseeded` for a seed."""
        from reportgen.engine.repeats import reseeded

        return self.reshuffles or any(reseeded in _functions_used_by(function)
                                      for function in self.code or (self.run,))


def _without_decorators(function: Callable) -> str:
    """A function's source from `def` on: its @experiment line holds a scheduling hint (cost)
    that must not invalidate cached results."""
    lines = _source(function).splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("def ")), 0)
    return "\n".join(lines[start:])


@functools.cache
def _source(code_object: Callable | type) -> str:
    """inspect.getsource, once per function or class and process: for a class it parses the
    whole module, which made a run with nothing to compute twice as slow as it needs to be.
    (Constants are read anew each time; only source text is remembered.)"""
    return inspect.getsource(code_object)


_CONSTANT_TYPES = (bool, int, float, complex, str, bytes, tuple, frozenset, type(None))


def _globals_read(function: Callable) -> Iterator[tuple[str, object]]:
    """(name, value) of each module-level name the function's code reads, nested code too."""
    codes = [function.__code__]
    while codes:
        code = codes.pop()
        codes += [const for const in code.co_consts if isinstance(const, types.CodeType)]
        for name in code.co_names:
            if name in function.__globals__:
                yield name, function.__globals__[name]


def _is_ours(value: object) -> bool:
    """Code of reportgen itself; libraries are covered by their versions in the cache key."""
    return (inspect.isfunction(value) or inspect.isclass(value)) and (
        getattr(value, "__module__", "").split(".")[0] == "reportgen")


def _walk(function: Callable) -> tuple[dict[str, str], set]:
    """The reportgen functions and classes `function` uses, transitively (by dotted name: their
    source; constants: their value), and the set of those objects."""
    found: dict[str, str] = {}
    pending, visited = [function], {function}
    while pending:
        current = pending.pop()
        for name, value in _globals_read(current):
            if isinstance(value, _CONSTANT_TYPES):
                found[f"{current.__module__}.{name}"] = f"{name} = {value!r}"
            elif _is_ours(value) and value not in visited:
                visited.add(value)
                found[f"{value.__module__}.{value.__qualname__}"] = _source(value)
                if inspect.isclass(value):
                    pending += [f for f in vars(value).values() if inspect.isfunction(f)]
                else:
                    pending.append(value)
    return found, visited


def _code_used_by(function: Callable) -> list[str]:
    """Sources of the reportgen functions and classes `function` uses, transitively, and the
    values of the constants they read; sorted, so the digest does not depend on order."""
    found, _ = _walk(function)
    return [found[key] for key in sorted(found)]


def _functions_used_by(function: Callable) -> set:
    """`function` and every reportgen function and class it uses, transitively."""
    return _walk(function)[1]


_HERE = Path(__file__).parent
_SHARED_CODE = (_HERE / "profiles.py",)  # make_inputs: how every experiment's inputs are made
EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, depends_on: tuple[str, ...] = (), cost: float = 1.0):
    """Register a function as an experiment; its return annotation is its result type."""

    def register(run: Callable) -> Callable:
        result_type = typing.get_type_hints(run)["return"]
        _add(Experiment(name, run, result_type, tuple(depends_on), cost))
        return run

    return register


def _add(experiment: Experiment) -> None:
    if experiment.name in EXPERIMENTS:
        raise ValueError(f"experiment {experiment.name} registered twice")
    EXPERIMENTS[experiment.name] = experiment


def cross_validation_tasks(cv, cost: float = 1.0) -> tuple[str, ...]:
    """Register one task per fold of `cv` (an `engine.cv.CrossValidation`); their names."""
    from reportgen.engine.cv import FoldResult, fit_fold

    code = tuple(f for f in (fit_fold, cv.estimator, cv.training_data, cv.folds) if callable(f))
    for index, name in enumerate(cv.tasks):
        _add(Experiment(name, functools.partial(fit_fold, cv=cv, index=index), FoldResult, (),
                        cost, code=code, settings=cv.settings(index), reshuffles=True))
    return cv.tasks


def all_experiments() -> dict[str, Experiment]:
    """Every registered experiment, importing the built-in sections that register theirs."""
    from reportgen.sections import all_sections

    all_sections()
    return EXPERIMENTS


def with_dependencies(names: list[str]) -> list[str]:
    """`names` and everything they depend on, transitively; an unknown name is an error."""
    experiments = all_experiments()
    wanted, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name not in experiments:
            raise KeyError(f"experiment {name} is not registered (a depends_on names it)")
        if name not in wanted:
            wanted.add(name)
            pending += experiments[name].depends_on
    return sorted(wanted)


def in_dependency_order(names: list[str]) -> list[Experiment]:
    """A topological order of `names` (each after what it depends on), ties by name so the
    order is the same in every process; a cycle is an error naming its members."""
    experiments = all_experiments()
    remaining = {name: set(experiments[name].depends_on) & set(names) for name in names}
    ordered: list[Experiment] = []
    while remaining:
        ready = sorted(name for name, needs in remaining.items() if not needs)
        if not ready:
            raise RuntimeError(f"circular dependencies among {sorted(remaining)}")
        for name in ready:
            ordered.append(experiments[name])
            del remaining[name]
        for needs in remaining.values():
            needs.difference_update(ready)
    return ordered
