"""The rendered report: structure of the HTML, pages/bookmarks/text of the PDF, changes, index."""

import json
import re

import pytest
from pypdf import PdfReader

from reportgen.build import build_report
from reportgen.report.context import PROJECTION_WORTH_SECONDS
from reportgen.report.filters import (
    fmt_brief,
    fmt_interval,
    fmt_number,
    fmt_percent,
    fmt_seconds,
    fmt_spread,
)
from reportgen.report.jinja import environment
from reportgen.report.pdf import ExternalResourceError, write_pdf
from tests.chapter import CHAPTER
from tests.sections.test_toy_section import toy_section
from tests.test_benchmarks_history import save_run

FIGURES = [figure for section in CHAPTER.sections for figure in section.figures]
# the build record's parts: how the version was built and checked, apart from the chapter
RECORD = ("run", "thresholds", "timings", "changes", "metrics", "provenance")


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    storage = tmp_path_factory.mktemp("benchmarks")
    save_run(storage, "0001", {"test_svc_fit": 2.0}, "2026-11-01T10:00:00+00:00")
    save_run(storage, "0002", {"test_svc_fit": 2.2, "test_run_two_jobs": 30.0,
                               "test_run_one_job": 40.0}, "2026-11-02T10:00:00+00:00",
             baselines={"test_run_two_jobs": "test_run_one_job"})
    with pytest.MonkeyPatch.context() as patch:  # its own empty cache: the first build computes
        patch.setenv("REPORTGEN_CACHE", str(tmp_path_factory.mktemp("cache")))
        first = build_report("digits", "quick", reports_dir=reports, jobs=1,
                             benchmarks_dir=None)
        second = build_report("digits", "quick", reports_dir=reports, jobs=1,
                              benchmarks_dir=storage)
    return reports, first, second


def test_the_edition_holds_the_chapter_and_the_record_how_it_was_built(two_builds):
    """Two self-contained documents from one version: the chapter edition (its answer page,
    then every section with its figures) and the build record (thresholds in full, timings,
    changes, metric names, provenance); neither holds the other's parts."""
    _, first, _ = two_builds
    edition = (first.path / "report.html").read_text()
    record = (first.path / "record.html").read_text()
    for section in ["summary", *(s.id for s in CHAPTER.sections)]:
        assert f'<section id="{section}"' in edition and f'<section id="{section}"' not in record
    for part in RECORD:
        assert f'<section id="{part}"' in record and f'<section id="{part}"' not in edition
    # the timeline of the tasks it computed and its projection on more workers, drawn for a
    # build whose tasks take long enough for them to say something; one line otherwise
    projection = json.loads((first.path / "render.json").read_text())["projection"]
    drawn = projection["total_seconds"] >= PROJECTION_WORTH_SECONDS
    assert edition.count('src="data:image/svg+xml;base64,') == len(FIGURES)
    assert record.count('src="data:image/svg+xml;base64,') == (2 if drawn else 0)
    assert ("too little for a projection onto more cores" in record) is not drawn
    for html in (edition, record):
        assert not re.search(r'(src|href)="(https?:)?//', html), "no external requests"
        assert "<style>" in html and "<link" not in html and first.version_id in html
    for number in range(1, len(FIGURES) + 1):
        assert f"<strong>Figure {number}.</strong>" in edition
    assert '<a href="record.html">' in edition and '<a href="report.html">' in record


def test_sections_beyond_the_chapter_come_after_it_and_say_so(two_builds):
    _, first, _ = two_builds
    edition = (first.path / "report.html").read_text()
    beyond = [s for s in CHAPTER.sections if not s.from_chapter]
    ours = [s for s in CHAPTER.sections if s.from_chapter]
    assert beyond and ours
    start = edition.index('<section id="beyond"')
    assert all(edition.index(f'<section id="{s.id}"') < start for s in ours)
    assert all(edition.index(f'<section id="{s.id}" class="chapter beyond"') > start
               for s in beyond)


def test_each_section_shows_the_code_that_computed_it(two_builds):
    """Read from the code itself, so it cannot drift: the chapter's calls are recognisable,
    the engine's plumbing is not shown."""
    import html as html_module
    import inspect

    from reportgen.sections import binary

    _, first, _ = two_builds
    edition = html_module.unescape((first.path / "report.html").read_text())
    start = edition.index('<section id="binary"')
    section = edition[start:edition.index("</section>", start)]
    assert "The code that computed this section's numbers" in section
    assert inspect.getsource(binary.never5).split("def ", 1)[1].rstrip() in section
    assert "cross_val_predict(sgd_classifier(), X, y, cv=3)" in section
    assert "CV_FOLDS = 3" in section
    assert "def fit_fold" not in section and "def join_folds" not in section


