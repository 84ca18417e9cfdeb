"""The quick profile's bounds are not hand-picked: each is what `derive_bound` gives from the
repeats measured on the quick profile (quick_repeats.json, kept beside this test), so the spec
and its evidence cannot drift apart."""

import json
from pathlib import Path

import pytest

from reportgen.thresholds import DEFAULT_SPEC, derive_bound
from tests.chapter import builtin_spec
from tests.thresholds.evidence import not_measured

MEASURED = json.loads((Path(__file__).parent / "quick_repeats.json").read_text())
DERIVED = [t for t in builtin_spec(DEFAULT_SPEC)
           if t.bound_metric is None and t.op != "==" and t.bound_for("full") is not None]


@pytest.mark.parametrize("claim", DERIVED, ids=[t.id for t in DERIVED])
def test_the_quick_bound_is_derived_from_measured_repeats(claim):
    """A claim on a metric the measured repeats do not hold (a new section's) is skipped as not
    in them."""
    reason = not_measured(claim, MEASURED)
    if reason:
        pytest.skip(reason)
    repeats = MEASURED["metrics"][claim.metric]
    derived = derive_bound(claim.op, claim.bound_for("full"), repeats["values"],
                           repeats["mean"], repeats["std"])
    assert claim.bound_for("quick") == derived, (
        f"{claim.id}: quick bound {claim.bound_for('quick')}, derived {derived}")


def test_the_evidence_is_enough_repeats_of_the_quick_profile():
    assert MEASURED["count"] >= 5 and MEASURED["profile"]["train_size"] == 6000
