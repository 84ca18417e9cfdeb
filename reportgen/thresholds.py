"""Thresholds are data: claims of the chapter as (metric, comparison, bound) per profile.

The spec is a TOML file; `evaluate` is the one place that checks it, for pytest, for
`reportgen build` and `reportgen check` alike, so they can never disagree.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
import reprlib
import tomllib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.compare import is_number
from reportgen.data import DATASETS
from reportgen.data.files import path_kind
from reportgen.engine.profiles import PROFILES
from reportgen.errors import ReportgenError
from reportgen.gate import Gate
from reportgen.record import StoredOutcome, VersionRecord

DEFAULT_SPEC = Path(__file__).with_name("thresholds.toml")
OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
             "==": operator.eq, "between": None}
KEYS = {"id", "metric", "op", "bound", "bound_metric", "claim", "dataset", "on", "severity",
        "optional"}
EVERY_PROFILE = "*"  # the profile key of a bound given as one value: it holds for every profile
# Which number of a metric is checked: the chapter's value, the repeats' mean, every repeat,
# an end of the mean's interval over the repeats, or an end of the value's interval from its
# test sample (metrics.json's "sample_intervals")
ON = ("value", "mean", "every_repeat", "ci_low", "ci_high", "sample_low", "sample_high")
SAMPLE_ENDS = {"sample_low": "low", "sample_high": "high"}
SEVERITIES = ("fail", "warn")  # a failing "warn" threshold is shown, but never fails a build


@dataclass(frozen=True)
class Threshold:
    id: str
    metric: str
    op: str
    bounds: dict  # profile -> number, [low, high] for "between", or a value for "=="
    bound_metric: str | None  # compare against another metric instead of a number
    claim: str
    dataset: str
    on: str = "value"  # the chapter's value, the repeats' mean, every repeat, an interval end
    severity: str = "fail"
    optional: bool = False  # a build of a profile it has no bound for may leave it unchecked

    def bound_for(self, profile: str):
        return self.bounds.get(profile, self.bounds.get(EVERY_PROFILE))

    @property
    def profiles(self) -> str:
        """The profiles it has a bound for, in words."""
        if self.bound_metric is not None or EVERY_PROFILE in self.bounds:
            return "every profile"
        return ", ".join(sorted(self.bounds))


class SpecError(ReportgenError):
    pass


def _top_line(text: str, key: str) -> int:
    """The line of the top-level `key` (`key = ...`, `[key]` or `[[key]]`), else 1."""
    k = re.escape(key)
    found = re.search(rf"^[ \t]*(?:{k}[ \t]*=|\[\[?[ \t]*{k}[ \t]*\]\]?)", text, re.M)
    return text.count("\n", 0, found.start()) + 1 if found else 1


def _line_of(text: str, index: int, key: str | None) -> int:
    """The line of the index-th [[threshold]] table (or of its `key`), for error messages; for
    an inline `threshold = [...]`, the line of that key."""
    starts = [m.start() for m in re.finditer(r"^\s*\[\[threshold\]\]", text, re.M)]
    if index >= len(starts):
        return _top_line(text, "threshold")
    start = starts[index]
    end = starts[index + 1] if index + 1 < len(starts) else len(text)
    offset = start
    if key:
        found = re.search(rf"^\s*{re.escape(key)}\s*=", text[start:end], re.M)
        if found:
            offset = start + found.start()
    return text.count("\n", 0, offset) + 1 + (1 if text[offset] == "\n" else 0)


def _unknown(what: str, name: Any, choices: Iterable[str], also: str = "", typed: Any = None,
             suffix: str = "") -> str:
    """"unknown WHAT NAME", the choice closest to `typed` (the name itself unless told) when
    one is close, as for a typo, and the choices."""
    choices = list(choices)
    typed = name if typed is None else typed
    close = difflib.get_close_matches(typed, choices, n=1) if isinstance(typed, str) else []
    guess = f" (did you mean {close[0] + suffix!r}?)" if close else ""
    return f"unknown {what} {name!r}{guess}; choose one of: {', '.join(choices)}{also}"


_TRAIN_SIZE = re.compile(r"(?P<profile>.+)-(?P<size>[1-9][0-9]*)")


def _profile_problem(name: str) -> str | None:
    """What is wrong with a bound's profile name: a profile, or `PROFILE-N` as `--train-size N`
    names it (see `resolve_profile`); None when it is one."""
    sized = _TRAIN_SIZE.fullmatch(name)
    base, suffix = (sized["profile"], f"-{sized['size']}") if sized else (name, "")
    if base in PROFILES:
        return None
    return _unknown("profile", name, PROFILES, typed=base, suffix=suffix,
                    also=" (or PROFILE-N, the profile with --train-size N)")


def _read_text(path: Path) -> str:
    """The spec's text: only a regular file is opened (a FIFO would block the read forever),
    and it is decoded as UTF-8 whatever the locale (a byte-order mark is allowed)."""
    path_kind(path, f"thresholds spec {path}", ("file",), "pass a TOML file", error=SpecError)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read thresholds spec {path}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SpecError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset"
                        f" {exc.start}); save the spec as UTF-8") from None


def load_spec(path: Path, metrics: Collection[str],
              datasets: Collection[str] = tuple(DATASETS)) -> list[Threshold]:
    """The thresholds of a TOML spec, checked against `metrics` (the chapter's metric names,
    or those a version holds), the known `datasets` and the profiles; a mistake is a one-line
    error naming the file and line. This is the one place a spec is validated: what passes
    here is evaluated as written."""
    path = Path(path)
    known = metrics
    datasets = sorted(set(datasets))  # a version's own dataset may be a known one too
    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc})") from None
    for key in data:
        if key != "threshold":
            raise SpecError(f"{path}:{_top_line(text, key)}: "
                            + _unknown("top-level key", key, ["threshold"],
                                       also=" (each claim is a [[threshold]] table)"))
    entries = data.get("threshold", [])
    if not isinstance(entries, list):
        raise SpecError(f"{path}:{_top_line(text, 'threshold')}: `threshold` must be an array of"
                        " tables ([[threshold]])")
    if not entries:
        raise SpecError(f"{path}: no [[threshold]] tables; a spec that states no claim checks"
                        " nothing")
    thresholds, seen = [], set()
    for index, entry in enumerate(entries):
        def fail(message: str, key: str | None = None, _i=index) -> SpecError:
            return SpecError(f"{path}:{_line_of(text, _i, key)}: {message}")

        if not isinstance(entry, dict):
            raise fail(f"threshold {index + 1} is {reprlib.repr(entry)}, not a table; write"
                       " each as a [[threshold]] table of id, metric, op, bound and claim")
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
        for key, allowed in (("on", ON), ("severity", SEVERITIES)):
            if key in entry and entry[key] not in allowed:
                raise fail(f"`{key}` must be one of {', '.join(allowed)}, got {entry[key]!r}",
                           key)
        if not isinstance(entry.get("optional", False), bool):
            raise fail(f"`optional` must be true or false, got {entry['optional']!r}",
                       "optional")
        dataset = entry.get("dataset", "mnist")
        if not isinstance(dataset, str) or dataset not in datasets:
            raise fail(_unknown("dataset", dataset, datasets), "dataset")
        bound_metric = entry.get("bound_metric")
        if bound_metric is not None:
            if not isinstance(bound_metric, str) or bound_metric not in known:
                raise fail(f"unknown metric {bound_metric!r}", "bound_metric")
            if "bound" in entry:
                raise fail("give `bound` or `bound_metric`, not both", "bound")
            if entry.get("on") in SAMPLE_ENDS:
                raise fail(f"on = {entry['on']!r} checks one metric's interval against a"
                           " bound: give `bound`, or test the two metrics' difference", "on")
            bounds = {}
        else:
            bounds = entry.get("bound")
            if "bound" in entry and not isinstance(bounds, dict):
                bounds = {EVERY_PROFILE: bounds}  # one value: it holds for every profile
            if not isinstance(bounds, dict) or not bounds:
                raise fail("give `bound`: one value for every profile (bound = 0.99), or a"
                           " table of profile = value (bound = { full = 0.99, quick = 0.98 })",
                           "bound" if "bound" in entry else None)
            for profile, value in bounds.items():
                problem = (None if profile == EVERY_PROFILE else _profile_problem(profile)) \
                    or _bound_problem(entry["op"], value)
                if problem:
                    where = "bound" if profile == EVERY_PROFILE else f"bound for {profile}"
                    raise fail(f"{where}: {problem}", "bound")
        thresholds.append(Threshold(
            id=entry["id"], metric=entry["metric"], op=entry["op"], bounds=bounds,
            bound_metric=bound_metric, claim=entry["claim"], dataset=dataset,
            on=entry.get("on", "value"), severity=entry.get("severity", "fail"),
            optional=entry.get("optional", False),
        ))
    return thresholds


@dataclass(frozen=True)
class _VersionMetrics(Collection):
    """The metric names a version holds, for `load_spec` in `check`, which cannot know the
    names of a chapter whose modules it does not import."""

    names: frozenset[str]

    def __contains__(self, name: object) -> bool:
        """A name the version holds; any other dotted name is let through to be reported by
        `evaluate` as MISSING (a section it built: a metric it lacks) or by `not_built` (a
        section it did not build, or a typo in the section: said, never silently skipped)."""
        return name in self.names or (isinstance(name, str) and "." in name)

    def __iter__(self):
        return iter(sorted(self.names))

    def __len__(self) -> int:
        return len(self.names)


def version_metrics(record: VersionRecord) -> Collection[str]:
    """What `check` validates a spec against: the version's own metric names, not the sections
    this reportgen happens to import (a version of a chapter from elsewhere is checked
    without its modules)."""
    return _VersionMetrics(frozenset(record.metrics))


def _finite(value: Any) -> bool:
    """A number a bound can be: nan fails every comparison and inf passes every one."""
    return is_number(value) and math.isfinite(value)


def _bound_problem(op: str, value: Any) -> str | None:
    """What is wrong with a bound for this operator, or None."""
    if op == "between":
        if not (isinstance(value, list) and len(value) == 2
                and all(_finite(v) for v in value) and value[0] <= value[1]):
            return f"`between` needs [low, high] finite numbers with low <= high, got {value!r}"
    elif op == "==":
        if not isinstance(value, int | float | bool | str):
            return f"`==` needs a number, a boolean or a string, got {value!r}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"`==` needs a finite number, got {value!r}"
    elif not _finite(value):
        return f"`{op}` needs a finite number, got {value!r}"
    return None


@dataclass(frozen=True)
class Outcome:
    threshold: Threshold
    value: Any  # what was checked: the value, the mean, an interval end, or every repeat's value
    bound: Any
    passed: bool
    missing: str | None = None  # a metric the document lacks: the claim could not be checked
    unbounded: str | None = None  # the built profile, which the spec gives no bound for
    checked: str = "value"  # what `value` is; "value" when `on` asks for repeats there are none of
    repeats_holding: int | None = None  # in how many repeats the claim holds (None: no repeats)
    repeat_count: int | None = None
    chapter_holds: bool | None = None  # whether the chapter's own value meets the bound

    @property
    def status(self) -> str:
        """PASS, FAIL, WARN (failed, severity "warn": shown, never fails a build) or MISSING."""
        if self.missing:
            return "MISSING"
        if self.unbounded:
            return "NOT CHECKED"
        if self.passed:
            return "PASS"
        return "WARN" if self.threshold.severity == "warn" else "FAIL"

    @property
    def blocks(self) -> bool:
        """Whether it makes `build` and `check` exit non-zero."""
        return self.status in ("FAIL", "MISSING") or (self.status == "NOT CHECKED"
                                                      and not self.threshold.optional)

    @property
    def message(self) -> str:
        t = self.threshold
        if self.missing:
            return (f"MISSING {t.id}: {self.missing} is not in this version's metrics (a"
                    " misspelt name, or a metric the version was built before): correct the"
                    f" spec, or build anew to check it. {t.claim}")
        if self.unbounded:
            what = ("optional: it is left unchecked" if t.optional else
                    "give it a bound for this profile, or mark it optional = true")
            return (f"NOT CHECKED {t.id}: the spec gives no bound for profile {self.unbounded}"
                    f" (only for {t.profiles}); {what}. {t.claim}")
        shown = f"between {self.bound[0]} and {self.bound[1]}" if t.op == "between" else (
            f"{t.op} {self.bound}")
        what = {"value": t.metric, "mean": f"the mean of {t.metric} over the repeats",
                "every_repeat": f"{t.metric} in every repeat",
                "ci_low": f"the low end of {t.metric}'s 95 % interval",
                "ci_high": f"the high end of {t.metric}'s 95 % interval",
                "sample_low": f"the low end of {t.metric}'s 95 % interval from the test sample",
                "sample_high": f"the high end of {t.metric}'s 95 % interval from the test"
                               " sample"}[self.checked]
        every = "every value of " if isinstance(self.value, list) else ""
        lacking = "interval of it from its test sample" if t.on in SAMPLE_ENDS else \
            "repeats of it"
        note = (f" (on = {t.on!r}, but this version has no {lacking}: its value was"
                f" checked)" if t.on != self.checked else "")
        repeats = (f" Holds in {self.repeats_holding} of {self.repeat_count} repeats."
                   if self.repeat_count else "")
        return (f"{self.status} {t.id}: {every}{what} = {self.value!r}, required {shown}{note}."
                f"{repeats} {t.claim}")

    def stored(self) -> StoredOutcome:
        """The outcome as the version record keeps it."""
        t = self.threshold
        return StoredOutcome(
            id=t.id, metric=t.metric, op=t.op, bound=self.bound, bound_metric=t.bound_metric,
            value=self.value, passed=self.passed, missing=self.missing, claim=t.claim,
            message=self.message, on=t.on, checked=self.checked, severity=t.severity,
            status=self.status, repeats_holding=self.repeats_holding,
            repeat_count=self.repeat_count, chapter_holds=self.chapter_holds,
            optional=t.optional)


class Incomparable(ValueError):
    """A value and a bound that no operator can order (a list against a list, a string or a
    boolean against a number): a spec's mistake, or a damaged metrics.json."""


