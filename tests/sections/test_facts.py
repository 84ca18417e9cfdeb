"""The prose reads its facts from the code that owns them: change a constant and the report's
labels and text follow (and the experiments that read it rerun)."""

import re

import pytest

from reportgen.build import build_report
from reportgen.sections import binary, errors, shared
from reportgen.sections.prose import estimator_call


@pytest.fixture(scope="module")
def html_with(tmp_path_factory):
    def build(changes: dict) -> str:
        with pytest.MonkeyPatch.context() as patch:
            for (module, name), value in changes.items():
                patch.setattr(module, name, value)
            outcome = build_report("digits", "quick", jobs=1, pdf=False, benchmarks_dir=None,
                                   reports_dir=tmp_path_factory.mktemp("reports"))
        html = (outcome.path / "report.html").read_text()
        # the prose and labels: the code listings show the source as written, docstrings too
        return re.sub(r'<details class="code">.*?</details>', "", html, flags=re.S)

    return build


def test_the_positive_digit_drives_labels_and_prose(html_with):
    html = html_with({(shared, "POSITIVE_DIGIT"): 3, (binary, "POSITIVE_DIGIT"): 3})
    assert "<h1>A binary classifier: the 3-detector</h1>" in html
    assert "<th>not 3</th>" in html and "a classifier that <em>never</em> says 3" in html
    assert "the 5-detector" not in html and "<th>not 5</th>" not in html


def test_the_error_pair_drives_prose_and_captions(html_with):
    html = html_with({(errors, "CLASS_A"): 4, (errors, "CLASS_B"): 9})
    assert "Fours and nines, by what the classifier took them for" in html
    assert "fours were\n  taken for nines" in html
    assert "Threes and fives" not in html


def test_estimator_calls_are_read_from_the_estimators():
    assert estimator_call(shared.sgd_classifier(), "max_iter", "tol") == (
        "SGDClassifier(max_iter=1000, tol=0.001, random_state=42)")
    from reportgen.sections.multiclass import ovr_classifier
    assert estimator_call(ovr_classifier()) == (
        "OneVsRestClassifier(SVC(gamma='auto', random_state=42))")
