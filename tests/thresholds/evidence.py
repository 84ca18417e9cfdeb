"""Whether a claim's quick bound has evidence to be derived from: a claim newer than the
measured quick repeats (a new section's, or a new metric's) is said to be not checked, not an
error; measuring quick repeats is what checks it."""

from __future__ import annotations

from reportgen.thresholds import Threshold


def not_measured(threshold: Threshold, measured: dict) -> str | None:
    """Why `threshold`'s quick bound cannot be checked against the measured quick repeats
    (quick_repeats.json), or None when it can."""
    if threshold.metric in measured["metrics"]:
        return None
    return (f"{threshold.id}: not in the checked quick repeats: quick_repeats.json has no"
            f" {threshold.metric}; measure repeats of the quick profile and derive its bound")
