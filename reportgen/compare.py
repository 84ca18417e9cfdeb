"""What changed between two version records: metrics, thresholds, timings.

Used by `reportgen diff` and by the report's "changes since the previous version". Every
changed metric gets a verdict that knows the noise (`classify`):

- *significant*: the change is larger than the repeats' spread explains;
- *within noise*: it is not;
- *unknown*: neither version has repeats of it, so nothing says how large its noise is.

The null of every test is the seeds alone ("beyond seed noise": the repeats reshuffle folds
and reseed models on the same data, so a significant change is one the seeds do not explain,
not proof that a model generalizes better). Both versions with repeats by the same seed rule
(repeat r of both used the same seeds): the paired t-test on the per-repeat differences, which
sees a change that is the same in every repeat however small next to the seeds' spread. Both
with repeats of other seeds: Welch's t-test on the two sets of repeat values. One with repeats:
where the other's single value falls in the first's spread (a t-test of one new observation
against n repeats: t = (x − mean) / (std·√(1 + 1/n)), n − 1 degrees of freedom). A list metric
(per-fold accuracies, a confusion matrix) is tested element by element. The p-values of all
tests of one diff are adjusted together by the Benjamini–Hochberg method: among the changes
called significant, at most 5 % are expected to be noise (a false discovery rate of 5 %), which
keeps the power to see a real change when many metrics move at once, as they do when the
training set changes. A metric whose experiment is deterministic in both versions (the SVC: no
seed anywhere) has no noise: any change is significant.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import stats

from reportgen.gate import Gate
from reportgen.record import Spread, TaskTiming, VersionRecord
from reportgen.statistics import seeded

SIGNIFICANCE = 0.05
VERDICTS = ("significant", "within noise", "unknown")
NO_REPEATS = "no repeats on either side"  # the method of an "unknown" verdict without repeats


def is_number(value: Any) -> bool:
    """A real number, not a boolean (True is an int to Python, not a metric value)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _split(timing: TaskTiming) -> tuple[str, ...]:
    """The tasks a task waited for (none recorded before tasks were split into folds)."""
    return tuple(timing.depends_on)


def _deterministic(record: VersionRecord, name: str) -> bool:
    """Whether the version repeated its seeded experiments and this metric's is not one."""
    return bool(record.repeats) and name in record.repeats.deterministic_metrics


def _flat(value: Any) -> list[float]:
    return [x for v in value for x in _flat(v)] if isinstance(value, list) else [float(value)]


PERMUTATIONS = 9999  # exact below this many distinct splits of the two sides (5 + 5: 252)


def _welch(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of Welch's t-test (scipy's ttest_ind, equal_var=False); where a side
    has no spread, the permutation test of the difference of means instead.

    A side without spread is, for a seeded metric, an accident of few repeats of a discrete
    value (a confusion-matrix cell of 1 in three repeats, 0 in three others): Welch's t is then
    x/0 (no spread on either side, p = 0) or rests on one side's spread alone, and the A/A
    check (`false_alarms`) measured the gate failing on half of identical comparisons because
    of it. The permutation test needs no spread: under no
    change the 2n values are exchangeable, so 3 against 3 can give no p below 2/20."""
    if len(set(a) | set(b)) == 1:
        return 1.0
    if len(set(a)) == 1 or len(set(b)) == 1:
        return _permutation(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "precision loss": nearly identical
        try:
            return float(stats.ttest_ind(b, a, equal_var=False).pvalue)
        except RuntimeWarning:
            return _permutation(a, b)


def _permutation(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the permutation test of the difference of means (exact when the
    splits are fewer than PERMUTATIONS, else that many drawn from a fixed seed)."""
    result = stats.permutation_test(
        (np.asarray(b, dtype=float), np.asarray(a, dtype=float)),
        lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        permutation_type="independent", alternative="two-sided", n_resamples=PERMUTATIONS,
        vectorized=True, **seeded(stats.permutation_test, 0))
    return float(result.pvalue)