def _holds(op: str, value: Any, bound: Any) -> bool:
    if isinstance(value, list) and op != "==":
        return bool(value) and all(_holds(op, v, bound) for v in value)
    if op == "==":  # to Python False == 0; to a claim a boolean is no number
        return isinstance(value, bool) == isinstance(bound, bool) and value == bound
    ends = bound if op == "between" and isinstance(bound, list) else [bound]
    if not (is_number(value) and all(is_number(end) for end in ends)):
        raise Incomparable(f"{value!r} and {bound!r}")
    if op == "between":
        return bound[0] <= value <= bound[1]
    return bool(OPERATORS[op](value, bound))


def interval_holds(op: str, low: float, high: float, bound: Any) -> bool:
    """Whether a claim holds for every number of the interval low … high (both ends do)."""
    return _holds(op, [low, high], bound)


def applicable(spec: list[Threshold], dataset: str, profile: str) -> list[Threshold]:
    return [t for t in spec if t.dataset == dataset
            and (t.bound_metric is not None or t.bound_for(profile) is not None)]


def _sections_of(t: Threshold) -> set[str]:
    return {name.split(".")[0] for name in (t.metric, t.bound_metric) if name}


def _built(t: Threshold, sections: list[str] | None) -> bool:
    """Whether the document's build ran the section of the threshold's metrics (a document
    from before sections were recorded ran them all)."""
    return sections is None or _sections_of(t) <= set(sections)


