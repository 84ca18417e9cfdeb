"""One test per claim of the chapter (reportgen/thresholds.toml), against a report's metrics.

A claim of severity "fail" that does not hold fails its test; one of severity "warn" passes
with a pytest warning that states it (as `build` and `check` show it as WARN and exit 0)."""

import warnings

import pytest

from reportgen.thresholds import DEFAULT_SPEC, evaluate, none_apply, thresholds_gate
from tests.chapter import builtin_spec
from tests.thresholds.evidence import not_in_version


class ThresholdWarning(UserWarning):
    """A claim of severity "warn" that does not hold."""


def test_claim_holds(threshold, checked_record, checked_version):
    """A claim newer than the archived version checked (a new section's, a new metric's) is
    skipped as not in it; on a fresh build every claim is checked."""
    reason = checked_version and not_in_version(threshold, checked_record)
    if reason:
        pytest.skip(reason)
    [outcome] = evaluate([threshold], checked_record)
    if outcome.status == "WARN":
        warnings.warn(ThresholdWarning(outcome.message), stacklevel=1)
        return
    assert outcome.passed, outcome.message


def test_the_checked_record_is_the_chapters_dataset(checked_record):
    assert checked_record.dataset.name == "mnist"
    assert checked_record.dataset.x_sha256.startswith("5b92582e")


def test_the_claims_checked_pass_the_one_gate(checked_record, checked_version):
    """The claims above as one gate (reportgen.gate, as `check` runs it): a session that
    checked no claim (none applies to the checked version, or every one is newer than it)
    fails instead of passing on skips alone."""
    spec = builtin_spec(DEFAULT_SPEC)
    outcomes = [outcome.stored() for outcome in evaluate(spec, checked_record)
                if not (checked_version and not_in_version(outcome.threshold,
                                                            checked_record))]
    nothing = "" if outcomes else none_apply(spec, checked_record, DEFAULT_SPEC)
    gate = thresholds_gate(outcomes, checked_version or "the fresh build", nothing)
    assert gate.passed, gate.problem
