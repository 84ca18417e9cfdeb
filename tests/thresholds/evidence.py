"""Whether a claim of the spec has evidence to be checked on: a claim newer than the committed
version (a new section's, or a new metric's) is not in it, and is said to be not checked, not
an error; building anew (and measuring quick repeats) is what checks it."""

from __future__ import annotations

from reportgen.record import VersionRecord
from reportgen.thresholds import Threshold


def not_in_version(threshold: Threshold, record: VersionRecord) -> str | None:
    """Why `threshold` cannot be checked on this archived version, or None when it can: its
    section was not built there, or a metric it names is not in its metrics.json."""
    version = record.version or "the checked version"
    names = [name for name in (threshold.metric, threshold.bound_metric) if name]
    built = record.sections  # None: a version from before sections were recorded
    unbuilt = sorted({name.split(".")[0] for name in names} - set(built)) if built else []
    if unbuilt:
        return (f"{threshold.id}: not in the checked version {version}: section(s)"
                f" {', '.join(unbuilt)} not built there; build anew to check the claim")
    absent = [name for name in names if name not in record.metrics]
    if absent:
        return (f"{threshold.id}: not in the checked version {version}: it has no metric"
                f" {absent[0]} (archived before the metric existed); build anew to check the"
                " claim")
    return None


def not_measured(threshold: Threshold, measured: dict) -> str | None:
    """Why `threshold`'s quick bound cannot be checked against the measured quick repeats
    (quick_repeats.json), or None when it can."""
    if threshold.metric in measured["metrics"]:
        return None
    return (f"{threshold.id}: not in the checked quick repeats: quick_repeats.json has no"
            f" {threshold.metric}; measure repeats of the quick profile and derive its bound")
