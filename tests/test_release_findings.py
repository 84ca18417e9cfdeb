"""The chapter report explains a difference from the book only by what a release matrix
measured: the findings reportgen ships must be those of the matrix committed in reports/, and
no section may write its own reason about releases."""

import re
from pathlib import Path

import pytest

from reportgen.archive import Archive
from reportgen.matrix import MATRIX_DATA
from reportgen.release_findings import explanation, findings_of, shipped
from reportgen.report.matrix import MATRIX_SHAPE
from tests.chapter import CHAPTER

REPORTS = Path(__file__).resolve().parents[1] / "reports"


def committed_matrix():
    """The newest matrix of the full chapter on MNIST in the committed archive."""
    matrices = [v for v in Archive(REPORTS).versions() if v.kind == "matrix"
                and v.manifest["dataset"] == "mnist" and v.manifest["profile"] == "full"]
    assert matrices, f"no release matrix of the full chapter in {REPORTS}"
    return matrices[-1]


def test_the_shipped_findings_are_those_of_the_committed_matrix():
    version = committed_matrix()
    measured = findings_of(version.read_json(MATRIX_DATA, MATRIX_SHAPE))
    assert shipped() == measured, (
        f"reportgen/release_findings.json is not what {version.id} found: run `reportgen show"
        f" {version.id} --findings > reportgen/release_findings.json`")


def test_every_printed_value_is_covered_and_each_explanation_says_what_was_measured():
    findings = shipped()
    printed = {m.name for s in CHAPTER.sections for m in s.metrics if m.published is not None}
    assert set(findings["metrics"]) == printed
    for name, found in findings["metrics"].items():
        text = explanation(name, "9.9.9")
        assert findings["matrix"] in text and "this run used scikit-learn 9.9.9" in text
        for label in filter(None, (found["newest_reproducing"], found["first_not_reproducing"])):
            assert label in text, (name, text)


@pytest.mark.parametrize("found, says", [
    ({"reproduced_by": ["scikit-learn 1.5.2", "scikit-learn 1.6.1"],
      "newest_reproducing": "scikit-learn 1.6.1", "first_not_reproducing": "scikit-learn 1.7.2"},
     "scikit-learn 1.6.1 is the newest release that reproduces it (as do scikit-learn 1.5.2);"
     " scikit-learn 1.7.2, the next release measured, does not, nor does any later one"),
    ({"reproduced_by": [], "newest_reproducing": None, "first_not_reproducing": None},
     "none of the releases measured reproduces it"),
    ({"reproduced_by": ["scikit-learn 1.5.2", "scikit-learn 1.6.1", "scikit-learn 1.7.2",
                         "scikit-learn 1.8.0"],
      "newest_reproducing": "scikit-learn 1.8.0", "first_not_reproducing": None},
     "the newest measured included"),
])
def test_explanations_from_findings(found, says):
    findings = {"matrix": "v0009-x", "releases": ["scikit-learn 1.5.2", "scikit-learn 1.6.1",
                                                  "scikit-learn 1.7.2", "scikit-learn 1.8.0"],
                "metrics": {"m": found}}
    text = explanation("m", "1.7.2", "it is counted from other predictions", findings)
    assert says in text and "v0009-x" in text
    assert text.endswith("this run used scikit-learn 1.7.2. It is counted from other predictions")


def test_a_value_no_matrix_measured_says_so():
    assert explanation("m", "1.9.1", findings={"metrics": {}}).startswith("not measured")


def test_no_section_writes_its_own_reason_about_releases():
    """A reason naming a release, a pull request or an "older scikit-learn" was written, not
    measured (one such blamed a StratifiedKFold change that the old releases refute)."""
    unmeasured = re.compile(r"\d+\.\d+|pull request|#\d+|older|newer|release", re.IGNORECASE)
    for section in CHAPTER.sections:
        for metric in section.metrics:
            assert not unmeasured.search(metric.why_different), (metric.name,
                                                                  metric.why_different)


def test_the_book_s_numbers_on_demand_name_a_release_that_reproduces_every_printed_value():
    from reportgen.release_findings import book_releases

    labels = ["scikit-learn 1.5.2", "scikit-learn 1.7.2, numpy 2.0.2", "scikit-learn 1.8.0"]
    findings = {"matrix": "v0009-x", "releases": labels, "metrics": {
        "a": {"reproduced_by": labels[:2]}, "b": {"reproduced_by": labels}}}
    found = book_releases(findings)
    assert found["releases"] == labels[:2]
    assert found["command"] == "reportgen build --scikit-learn 1.7.2 --numpy 2.0.2"
    findings["metrics"]["c"] = {"reproduced_by": []}
    assert book_releases(findings)["command"] is None