def not_built(spec: list[Threshold], record: VersionRecord
              ) -> list[tuple[Threshold, list[str]]]:
    """The thresholds of the version's dataset and profile that name a section its build did
    not run, with those sections: `check` says each one, so a typo is never a silent skip."""
    built = set(record.sections or ())
    return [(t, sorted(_sections_of(t) - built))
            for t in applicable(spec, record.dataset.name, record.profile.name)
            if not _built(t, record.sections)]


def _checked(spec: list[Threshold], record: VersionRecord) -> list[Threshold]:
    """The thresholds `evaluate` checks on this version: its dataset, a bound for its profile,
    and sections its build ran."""
    return [t for t in applicable(spec, record.dataset.name, record.profile.name)
            if _built(t, record.sections)]


def none_apply(spec: list[Threshold], record: VersionRecord, path: Path | str) -> str:
    """Why `evaluate` checks none of the spec's thresholds on this version (another dataset,
    no bound for its profile, or none of their sections built), in one line, for the gate."""
    dataset, profile, sections = record.dataset.name, record.profile.name, record.sections
    profiles = sorted({"any" if name == EVERY_PROFILE else name
                       for t in spec for name in t.bounds})
    if any(t.bound_metric for t in spec):
        profiles.append("any (with bound_metric)")
    covers = (f"datasets {', '.join(sorted({t.dataset for t in spec}))};"
              f" profiles {', '.join(profiles)}")
    built, applying = "", applicable(spec, dataset, profile)
    if applying:  # the right data and profile, but the build ran none of their sections
        built = f" and sections {', '.join(sections)}"
        covers += f"; sections {', '.join(sorted(set().union(*map(_sections_of, applying))))}"
    return (f"none of the {len(spec)} thresholds of {path} applies to dataset {dataset}"
            f" with profile {profile}{built} (the spec covers: {covers})")