HOSTILE = "<script>alert(1)</script> & co"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"


def test_html_escapes_what_it_shows(tmp_path):
    """A section's facts reach its title, the contents, its prose, a figure's caption and the
    metric table, and a claim reaches the thresholds table: all shown as text, never markup."""
    spec = tmp_path / "spec.toml"
    spec.write_text('[[threshold]]\nid = "toy"\nmetric = "toy.count.pixels_on"\nop = ">"\n'
                    f'bound = {{ quick = 5 }}\nclaim = "{HOSTILE}"\ndataset = "digits"\n')
    outcome = build_report("digits", "quick", chapter=CHAPTER.adding(toy_section(what=HOSTILE)),
                           only=("toy",), reports_dir=tmp_path / "r", jobs=1, pdf=False,
                           thresholds_path=spec, benchmarks_dir=None)
    html = "".join((outcome.path / f"{name}.html").read_text() for name in ("report", "record"))
    assert "<script" not in html and "& co" not in html
    for shown in (f"<h1>A toy section about {ESCAPED}</h1>",
                  f'<a href="#toy">A toy section about {ESCAPED}</a>',
                  f"The toy section counts {ESCAPED}:",
                  f"Histogram of {ESCAPED}.</figcaption>",
                  f"<td>Pixels that are on in the first image ({ESCAPED})</td>",
                  f'data-label="Claim and metric">{ESCAPED} <code>toy: toy.count.pixels_on</code>'):
        assert shown in html


def test_pdf_has_pages_bookmarks_and_extractable_text(two_builds):
    _, first, _ = two_builds
    reader = PdfReader(first.path / "report.pdf")
    assert len(reader.pages) >= 10
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    for title in ("Does this run confirm the chapter?", "The data",
                  "A binary classifier: the 5-detector", "Error analysis"):
        assert title in titles
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Contents" in text and first.version_id in text
    assert re.search(r"page 2 of \d+", reader.pages[1].extract_text())
    record = PdfReader(first.path / "record.pdf")
    assert {"Thresholds", "Provenance"} <= {item.title for item in record.outline
                                            if not isinstance(item, list)}


def test_second_version_shows_changes_since_the_first(two_builds):
    _, first, second = two_builds
    assert second.previous_id == first.version_id
    html = (second.path / "record.html").read_text()
    assert f"Compared with <strong>{first.version_id}</strong>" in html
    first_html = (first.path / "record.html").read_text()
    assert "nothing to compare with" in first_html


def test_index_links_every_version(two_builds):
    reports, first, second = two_builds
    index = (reports / "index.html").read_text()
    for build in (first, second):
        assert f'href="{build.version_id}/report.html"' in index
        assert f'href="{build.version_id}/report.pdf"' in index
    assert "data:image/svg+xml;base64," in index  # the trend chart


