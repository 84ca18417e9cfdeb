"""What changed between two metrics documents: metrics, thresholds, timings.

Used by `reportgen diff` and by the report's "changes since the previous version".
"""

from __future__ import annotations

from typing import Any


def is_number(value: Any) -> bool:
    """A real number, not a boolean (True is an int to Python, not a metric value)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _split(timing: dict) -> tuple[str, ...]:
    """The tasks a task waited for (none recorded before tasks were split into folds)."""
    return tuple(timing.get("depends_on") or ())


def compare_documents(old: dict, new: dict) -> dict:
    """Metrics, thresholds and experiment times that changed from `old` to `new` (two
    metrics.json documents), as plain rows for `reportgen diff` and the report."""
    metric_rows = []
    added = sorted(new["metrics"].keys() - old["metrics"].keys())
    removed = sorted(old["metrics"].keys() - new["metrics"].keys())
    for name in new["metrics"].keys() & old["metrics"].keys():
        before, after = old["metrics"][name], new["metrics"][name]
        if before == after:
            continue
        row = {"metric": name, "old": before, "new": after, "delta": None}
        if is_number(before) and is_number(after):
            row["delta"] = after - before
        metric_rows.append(row)
    metric_rows.sort(key=lambda row: row["metric"])

    old_status = {t["id"]: t["passed"] for t in old.get("thresholds", [])}
    threshold_rows = [
        {"id": t["id"], "old": old_status.get(t["id"]), "new": t["passed"]}
        for t in new.get("thresholds", [])
        if old_status.get(t["id"]) != t["passed"]
    ]

    old_times = old["timings"]["experiments"]
    timing_rows = []
    for name, timing in new["timings"]["experiments"].items():
        before = old_times.get(name)
        if before is None or _split(before) != _split(timing):
            continue  # not the same task in both: its work was split into other tasks
        ratio = timing["seconds"] / before["seconds"] if before["seconds"] > 0 else None
        timing_rows.append({
            "experiment": name, "old": before["seconds"], "new": timing["seconds"],
            "ratio": ratio, "cached": timing["cached"],
        })
    return {
        "metrics": metric_rows,  # in both versions, with another value
        "added_metrics": added,  # only in the new version (e.g. a new section)
        "removed_metrics": removed,
        "unchanged_metrics": len(new["metrics"]) - len(metric_rows) - len(added),
        "thresholds": threshold_rows,
        "timings": timing_rows,
        "wall_seconds": {"old": old["timings"]["wall_seconds"],
                         "new": new["timings"]["wall_seconds"]},
        "dataset_changed": old["dataset"]["checksum"] != new["dataset"]["checksum"],
    }