def require_applicable(spec: list[Threshold], record: VersionRecord, path: Path | str) -> None:
    """Fail the gate (one line) before anything is printed when `evaluate` would check none of
    the spec's thresholds on this version: "0 of 0 thresholds pass" checks nothing."""
    checked = len(_checked(spec, record))
    Gate(checked, nothing="" if checked else none_apply(spec, record, path)).enforce()


def thresholds_gate(outcomes: list[StoredOutcome], version: str, nothing: str) -> Gate:
    """The gate over threshold outcomes (as a version stores them, `Outcome.stored()`):
    a FAIL fails, a MISSING metric could not be checked, PASS and WARN pass; no outcome at all
    checked nothing (`nothing` says why none applied). `version` names what was checked."""
    failed = [o.id for o in outcomes if o.status == "FAIL"]
    missing = sorted({o.missing or o.metric for o in outcomes if o.status == "MISSING"})
    unbounded = [o.id for o in outcomes if o.status == "NOT CHECKED" and not o.optional]
    why = "; ".join(filter(None, [
        missing and f"{version} has no metric {', '.join(missing)}",
        unbounded and f"the spec gives no bound for its profile to {', '.join(unbounded)}"
                      " (give one, or mark the claim optional = true)"]))
    undecided = len(missing and [o for o in outcomes if o.status == "MISSING"]) + len(unbounded)
    return Gate(
        checked=sum(o.status in ("PASS", "FAIL", "WARN") for o in outcomes),
        failed=f"{len(failed)} threshold(s) failed: {'; '.join(failed)}" if failed else None,
        undecided=f"{undecided} threshold(s) could not be checked: {why}" if undecided else None,
        nothing=nothing)