def test_pdf_may_not_fetch_outside_the_build(tmp_path):
    html = '<html><body><img src="https://example.com/tracker.png"></body></html>'
    with pytest.raises(ExternalResourceError, match="may not load https://example.com"):
        write_pdf(html, tmp_path, tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()


def test_pdf_may_not_read_files_outside_the_build(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    secret = tmp_path / "secret.svg"
    secret.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    html = f'<html><body><img src="file://{secret}"></body></html>'
    with pytest.raises(ExternalResourceError, match="secret.svg"):
        write_pdf(html, build, build / "out.pdf")


@pytest.mark.parametrize(
    "value, text",
    [(0.9604938554008616, "0.9605"), (53892, "53\u202f892"), (True, "yes"),
     ([0.95, 0.96], "[0.9500, 0.9600]"), (3370.0194991439557, "3\u202f370.02"), (None, "—")],
)
def test_number_filter(value, text):
    assert fmt_number(value) == text


@pytest.mark.parametrize(
    "mean, std, text",
    [(0.5912, 0.1001, "0.5912 ± 0.1001"), (0.99833, 3.6016e-05, "0.998330 ± 0.000036"),
     (0.9792, 0.0, "0.9792 ± 0"), (3370.02, 41.7, "3\u202f370 ± 42")],
)
def test_a_spread_keeps_two_significant_digits_of_its_std(mean, std, text):
    assert fmt_spread({"mean": mean, "std": std}) == text


def test_an_interval_has_the_decimals_of_its_spread():
    spread = {"ci_low": 0.99824, "ci_high": 0.99842, "std": 3.6e-05}
    assert fmt_interval(spread) == "0.998240 … 0.998420"
    assert fmt_interval(None) == fmt_spread(None) == "—"


def test_a_matrix_in_a_table_cell_is_its_shape():
    assert fmt_brief([[1, 2, 3], [4, 5, 6]]) == "2×3 matrix"
    assert fmt_brief(list(range(10))) == "10 values" and fmt_brief([0.9, 0.8]) == "[0.9000, 0.8000]"


def test_percent_and_seconds_filters():
    assert fmt_percent(0.4799852425751706) == "48.0 %"
    assert fmt_seconds(125) == "2 min 05 s" and fmt_seconds(3.456) == "3.46 s"


def test_timing_section_shows_the_saved_benchmarks(two_builds):
    _, first, second = two_builds
    html = (second.path / "record.html").read_text()
    assert "Training-time benchmarks" in html and "<code>test_svc_fit</code>" in html
    assert "×1.10" in html
    assert "<code>test_run_one_job</code></td>" in html and "×0.75" in html  # within the run
    assert "Training-time benchmarks" not in (first.path / "record.html").read_text()


def _dataset_section(class_names: list[str]) -> str:
    figure = {"number": 1, "caption": "c", "src": "data:image/svg+xml;base64,", "file": "f.svg"}
    context = {
        "dataset": {"title": "Some images", "n_samples": 10, "image_shape": [2, 2],
                    "source": "a test", "x_sha256": "0" * 64, "y_sha256": "1" * 64},
        "profile": {"train_size": 8, "test_size": 2},
        "facts": {"first_label": 5, "train_class_counts": [1] * 10,
                    "class_names": class_names,
                    "classes_are_digits": class_names == list("0123456789")},
        "figures": {"first_digit": figure, "more_digits": figure},
    }
    return environment().get_template("sections/dataset.html.j2").render(**context)


def test_dataset_section_names_classes_that_are_not_digits():
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
             "Sneaker", "Bag", "Ankle boot"]
    html = _dataset_section(names)
    assert "5 Sandal," in html and "name classes, not digits" in html
    assert '<span class="class-name">Ankle boot</span>' in html
    assert "name classes, not digits" not in _dataset_section(list("0123456789"))


def test_p_values_read_as_a_reader_takes_them_in():
    from reportgen.report.filters import fmt_p_value

    assert fmt_p_value(0.0123) == "0.012" and fmt_p_value(0.001) == "0.001"
    assert fmt_p_value(0.00042) == "< 0.001"
    assert fmt_p_value(2.3e-12) == "2e-12" and fmt_p_value(1.082e-238) == "< 1e-200"
    assert fmt_p_value(0.0009995, smallest=0.0009995) == "≤ 0.001"  # a permutation test's floor
    assert fmt_p_value(None) == "—"


def test_a_printed_vector_marks_the_elements_that_differ():
    from reportgen.report.context import _elements

    row = {"published": [0.9669, 0.91625, 0.96785], "ours": [0.90420001, 0.9477, 0.967851],
           "ours_rounded": [0.9042, 0.9477, 0.96785]}
    assert [e["agrees"] for e in _elements(row)] == [False, False, True]
    assert _elements({"published": [[1, 2]], "ours": [[1, 2]], "ours_rounded": [[1, 2]]}) is None
    assert _elements({"published": 0.5, "ours": 0.5, "ours_rounded": 0.5}) is None


def test_a_list_keeps_its_different_values_apart():
    """The book's folds [0.95035, 0.96035, 0.9604] read [0.9504, 0.9604, 0.9604] at four
    decimals: two different folds looked equal."""
    assert fmt_number([0.95035, 0.96035, 0.9604]) == "[0.95035, 0.96035, 0.96040]"
    assert fmt_number([0.9, 0.8]) == "[0.9000, 0.8000]" and fmt_number([0.5, 0.5]) == (
        "[0.5000, 0.5000]")
