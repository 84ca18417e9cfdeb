"""`reportgen render`: an archived version is rendered again from its own files alone (no
dataset, no result cache, no fitting), byte-identical while the templates are unchanged, and
never into the archive."""

import json

import pytest
from click.testing import CliRunner

from reportgen.archive import Archive
from reportgen.build import build_report
from reportgen.cli import cli
from reportgen.report.filters import fmt_number


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:  # a cache of its own, never the user's
        patch.setenv("REPORTGEN_CACHE", str(tmp_path_factory.mktemp("cache")))
        outcome = build_report("digits", "quick", reports_dir=reports, jobs=1,
                               benchmarks_dir=None)
    return reports, outcome


def test_render_reproduces_the_archived_html_without_data_or_cache(archived, tmp_path,
                                                                   monkeypatch):
    reports, outcome = archived
    monkeypatch.setenv("REPORTGEN_CACHE", str(tmp_path / "empty-cache"))

    def no_data(*args, **kwargs):
        raise AssertionError("render must not load a dataset")

    monkeypatch.setattr("reportgen.data.load_dataset", no_data)
    monkeypatch.setattr("reportgen.engine.runner.run_experiments", no_data)
    result = run("render", outcome.version_id, "--reports-dir", str(reports),
                 "--out", str(tmp_path / "again"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again" / "report.html").read_bytes() == (
        outcome.path / "report.html").read_bytes()
    assert (tmp_path / "again" / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert not (tmp_path / "empty-cache" / "results").exists()


def test_render_never_writes_into_the_archive(archived):
    reports, outcome = archived
    before = sorted(p.name for p in outcome.path.rglob("*"))
    result = run("render", "latest", "--reports-dir", str(reports),
                 "--out", str(outcome.path / "again"))
    assert result.exit_code == 1
    assert "lies inside the archive" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in outcome.path.rglob("*")) == before


def test_a_changed_figure_is_refused(archived, tmp_path):
    reports, outcome = archived
    copy = tmp_path / "reports"
    import shutil

    shutil.copytree(reports, copy)
    version = Archive(copy).resolve(outcome.version_id)
    (version.path / "figures" / "roc_curve.svg").write_text("<svg/>")
    result = run("render", outcome.version_id, "--reports-dir", str(copy),
                 "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "figures/roc_curve.svg changed since the build" in result.output
    assert not (tmp_path / "out" / "report.html").exists()


def test_a_version_without_render_data_says_so(archived, tmp_path):
    reports, outcome = archived
    copy = tmp_path / "reports"
    import shutil

    shutil.copytree(reports, copy)
    version = Archive(copy).resolve(outcome.version_id)
    (version.path / "render.json").unlink()
    manifest = json.loads((version.path / "manifest.json").read_text())
    del manifest["files"]["render.json"]
    (version.path / "manifest.json").write_text(json.dumps(manifest))
    result = run("render", outcome.version_id, "--reports-dir", str(copy),
                 "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "made before reportgen kept its render data" in result.output


def test_render_data_holds_sections_facts_and_figures(archived):
    _, outcome = archived
    data = json.loads((outcome.path / "render.json").read_text())
    document = json.loads((outcome.path / "metrics.json").read_text())
    assert [s["id"] for s in data["sections"]] == document["sections"]
    binary = next(s for s in data["sections"] if s["id"] == "binary")
    assert binary["facts"]["positive"] == "5" and binary["title"].endswith("the 5-detector")
    for figure in data["figures"]:
        assert (outcome.path / figure["file"]).is_file()


def test_every_committed_version_renders_with_todays_templates(tmp_path):
    """Versions archived by earlier releases (their render data lacks what newer templates
    show, such as the task timeline) still render, with "—" where a value is unknown."""
    from pathlib import Path

    reports = Path(__file__).parents[2] / "reports"
    versions = [v for v in Archive(reports).versions()
                if (v.path / "render.json").exists() or v.kind == "matrix"]
    if not versions:
        pytest.skip("no committed version with render data")
    for version in versions:
        result = run("render", version.id, "--reports-dir", str(reports), "--no-pdf",
                     "--out", str(tmp_path / version.id))
        assert result.exit_code == 0, result.output
        html = (tmp_path / version.id / "report.html").read_text()
        assert version.id in html
        if version.kind == "chapter":  # the build record, apart from the chapter edition
            record = (tmp_path / version.id / "record.html").read_text()
            assert version.id in record and '<section id="timings"' in record


def _rewrite(version_path, name, edit) -> None:
    """Edit one of a version's JSON files and record its new digest, as a tool that kept the
    manifest in step would: only the shape check can catch what it did."""
    import hashlib

    path = version_path / name
    data = json.loads(path.read_text())
    path.write_text(json.dumps(edit(data)))
    manifest = json.loads((version_path / "manifest.json").read_text())
    manifest["files"][name] = hashlib.sha256(path.read_bytes()).hexdigest()
    (version_path / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("name, edit", [
    ("render.json", lambda d: [d]),
    ("render.json", lambda d: {**d, "sections": {"binary": 1}}),
    ("render.json", lambda d: {**d, "sections": [5, "x"]}),
    ("render.json", lambda d: {**d, "figures": [{"id": 1}]}),
    ("render.json", lambda d: {**d, "headlines": [{"metric": "no.such"}]}),
    ("metrics.json", lambda d: {**d, "metrics": {}}),
    ("metrics.json", lambda d: {**d, "timings": {"experiments": []}}),
])
def test_files_of_the_wrong_shape_are_one_line_naming_the_version(archived, tmp_path, name,
                                                                  edit):
    import shutil

    reports, outcome = archived
    copy = tmp_path / "reports"
    shutil.copytree(reports, copy)
    _rewrite(Archive(copy).resolve(outcome.version_id).path, name, edit)
    result = run("render", outcome.version_id, "--reports-dir", str(copy),
                 "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "is not what reportgen wrote" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "report.html").exists()


def test_a_claim_on_an_interval_end_says_so_on_the_answer_page(tmp_path):
    """A claim checked on the low end of a test-sample interval showed that end (0.0255) as if
    it were the metric's value (+0.0325)."""
    from pathlib import Path

    reports = Path(__file__).parents[2] / "reports"
    version = [v for v in Archive(reports).versions() if v.kind == "chapter"
               and (v.path / "render.json").exists()][-1]
    run("render", version.id, "--reports-dir", str(reports), "--no-pdf", "--out",
        str(tmp_path))
    html = (tmp_path / "report.html").read_text()
    answer = html[html.index('<section id="summary"'):html.index("Headline numbers")]
    on_ends = [t for t in version.record().thresholds if t.checked == "sample_low"]
    assert on_ends, "the committed reference has claims on the test-sample interval"
    for t in on_ends:
        assert f"the low end of its test-sample interval: {fmt_number(t.value)}" in answer