def _per_repeat(record: VersionRecord, name: str, count: int) -> list:
    """A metric's value in each repeat; a deterministic one's value in all of them."""
    spread = record.spread(name)
    return spread.values if spread else [record.metrics[name]] * count


def _statistic(record: VersionRecord, name: str, on: str) -> tuple[Any, str]:
    """The number of metric `name` that `on` asks for, and what it is. A deterministic metric
    of a version with repeats is its own mean and interval (zero spread); a version without
    repeats can only offer the value, and says so."""
    if on in SAMPLE_ENDS:
        interval = record.sample_intervals.get(name)
        if interval is None:  # a version from before intervals, or a metric without one
            return record.metrics[name], "value"
        return getattr(interval, SAMPLE_ENDS[on]), on
    spread, count = record.spread(name), record.repeat_count
    if on == "value" or (spread is None and count < 2):
        return record.metrics[name], "value"
    if on == "every_repeat":
        return _per_repeat(record, name, count), on
    if spread is None:
        return record.metrics[name], on  # deterministic: every statistic is the value
    if getattr(spread, on) is None:  # an answer (a class, a count): no mean, no interval
        return spread.values, "every_repeat"
    return getattr(spread, on), on


def evaluate(spec: list[Threshold], record: VersionRecord) -> list[Outcome]:
    """Check every threshold that applies to this version's dataset, profile and sections, on
    the number its `on` names; one whose metric the version lacks fails as MISSING, naming the
    metric. With repeats, each outcome also says in how many repeats its claim holds."""
    profile, metrics, count = record.profile.name, record.metrics, record.repeat_count
    outcomes = [Outcome(t, None, None, False, unbounded=profile) for t in spec
                if t.dataset == record.dataset.name and t.bound_metric is None
                and t.bound_for(profile) is None and _built(t, record.sections)]
    for t in _checked(spec, record):
        absent = [name for name in (t.metric, t.bound_metric) if name and name not in metrics]
        if absent:
            outcomes.append(Outcome(t, None, t.bound_for(profile), False, missing=absent[0]))
            continue
        try:
            outcomes.append(_outcome(t, record, count))
        except Incomparable as exc:
            raise SpecError(
                f"threshold {t.id}: {t.op} cannot compare {exc} ({t.metric}"
                + (f" with {t.bound_metric}" if t.bound_metric else "")
                + "): give a bound of the metric's kind, or restore a damaged metrics.json"
            ) from None
    return outcomes