def _one_against_repeats(x: float, repeats: list[float]) -> float:
    """Two-sided p-value of a single value against n repeats: where it falls in the t
    prediction interval, t = (x − mean) / (std·√(1 + 1/n)) with n − 1 degrees of freedom
    (scipy has no test of one new observation; its t distribution gives the tail)."""
    n = len(repeats)
    mean = sum(repeats) / n
    std = float(np.std(repeats, ddof=1))
    if std == 0:  # as in _welch: x the most extreme of n + 1 exchangeable values, no t
        return 1.0 if x == mean else min(1.0, 2 / (n + 1))
    return float(2 * stats.t.sf(abs(x - mean) / (std * math.sqrt(1 + 1 / n)), n - 1))


def _paired(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the paired t-test (scipy's ttest_rel) on repeat-by-repeat values:
    no change in any repeat is 1, the same change in every repeat is 0 (it is no noise)."""
    differences = [y - x for x, y in zip(a, b, strict=True)]
    if all(d == 0 for d in differences):
        return 1.0
    if all(d == differences[0] for d in differences):
        return 0.0
    return float(stats.ttest_rel(b, a).pvalue)


SEED_NOISE = "seed noise"  # the null of every test on repeats: the seeds alone explain it
PAIRED = "paired t-test on the per-repeat differences (repeat r of both used the same seeds)"
WELCH = ("Welch's t-test on both versions' repeats (their seeds differ; the exact permutation"
         " test where a side has no spread)")


def repeats_share_seeds(old: VersionRecord, new: VersionRecord) -> bool:
    """Whether repeat r of both versions used the same seeds: both repeated, by the same seed
    rule, on the same dataset and profile sizes. Their repeats are then pairs, and a change
    that is the same in every repeat is seen however small it is next to the seeds' spread."""
    if not (old.repeats and new.repeats):
        return False
    return (bool(old.repeats.seeds) and old.repeats.seeds == new.repeats.seeds
            and incomparable(old, new) is None)


def _tests(name: str, old: VersionRecord, new: VersionRecord, paired: bool = False
           ) -> tuple[tuple[str, str], list[float]] | None:
    """How a changed metric's noise is judged (the method, and its short name), and its raw
    p-values (one per element); None
    when nothing says how noisy it is. `paired`: repeat r of both used the same seeds, so the
    per-repeat differences of the repeats both have (the first min(n_old, n_new)) are tested."""
    before, after = old.spread(name), new.spread(name)
    measured = [r for r in (before, after) if r and r.measured]
    if len(measured) == 2:
        olds, news = [_flat(v) for v in before.values], [_flat(v) for v in after.values]
        if len({len(row) for row in olds + news}) == 1:
            shared = min(len(olds), len(news))
            if paired and shared >= 2:
                return (PAIRED, "paired t-test"), [
                    _paired([row[i] for row in olds[:shared]], [row[i] for row in news[:shared]])
                    for i in range(len(olds[0]))]
            return (WELCH, "Welch's t-test"), [
                _welch([row[i] for row in olds], [row[i] for row in news])
                for i in range(len(olds[0]))]
    if len(measured) == 1:
        side, other = (before, new) if measured[0] is before else (after, old)
        single = _flat(other.metrics[name])
        rows = [_flat(v) for v in side.values]
        if all(len(row) == len(single) for row in rows):
            which = "old" if side is before else "new"
            method = f"the other value against the {which} version's repeats (t prediction" \
                     " interval)"
            return (method, "t prediction interval"), [
                _one_against_repeats(x, [row[i] for row in rows]) for i, x in enumerate(single)]
    return None


def _benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (scipy's false_discovery_control): significant
    where below the false discovery rate, 0.05."""
    if not p_values:
        return []
    return [float(p) for p in stats.false_discovery_control(p_values, method="bh")]


def classify(rows: list[dict], old: VersionRecord, new: VersionRecord,
             paired: bool = False) -> None:
    """Give every changed-metric row its `verdict`, the `null` it was tested against, its
    `method` (and `test`, its short name) and adjusted `p_value` (the smallest of its
    elements'); `paired` as for `_tests`."""
    family: list[tuple[int, float]] = []  # (row index, raw p) for every element tested
    for index, row in enumerate(rows):
        name = row["metric"]
        row.update(verdict="unknown", method=NO_REPEATS, p_value=None,
                   null=None, test=None)
        if _deterministic(old, name) and _deterministic(new, name):
            row.update(verdict="significant", p_value=0.0, null="no noise", test="deterministic",
                       method="deterministic in both versions: any change is real")
            continue
        tests = _tests(name, old, new, paired)
        if tests is not None and any(math.isnan(p) for p in tests[1]):
            row["method"] = "a value is not a number: nothing can judge its noise"
        elif tests is not None:
            (method, test), _ = tests
            row.update(method=method, test=test, null=SEED_NOISE)
            family += [(index, p) for p in tests[1]]
    adjusted = _benjamini_hochberg([p for _, p in family])
    for (index, _), p in zip(family, adjusted, strict=True):
        row = rows[index]
        row["p_value"] = p if row["p_value"] is None else min(row["p_value"], p)
    for row in rows:
        if row["p_value"] is not None and row["verdict"] == "unknown":
            row["verdict"] = "significant" if row["p_value"] < SIGNIFICANCE else "within noise"


def _same_repeats(before: Spread | None, after: Spread | None) -> bool:
    """Whether two versions measured the same thing in the repeats they share: gaining repeats
    (none before, or 5 then 10) adds measurements and changes none of them."""
    if not before or not after:
        return True
    return all(a == b for a, b in zip(before.values, after.values, strict=False))


def incomparable(old: VersionRecord, new: VersionRecord) -> str | None:
    """Why two metrics documents measure different things (another dataset, or other sizes of
    its training and test sets), or None when their metrics can be compared. The profile's
    name is not compared: an `--only` build measures what a whole build does."""
    def what(record: VersionRecord) -> tuple:
        profile = record.profile  # a chapter's own sizes (older versions recorded some) are
        # its experiments' business: a change there shows as their change, not as this
        return (record.dataset.name, record.dataset.checksum, profile.train_size,
                profile.test_size)

    if what(old) == what(new):
        return None

    def label(record: VersionRecord) -> str:
        profile = record.profile
        return (f"{record.dataset.name} {profile.name}"
                f" ({profile.train_size} training, {profile.test_size} test)")

    return (f"{label(old)} and {label(new)} are different measurements: a change between them"
            " is no regression, and no noise test can say otherwise")


def compare_records(old: VersionRecord, new: VersionRecord, paired: bool | None = None
                    ) -> dict:
    """Metrics, thresholds and experiment times that changed from `old` to `new` (two
    version records), as plain rows for `reportgen diff` and the report; each changed
    metric with its verdict (see the module's docstring). A metric has changed when its
    chapter value differs, or when the repeats both versions have differ. `incomparable`
    says why the two are different measurements (a gate must not pass them), or is None.
    `paired`: both ran their repeats with the same seeds, so they are compared repeat by
    repeat; None (the default) reads it from the records (`repeats_share_seeds`). A metric
    renamed since `old` was made is compared under its new name (the record reads it so)."""
    if paired is None:
        paired = repeats_share_seeds(old, new)
    metric_rows = []
    added = sorted(new.metrics.keys() - old.metrics.keys())
    removed = sorted(old.metrics.keys() - new.metrics.keys())
    for name in new.metrics.keys() & old.metrics.keys():
        before, after = old.metrics[name], new.metrics[name]
        spread_before, spread_after = old.spread(name), new.spread(name)
        if before == after and _same_repeats(spread_before, spread_after):
            continue
        row = {"metric": name, "old": before, "new": after, "delta": None,
               "old_mean": spread_before.mean if spread_before else None,
               "new_mean": spread_after.mean if spread_after else None}
        if is_number(before) and is_number(after):
            row["delta"] = after - before
        metric_rows.append(row)
    metric_rows.sort(key=lambda row: row["metric"])
    classify(metric_rows, old, new, paired)

    old_status = {t.id: t.status for t in old.thresholds or []}
    threshold_rows = [
        {"id": t.id, "old": old_status.get(t.id), "new": t.status}
        for t in new.thresholds or []
        if old_status.get(t.id) != t.status
    ]

    old_times = old.timings.experiments
    timing_rows = []
    for name, timing in new.timings.experiments.items():
        before = old_times.get(name)
        if before is None or _split(before) != _split(timing):
            continue  # not the same task in both: its work was split into other tasks
        ratio = timing.seconds / before.seconds if before.seconds > 0 else None
        timing_rows.append({
            "experiment": name, "old": before.seconds, "new": timing.seconds,
            "ratio": ratio, "cached": timing.cached,
        })
    return {
        "metrics": metric_rows,  # in both versions, with another value
        "added_metrics": added,  # only in the new version (e.g. a new section)
        "removed_metrics": removed,
        "unchanged_metrics": len(new.metrics) - len(metric_rows) - len(added),
        "thresholds": threshold_rows,
        "timings": timing_rows,
        "wall_seconds": {"old": old.timings.wall_seconds, "new": new.timings.wall_seconds},
        "dataset_changed": old.dataset.checksum != new.dataset.checksum,
        "code": code_changes(old, new),
        "incomparable": incomparable(old, new),
        "significant": sum(row["verdict"] == "significant" for row in metric_rows),
        "paired": paired,
        "repeats": {"old": old.repeat_count, "new": new.repeat_count},
    }


def code_changes(old: VersionRecord, new: VersionRecord) -> dict | None:
    """Which experiments' code changed between two versions (their code digests, which key
    their cached results) and what changed of what they read: each changed name (a constant, a
    function, a class) with its text before and after and the experiments that read it. None
    when either version predates recorded code."""
    if old.code is None or new.code is None:
        return None
    before, after = old.code, new.code
    changed = sorted(task for task in before.digests.keys() & after.digests.keys()
                     if before.digests[task] != after.digests[task])
    names: dict[str, list[str]] = {}
    for task in changed:
        for name in sorted(set(before.reads[task]) | set(after.reads[task])):
            if before.texts.get(name) != after.texts.get(name):
                names.setdefault(name, []).append(task)
    return {
        "experiments": changed,
        # each changed experiment's code digest (the part of its cache key), before and after
        "digests": {task: [before.digests[task][:12], after.digests[task][:12]]
                    for task in changed},
        "names": [{"name": name, "old": before.texts.get(name), "new": after.texts.get(name),
                   "experiments": tasks} for name, tasks in names.items()],
        # changed digests no recorded name explains: reportgen's code that makes the inputs
        "unexplained": [task for task in changed
                        if not any(task in row for row in names.values())],
    }


def diff_gate(changes: dict, old_id: str, new_id: str) -> Gate:
    """`diff --fail-on significant` as a gate (`gate.Gate`): a significant change fails it;
    different measurements, metrics NEW lacks, or changes no repeats can judge ("unknown")
    could not be decided, and fail it too; it passes only the metrics it compared."""
    rows = changes["metrics"]
    unknown_rows = [row for row in rows if row["verdict"] == "unknown"]
    unknown = [row["metric"] for row in unknown_rows]
    removed = changes["removed_metrics"]

    def some(names: list[str]) -> str:
        return ", ".join(names[:3]) + (", …" if len(names) > 3 else "")

    undecided = None
    if changes["incomparable"]:
        undecided = changes["incomparable"]
    elif removed:  # what NEW does not measure cannot be judged
        undecided = (f"{len(removed)} of its metrics are not in {new_id} ({some(removed)});"
                     " compare versions that measure the same sections")
    elif unknown:
        repeatable = all(row["method"] == NO_REPEATS for row in unknown_rows)
        undecided = (f"{len(unknown)} changed metric(s) could not be judged against seed noise"
                     f" ({some(unknown)}: {unknown_rows[0]['method']})"
                     + ("; build both versions with --repeats" if repeatable else ""))
    significant = changes["significant"]
    return Gate(
        checked=len(rows) - len(unknown) + changes["unchanged_metrics"],
        failed=(f"{significant} metric(s) changed significantly from {old_id} to {new_id}"
                if significant else None),
        undecided=f"cannot gate {old_id} against {new_id}: {undecided}" if undecided else None,
        nothing=f"{old_id} and {new_id} have no metric in common")
