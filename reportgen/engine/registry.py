"""Experiments are named units: a function from the chapter's inputs (and results it depends on)
to a plain result dataclass. The registry knows them all, in the chapter's order."""

from __future__ import annotations

import hashlib
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Experiment:
    name: str  # "binary.sgd": section, then unit
    run: Callable
    result_type: type
    depends_on: tuple[str, ...]
    cost: float  # relative cost (seconds on the full data / 10), to start the longest first

    @property
    def section(self) -> str:
        return self.name.split(".")[0]

    def code_digest(self) -> str:
        """What the cache key knows of this experiment's code: its function, its result type,
        and the shared helpers every experiment calls."""
        parts = [_without_decorators(self.run), inspect.getsource(self.result_type)]
        parts += [path.read_text() for path in _SHARED_CODE]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _without_decorators(function: Callable) -> str:
    """A function's source from `def` on: its @experiment line holds a scheduling hint (cost)
    that must not invalidate cached results."""
    lines = inspect.getsource(function).splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("def "))
    return "\n".join(lines[start:])


_HERE = Path(__file__).parent
_SHARED_CODE = (_HERE / "cv.py", _HERE / "profiles.py")
EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, depends_on: tuple[str, ...] = (), cost: float = 1.0):
    """Register a function as an experiment; its return annotation is its result type."""

    def register(run: Callable) -> Callable:
        result_type = typing.get_type_hints(run)["return"]
        if name in EXPERIMENTS:
            raise ValueError(f"experiment {name} registered twice")
        EXPERIMENTS[name] = Experiment(name, run, result_type, tuple(depends_on), cost)
        return run

    return register


def all_experiments() -> dict[str, Experiment]:
    """Every experiment, importing the section modules that register them."""
    from reportgen.engine import experiments  # noqa: F401 - importing registers

    return EXPERIMENTS
