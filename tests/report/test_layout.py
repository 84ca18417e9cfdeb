"""The report's layout holds, measured on the laid-out pages, not read from the markup
(issue 27): in print (A4, WeasyPrint's boxes) no text, rule, table or image passes the text
block's right edge, no heading is left at the foot of a page and no page mostly empty by what
could have flowed onto it; in a real browser (Debian's
Chromium, headless) at 1280 and 390 px no element passes the text column, no content hides in
a scroll box, and no number in a table is broken over two lines.

Checked on the committed reference report (v0015, the full chapter), the committed release
matrix (v0007) and a fresh digits build, each rendered with today's templates, every HTML
document `render_archived` writes (report.html, and any other the version has).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reportgen.archive import Archive
from reportgen.publishers import render_archived
from tests.report.layout import (
    browser_overflows,
    chromium,
    pdf_overflows,
    pdf_sparse_pages,
    pdf_stranded_headings,
    render_document,
)

REPORTS = Path(__file__).parents[2] / "reports"
SOURCES = ["v0015", "v0007", "digits"]  # the reference chapter, the release matrix, a build
WIDTHS = [1280, 390]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, dict[str, str]]:
    """Each source's HTML documents by file name, rendered once for the module."""
    from reportgen.build import build_report

    documents: dict[str, dict[str, str]] = {}
    for source in SOURCES:
        out = tmp_path_factory.mktemp(f"layout-{source}")
        if source == "digits":
            reports = tmp_path_factory.mktemp("reports")
            with pytest.MonkeyPatch.context() as patch:  # a cache of its own, never the user's
                patch.setenv("REPORTGEN_CACHE", str(tmp_path_factory.mktemp("cache")))
                outcome = build_report("digits", "quick", reports_dir=reports, jobs=1,
                                       benchmarks_dir=None, pdf=False)
            version = Archive(reports).resolve(outcome.version_id)
        else:
            version = Archive(REPORTS).resolve(source)
        files = [path for path in render_archived(version, out, pdf=False)
                 if path.suffix == ".html"]
        documents[source] = {path.name: path.read_text(encoding="utf-8") for path in files}
        documents[source]["_base"] = str(version.path)
    return documents


@pytest.fixture(scope="module")
def laid_out(rendered):
    """WeasyPrint's layout of every document, made once (the reference takes ~15 s)."""
    cache: dict[tuple[str, str], object] = {}

    def layout(source: str, name: str):
        if (source, name) not in cache:
            cache[source, name] = render_document(rendered[source][name],
                                                  rendered[source]["_base"])
        return cache[source, name]

    return layout


def _documents(rendered, source):
    names = [name for name in rendered[source] if name != "_base"]
    assert "report.html" in names
    return names


@pytest.mark.parametrize("source", SOURCES)
def test_nothing_passes_the_text_block_in_print(rendered, laid_out, source):
    found = [f"{name} {o}" for name in _documents(rendered, source)
             for o in pdf_overflows(laid_out(source, name))]
    assert not found, "past the text block's right edge in the PDF:\n" + "\n".join(found)


@pytest.mark.parametrize("source", SOURCES)
def test_no_heading_is_left_at_the_foot_of_a_page(rendered, laid_out, source):
    found = [f"{name} {o}" for name in _documents(rendered, source)
             for o in pdf_stranded_headings(laid_out(source, name))]
    assert not found, "headings apart from what follows them:\n" + "\n".join(found)


@pytest.mark.parametrize("source", SOURCES)
def test_no_page_is_left_mostly_empty(rendered, laid_out, source):
    found = [f"{name} {o}" for name in _documents(rendered, source)
             for o in pdf_sparse_pages(laid_out(source, name))]
    assert not found, "pages left mostly empty:\n" + "\n".join(found)


def _need_chromium() -> None:
    if chromium() is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("REPORTGEN_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"{reason}; the test command installs it")
        pytest.skip(reason)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("source", SOURCES)
def test_nothing_is_cut_off_or_hidden_on_screen(rendered, source, width):
    _need_chromium()
    found = [f"{name} {o}" for name in _documents(rendered, source)
             for o in browser_overflows(rendered[source][name], width)]
    assert not found, f"at {width} px in Chromium:\n" + "\n".join(found)
