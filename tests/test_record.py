"""The version record and its codec: every archived metrics.json reads as today's record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportgen.archive import Archive
from reportgen.record import RENAMED_METRICS, SCHEMA, RecordError, VersionRecord

ROOT = Path(__file__).resolve().parents[1]
ARCHIVED = sorted((ROOT / "reports").glob("v*/metrics.json")) + sorted(
    (ROOT / "reports").glob("v*/runs/*/metrics.json"))


@pytest.mark.parametrize("path", ARCHIVED, ids=lambda p: str(p.relative_to(ROOT / "reports")))
def test_every_committed_version_reads_and_writes_back_what_it_read(path):
    record = VersionRecord.from_json(json.loads(path.read_text()), path)
    again = VersionRecord.from_json(record.to_json())
    assert again == record.with_(schema=SCHEMA)


def test_a_version_of_todays_schema_is_written_back_to_the_byte():
    reference = Archive(ROOT / "reports").previous("mnist", "full")
    raw = json.loads((reference.path / "metrics.json").read_text())
    assert raw["schema"] == SCHEMA
    assert reference.record().to_json() == raw


def test_a_first_schema_version_reads_with_todays_fields_and_names():
    old, new = next(iter(RENAMED_METRICS.items()))
    record = VersionRecord.from_json({
        "schema": 1, "dataset": {"name": "mnist"}, "profile": {"name": "full",
                                                               "train_size": 60000},
        "metrics": {old: 47.1},
        "thresholds": [{"id": "t", "metric": old, "passed": False, "message": "FAIL t"}],
        "published": [{"metric": old, "published": 1.0, "ours": 2.0, "ours_rounded": 2.0,
                       "agrees": False, "why": "1.8.0 changed it; this run used scikit-learn"
                       " 1.9.1. 1 of its 3 values differs"}],
        "timings": {"wall_seconds": 3.0, "experiments": {"a": {"seconds": 1.0,
                                                               "cached": True}}}})
    assert record.metrics == {new: 47.1} and record.sections is None
    [outcome] = record.thresholds
    assert (outcome.metric, outcome.status, outcome.on, outcome.severity) == (
        new, "FAIL", "value", "fail")
    [row] = record.published
    assert row.metric == new
    assert (row.why, row.detail) == ("1.8.0 changed it; this run used scikit-learn 1.9.1",
                                     "1 of its 3 values differs")
    assert record.timings.experiments["a"].depends_on == []
    assert record.timings.scheduler == "local processes" and record.repeat_count == 1
    assert record.profile.train_size == 60000 and record.profile.test_size is None


@pytest.mark.parametrize("change, message", [
    ({"metrics": [1, 2]}, "metrics is a list, not an object"),
    ({"profile": {}}, "profile has no 'name'"),
    ({"schema": SCHEMA + 1}, f"this reportgen reads schema {SCHEMA} and older: upgrade"),
    ({"published": [{"metric": "m"}]}, "TypeError"),
])
def test_what_is_no_record_is_one_line_naming_the_file(change, message):
    document = {"dataset": {"name": "digits"}, "profile": {"name": "quick"}, "metrics": {},
                **change}
    with pytest.raises(RecordError, match=message) as raised:
        VersionRecord.from_json(document, "v9/metrics.json")
    assert str(raised.value).startswith("v9/metrics.json") and "\n" not in str(raised.value)


def test_an_outcome_stored_before_statuses_that_missed_its_metric_is_missing():
    record = VersionRecord.from_json({
        "dataset": {"name": "mnist"}, "profile": {"name": "full"}, "metrics": {},
        "thresholds": [{"id": "a", "metric": "m.x", "passed": False, "message": "",
                        "missing": "m.x"}]})
    assert record.thresholds[0].status == "MISSING"
