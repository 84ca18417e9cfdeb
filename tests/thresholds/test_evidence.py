"""A new section's claim without committed evidence does not break the claims' tests (the
pytest plugin's): they say it is not in the checked version (a skip with that reason), not an
error. A claim that is in the version is checked as before, and a fresh build's missing metric
still fails."""

from dataclasses import replace

import pytest

import tests.thresholds.test_quick_bounds as quick_bounds
from reportgen.archive import Archive
from reportgen.pytest_plugin import judge
from reportgen.thresholds import DEFAULT_SPEC, evaluate, load_spec
from tests.chapter import CHAPTER, builtin_spec
from tests.sections.test_toy_section import toy_section
from tests.thresholds.conftest import ROOT

NEW_CLAIM = """
[[threshold]]
id = "toy-some-pixels"
metric = "toy.count.pixels_on"
op = ">"
bound = { full = 5, quick = 5 }
claim = "The first image is not blank."
"""


@pytest.fixture
def reference():
    """The committed full reference version, and its metrics.json."""
    version = Archive(ROOT / "reports").previous("mnist", "full")
    return version.id, version.record()


@pytest.fixture
def new_claim(tmp_path):
    """A claim of a section the committed versions know nothing of, in a chapter that has it."""
    spec = tmp_path / "spec.toml"
    spec.write_text(NEW_CLAIM)
    [claim] = load_spec(spec, CHAPTER.adding(toy_section()).metrics())
    return claim


def chapter_claim(claim_id: str):
    return next(t for t in builtin_spec(DEFAULT_SPEC) if t.id == claim_id)


def test_a_new_sections_claim_is_not_in_the_committed_version(reference, new_claim):
    version_id, document = reference
    assert "toy" not in document.sections and evaluate([new_claim], document) == []
    checked = judge([new_claim], document, version_id, archived=True, path="spec.toml")
    assert checked.outcomes == {}
    assert checked.skipped["toy-some-pixels"] == (
        f"toy-some-pixels: {version_id} ran no section toy; build anew (--claims-build) to"
        " check the claim")
    assert checked.nothing  # and the gate, with nothing checked, fails


def test_a_new_sections_claim_is_not_in_the_measured_quick_repeats(new_claim):
    with pytest.raises(pytest.skip.Exception) as skipped:
        quick_bounds.test_the_quick_bound_is_derived_from_measured_repeats(new_claim)
    assert str(skipped.value) == ("toy-some-pixels: not in the checked quick repeats:"
                                  " quick_repeats.json has no toy.count.pixels_on; measure"
                                  " repeats of the quick profile and derive its bound")


def test_a_claim_on_a_metric_the_version_lacks_is_not_in_it(reference):
    version_id, document = reference
    older = document.with_(metrics={name: value for name, value in document.metrics.items()
                                    if name != "binary.forest.roc_auc"})
    claim = chapter_claim("forest-roc-auc")
    checked = judge([claim], older, version_id, archived=True, path="spec.toml")
    assert checked.skipped["forest-roc-auc"] == (
        f"forest-roc-auc: not in the checked version {version_id}: it has no metric"
        " binary.forest.roc_auc (archived before the metric existed); build anew"
        " (--claims-build) to check the claim")
    in_it = judge([claim], document, version_id, archived=True, path="spec.toml")
    assert in_it.outcomes["forest-roc-auc"].passed  # in the version: checked, and holds
    fresh = judge([claim], older, "a fresh quick build", archived=False, path="spec.toml")
    assert fresh.outcomes["forest-roc-auc"].status == "MISSING"  # a fresh build must have it


def test_a_measured_claim_is_still_checked():
    claim = chapter_claim("forest-roc-auc")
    quick_bounds.test_the_quick_bound_is_derived_from_measured_repeats(claim)
    wrong = replace(claim, bounds={**claim.bounds, "quick": 0.5})
    with pytest.raises(AssertionError, match="quick bound 0.5, derived"):
        quick_bounds.test_the_quick_bound_is_derived_from_measured_repeats(wrong)
