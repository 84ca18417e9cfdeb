"""Thresholds are data: claims of the chapter as (metric, comparison, bound) per profile.

The spec is a TOML file; `evaluate` is the one place that checks it, for pytest, for
`reportgen build` and `reportgen check` alike, so they can never disagree.
"""

from __future__ import annotations

import operator
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.compare import is_number
from reportgen.errors import ReportgenError
from reportgen.sections import metrics_by_name

DEFAULT_SPEC = Path(__file__).with_name("thresholds.toml")
OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
             "==": operator.eq, "between": None}
KEYS = {"id", "metric", "op", "bound", "bound_metric", "claim", "dataset"}


@dataclass(frozen=True)
class Threshold:
    id: str
    metric: str
    op: str
    bounds: dict  # profile -> number, [low, high] for "between", or a value for "=="
    bound_metric: str | None  # compare against another metric instead of a number
    claim: str
    dataset: str

    def bound_for(self, profile: str):
        return self.bounds.get(profile)


class SpecError(ReportgenError):
    pass


def _line_of(text: str, index: int, key: str | None) -> int:
    """The line of the index-th [[threshold]] table (or of its `key`), for error messages."""
    starts = [m.start() for m in re.finditer(r"^\s*\[\[threshold\]\]", text, re.M)]
    if index >= len(starts):
        return 1
    start = starts[index]
    end = starts[index + 1] if index + 1 < len(starts) else len(text)
    offset = start
    if key:
        found = re.search(rf"^\s*{re.escape(key)}\s*=", text[start:end], re.M)
        if found:
            offset = start + found.start()
    return text.count("\n", 0, offset) + 1 + (1 if text[offset] == "\n" else 0)


def load_spec(path: Path = DEFAULT_SPEC) -> list[Threshold]:
    """The thresholds of a TOML spec, checked against the registered metric names; a mistake
    is a one-line error naming the file and line."""
    path = Path(path)
    known = metrics_by_name()
    try:
        text = path.read_text()
    except OSError as exc:
        raise SpecError(f"cannot read thresholds spec {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc})") from None
    entries = data.get("threshold", [])
    if not isinstance(entries, list):
        raise SpecError(f"{path}: `threshold` must be an array of tables ([[threshold]])")
    thresholds, seen = [], set()
    for index, entry in enumerate(entries):
        def fail(message: str, key: str | None = None, _i=index) -> SpecError:
            return SpecError(f"{path}:{_line_of(text, _i, key)}: {message}")

        unknown = set(entry) - KEYS
        if unknown:
            raise fail(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(KEYS)}",
                       sorted(unknown)[0])
        for key in ("id", "metric", "op", "claim"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise fail(f"`{key}` must be a non-empty string", key if key in entry else None)
        if entry["id"] in seen:
            raise fail(f"id {entry['id']!r} is used twice", "id")
        seen.add(entry["id"])
        if entry["metric"] not in known:
            raise fail(f"unknown metric {entry['metric']!r}", "metric")
        if entry["op"] not in OPERATORS:
            raise fail(f"bad operator {entry['op']!r}; use one of {' '.join(OPERATORS)}", "op")
        bound_metric = entry.get("bound_metric")
        if bound_metric is not None:
            if bound_metric not in known:
                raise fail(f"unknown metric {bound_metric!r}", "bound_metric")
            if "bound" in entry:
                raise fail("give `bound` or `bound_metric`, not both", "bound")
            bounds = {}
        else:
            bounds = entry.get("bound")
            if not isinstance(bounds, dict) or not bounds:
                raise fail("`bound` must be a table of profile = value, e.g."
                           " bound = { full = 0.99, quick = 0.98 }", "bound" if "bound" in entry
                           else None)
            for profile, value in bounds.items():
                problem = _bound_problem(entry["op"], value)
                if problem:
                    raise fail(f"bound for {profile}: {problem}", "bound")
        thresholds.append(Threshold(
            id=entry["id"], metric=entry["metric"], op=entry["op"], bounds=bounds,
            bound_metric=bound_metric, claim=entry["claim"],
            dataset=entry.get("dataset", "mnist"),
        ))
    return thresholds


def _bound_problem(op: str, value: Any) -> str | None:
    """What is wrong with a bound for this operator, or None."""
    if op == "between":
        if not (isinstance(value, list) and len(value) == 2
                and all(is_number(v) for v in value) and value[0] <= value[1]):
            return f"`between` needs [low, high] numbers with low <= high, got {value!r}"
    elif op == "==":
        if not isinstance(value, int | float | bool | str):
            return f"`==` needs a number, a boolean or a string, got {value!r}"
    elif not is_number(value):
        return f"`{op}` needs a number, got {value!r}"
    return None


@dataclass(frozen=True)
class Outcome:
    threshold: Threshold
    value: Any
    bound: Any
    passed: bool
    missing: str | None = None  # a metric the document lacks: the claim could not be checked

    @property
    def message(self) -> str:
        t = self.threshold
        if self.missing:
            return (f"MISSING {t.id}: {self.missing} is not in this version's metrics (it was"
                    f" built before the metric existed); build anew to check it. {t.claim}")
        verdict = "PASS" if self.passed else "FAIL"
        shown = f"between {self.bound[0]} and {self.bound[1]}" if t.op == "between" else (
            f"{t.op} {self.bound}")
        every = "every value of " if isinstance(self.value, list) else ""
        return f"{verdict} {t.id}: {every}{t.metric} = {self.value!r}, required {shown}. {t.claim}"

    def as_dict(self) -> dict:
        t = self.threshold
        return {"id": t.id, "metric": t.metric, "op": t.op, "bound": self.bound,
                "bound_metric": t.bound_metric, "value": self.value, "passed": self.passed,
                "missing": self.missing, "claim": t.claim, "message": self.message}


def _holds(op: str, value: Any, bound: Any) -> bool:
    if isinstance(value, list) and op != "==":
        return bool(value) and all(_holds(op, v, bound) for v in value)
    if op == "between":
        return bound[0] <= value <= bound[1]
    return bool(OPERATORS[op](value, bound))


def applicable(spec: list[Threshold], dataset: str, profile: str) -> list[Threshold]:
    return [t for t in spec if t.dataset == dataset
            and (t.bound_metric is not None or t.bound_for(profile) is not None)]


def _built(t: Threshold, sections: list[str] | None) -> bool:
    """Whether the document's build ran the section of the threshold's metrics (a document
    from before sections were recorded ran them all)."""
    return sections is None or all(name.split(".")[0] in sections
                                   for name in (t.metric, t.bound_metric) if name)


def evaluate(spec: list[Threshold], document: dict) -> list[Outcome]:
    """Check every threshold that applies to this document's dataset, profile and sections;
    one whose metric the document lacks fails as MISSING, naming the metric."""
    dataset, profile = document["dataset"]["name"], document["profile"]["name"]
    metrics, sections = document["metrics"], document.get("sections")
    outcomes = []
    for t in applicable(spec, dataset, profile):
        if not _built(t, sections):
            continue
        absent = [name for name in (t.metric, t.bound_metric) if name and name not in metrics]
        if absent:
            outcomes.append(Outcome(t, None, t.bound_for(profile), False, missing=absent[0]))
            continue
        value = metrics[t.metric]
        bound = metrics[t.bound_metric] if t.bound_metric else t.bound_for(profile)
        outcomes.append(Outcome(t, value, bound, _holds(t.op, value, bound)))
    return outcomes


def passed_count(outcomes: list[dict]) -> int:
    """How many threshold outcomes (as stored in metrics.json) passed."""
    return sum(bool(outcome["passed"]) for outcome in outcomes)
