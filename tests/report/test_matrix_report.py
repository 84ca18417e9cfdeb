"""The matrix report answers on its first page: which releases give the book's numbers (and the
command that builds them), and at each boundary that changed numbers, which printed values."""

from pathlib import Path

from reportgen.archive import Archive
from reportgen.report.matrix import _answer, _change, matrix_context, read_matrix
from reportgen.report.render import render_version

REPORTS = Path(__file__).parents[2] / "reports"


def _releases(*rows: tuple[list, list[bool]], unchanged: int = 3) -> dict:
    labels = ["scikit-learn 1.0", "scikit-learn 2.0"]
    return {"releases": [{"label": label, "pins": {"scikit-learn": label.split()[1]}}
                         for label in labels],
            "published": [{"metric": f"m.{i}", "published": values[0], "values": values,
                           "agrees": agrees} for i, (values, agrees) in enumerate(rows)],
            "changes": [{"from": labels[0], "to": labels[1], "unchanged": unchanged,
                         "beyond_noise": 0,
                         "metrics": [{"metric": f"m.{i}"} for i, (values, _) in enumerate(rows)
                                     if values[0] != values[1]]}]}


def test_the_first_page_names_the_releases_that_give_the_book_and_what_changed():
    answer = _answer(_releases(([0.5, 0.6], [True, False]), ([1, 1], [True, True])))
    assert answer["book_releases"] == ["scikit-learn 1.0"]
    assert answer["command"] == "reportgen build --scikit-learn 1.0"
    [boundary] = answer["boundaries"]
    assert (boundary["changed"], boundary["of"]) == (1, 4)
    assert boundary["printed"] == [{"metric": "m.0", "change": "0.5 → 0.6",
                                    "reproduced_before": True, "reproduced_after": False}]


def test_no_release_giving_the_book_gives_no_command():
    answer = _answer(_releases(([0.5, 0.6], [False, False])))
    assert answer["book_releases"] == [] and answer["command"] is None


def test_a_change_is_said_in_a_line_whatever_its_shape():
    assert _change(0.9669, 0.9042) == "0.9669 → 0.9042"
    assert _change([0.9, 0.8, 0.7], [0.9, 0.81, 0.7]) == "[1] 0.8 → 0.81"
    assert _change([[1, 2], [3, 4]], [[1, 2], [5, 4]]) == "1 of 4 cells, by at most 2"
    assert _change(list(range(6)), [x + 1 for x in range(6)]).endswith("; and 3 more")


def test_the_committed_matrix_answers_on_its_first_page():
    matrices = [v for v in Archive(REPORTS).versions() if v.kind == "matrix"
                and read_matrix(v)["published"]]
    version = matrices[-1]
    context = matrix_context(read_matrix(version), version.path)
    answer = context["answer"]
    assert answer["book_releases"] and answer["command"].startswith("reportgen build --")
    report = render_version(version.path)
    html = report[report.index('<section id="answer"'):report.index('<nav class="toc"')]
    assert answer["command"] in html and "Cause: not identified." in html
    for boundary in answer["boundaries"]:
        assert f"{boundary['from']} → {boundary['to']}" in html
