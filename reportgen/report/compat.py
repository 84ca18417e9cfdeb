"""Versions made by older reportgens: the parts of their render data that today's templates need
and they lack, filled in as "—" (unknown) rather than failing to render. (Their metrics.json is
migrated by its codec, `record.VersionRecord.from_json`.)"""

from __future__ import annotations


def changes_of_any_release(changes: dict | None) -> dict | None:
    """Changes stored before diffs knew the noise have no verdicts: shown as "—"; before
    verdicts named their null and test, none is named."""
    if changes is None:
        return None
    rows = [{"verdict": None, "method": None, "p_value": None, "null": None, "test": None,
             **row} for row in changes["metrics"]]
    return {"significant": None, "paired": False, **changes, "metrics": rows}


def projection_of_any_release(projection: dict, tasks: int) -> dict:
    """Versions made before tasks were split into folds lack some of the projection's fields:
    shown as "—" rather than failing to render."""
    measured = projection.get("measured")
    if measured:
        measured = {"scheduler": "local processes", "idle_seconds": None, **measured}
    rows = [{"idle_seconds": None, "bounding_task": None, "floor_task": None,
             "floor_seconds": None, "over_floor": None, **row} for row in projection["rows"]]
    return {"tasks": tasks, "timeline_chart": None, "speedups": [], "repeats": None,
            **projection, "rows": rows, "measured": measured}


def facts_of_any_release(section_id: str, facts: dict) -> dict:
    """A built-in section's facts as today's partial reads them: the test section of versions
    made before test-sample intervals has none, and no paired comparisons (shown as "—" and a
    note, never made up)."""
    if section_id != "test" or "interval_methods" in facts:
        return facts
    from reportgen.statistics import CONFIDENCE, SIGNIFICANCE, TEST_SAMPLE_NOISE

    rows = [{"low": None, "high": None, "interval_method": None,
             "gap_within_sample_noise": None, **row} for row in facts.get("rows", [])]
    return {"confidence": CONFIDENCE, "significance": SIGNIFICANCE, "null": TEST_SAMPLE_NOISE,
            "interval_methods": [], "comparisons": [], "gaps_beyond_sample_noise": [],
            "gaps_compared": sum(row.get("gap") is not None for row in rows), **facts,
            "rows": rows}