def _outcome(t: Threshold, record: VersionRecord, count: int) -> Outcome:
    """One applicable threshold checked on a version that has its metrics."""
    profile, intervals = record.profile.name, record.sample_intervals
    if t.on in SAMPLE_ENDS and intervals and t.metric not in intervals:
        raise SpecError(f"threshold {t.id}: on = {t.on!r} reads {t.metric}'s 95 % interval"
                        " from its test sample, and it has none (test-set metrics do: see"
                        " sample_intervals in metrics.json); check its value or mean instead")
    value, checked = _statistic(record, t.metric, t.on)
    fixed = t.bound_for(profile)
    values = _per_repeat(record, t.metric, count)
    bounds = _per_repeat(record, t.bound_metric, count) if t.bound_metric else \
        [fixed] * count
    if checked == "every_repeat":
        bound = bounds if t.bound_metric else fixed
        passed = all(_holds(t.op, v, b) for v, b in zip(value, bounds, strict=True))
    else:
        on = checked if t.bound_metric else "value"
        bound = _statistic(record, t.bound_metric, on)[0] if t.bound_metric else fixed
        passed = _holds(t.op, value, bound)
    holding = sum(_holds(t.op, v, b) for v, b in zip(values, bounds, strict=True))
    by_repeat = count > 1 and checked not in SAMPLE_ENDS  # the repeats keep no intervals
    return Outcome(t, value, bound, passed, checked=checked,
                   repeats_holding=holding if by_repeat else None,
                   repeat_count=count if by_repeat else None,
                   chapter_holds=_holds(t.op, values[0], bounds[0]))


NOISE_MARGIN = 4  # standard deviations a derived bound keeps from the repeats' mean


def derive_bound(op: str, claim_bound: Any, values: list, mean: Any, std: Any,
                 decimals: int = 2) -> Any:
    """A bound for a smaller profile from the repeats measured on it (how the quick bounds of
    thresholds.toml were set). Where every repeat meets the chapter's own bound, that bound:
    the claim holds as stated, whatever the seed. Otherwise the bound every seed can be
    expected to meet: the repeats' mean less (for `>`, `>=`; plus for `<`, `<=`) NOISE_MARGIN
    standard deviations, rounded outward to `decimals`; for a list metric the element nearest
    the bound decides; `between` moves each end that needs it."""
    if all(_holds(op, value, claim_bound) for value in values):
        return claim_bound
    means, stds = (mean, std) if isinstance(mean, list) else ([mean], [std])
    pairs = list(zip(means, stds, strict=True))
    scale = 10 ** decimals
    low = math.floor(round(min(m - NOISE_MARGIN * s for m, s in pairs) * scale, 9)) / scale
    high = math.ceil(round(max(m + NOISE_MARGIN * s for m, s in pairs) * scale, 9)) / scale
    if op in (">", ">="):
        return min(claim_bound, low)
    if op in ("<", "<="):
        return max(claim_bound, high)
    if op == "between":
        return [min(claim_bound[0], low), max(claim_bound[1], high)]
    raise ValueError(f"derive_bound takes > >= < <= between, not {op!r}")


def passed_count(outcomes: list[StoredOutcome]) -> int:
    """How many threshold outcomes (as a version stores them) passed."""
    return sum(outcome.passed for outcome in outcomes)
