"""The robustness section's claims from cross-validation, with the corrected interval."""

import pytest

from reportgen.record import VersionRecord
from reportgen.report.model import cv_claims
from tests.versions import record_of


def document(folds_a, folds_b=None, op=">", bound=0.9) -> VersionRecord:
    metrics = {"m.a.cv": {"values": folds_a}}
    thresholds = [{"id": "fixed", "claim": "c", "metric": "m.a.cv", "bound_metric": None,
                   "op": op, "bound": bound, "passed": True, "message": ""}]
    fold_scores = {"m.a.cv": "m.a.cv", "m.a.cv_mean": "m.a.cv"}
    if folds_b is not None:
        metrics["m.b.cv"] = {"values": folds_b}
        fold_scores.update({"m.b.cv": "m.b.cv", "m.b.cv_mean": "m.b.cv"})
        thresholds.append({"id": "ordering", "claim": "c", "metric": "m.a.cv_mean",
                           "bound_metric": "m.b.cv_mean", "op": ">", "bound": 0.5,
                           "passed": True, "message": ""})
    return record_of({"metrics": {}, "thresholds": thresholds,
                      "repeats": {"count": len(folds_a), "fold_scores": fold_scores,
                                  "metrics": metrics}})


def test_a_claim_the_naive_interval_carries_can_fail_under_the_corrected_one():
    folds = [[0.915, 0.925, 0.92], [0.93, 0.91, 0.92], [0.92, 0.92, 0.925]]  # 0.9206 ± 0.006
    [row] = cv_claims(document(folds, bound=0.913))
    assert row["holds_naive"] and not row["holds_corrected"]
    assert row["naive_low"] > 0.913 > row["low"]


def test_an_ordering_is_asked_of_the_per_fold_differences():
    a = [[0.90, 0.92, 0.91], [0.91, 0.93, 0.90], [0.92, 0.91, 0.91]]
    b = [[0.88, 0.90, 0.89], [0.89, 0.91, 0.88], [0.90, 0.89, 0.89]]  # 0.02 below, every fold
    rows = {row["id"]: row for row in cv_claims(document(a, b))}
    assert rows["ordering"]["bound"] == 0 and rows["ordering"]["mean"] == pytest.approx(0.02)
    assert rows["ordering"]["holds_corrected"]
    assert "fold by fold" in rows["ordering"]["of"]


def test_claims_without_per_fold_repeats_are_left_out():
    doc = document([[0.95, 0.96, 0.94], [0.95, 0.97]])  # not k scores in every repeat
    assert cv_claims(doc) == []
    assert cv_claims(doc.with_(repeats=None)) == []



def test_a_claim_not_checked_for_want_of_a_bound_is_no_cv_claim():
    record = document([[0.915, 0.925, 0.92], [0.93, 0.91, 0.92]])
    [fixed] = record.thresholds
    unchecked = fixed.__class__(**{**fixed.__dict__, "bound": None, "status": "NOT CHECKED"})
    assert cv_claims(record.with_(thresholds=[unchecked])) == []
