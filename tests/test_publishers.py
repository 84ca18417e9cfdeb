"""Every output after the run is a publisher: the built-in documents, and any an installed
package declares by entry point, run by `build` into the version and by `render` elsewhere."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.archive import Archive
from reportgen.cli import cli
from reportgen.publishers import BUILT_IN, ENTRY_POINTS, installed

ROOT = Path(__file__).resolve().parents[1]

SUMMARY = '''
import json


class SummaryPublisher:
    """What an MLflow or notebook export does: reads the typed record, writes one file."""

    name = "summary"

    def publish(self, publication, out):
        record = publication.record
        path = out / "summary.json"
        path.write_text(json.dumps({"version": publication.version_id,
                                    "dataset": record.dataset.name,
                                    "metrics": len(record.metrics),
                                    "printed": sum(row.agrees for row in record.published)}))
        return [path]


class Astray:
    name = "astray"

    def publish(self, publication, out):
        return [out.parent / "elsewhere.txt"]


class Broken:
    name = "broken"

    def publish(self, publication, out):
        (out / "half.txt").write_text("half")
        raise RuntimeError("the tracking server said no")
'''


def install_package(site: Path, points: dict[str, str], module: str = SUMMARY) -> None:
    """An installed distribution on `site` (as pip leaves one): its module and its entry
    points in the publishers' group."""
    (site / "toy_publishers.py").write_text(module)
    info = site / "toy_publishers-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-publishers\nVersion: 0.1\n")
    lines = "\n".join(f"{name} = {value}" for name, value in points.items())
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINTS}]\n{lines}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder


def render(version: str, out: Path):
    return CliRunner().invoke(cli, ["render", version, "--out", str(out), "--no-pdf",
                                    "--reports-dir", str(ROOT / "reports")])


def test_the_documents_are_the_built_in_publishers():
    assert [p.name for p in installed()[:2]] == [p.name for p in BUILT_IN]
    assert {p.stem for p in BUILT_IN} == {"report", "record"}


def test_a_package_adds_a_publisher_that_reads_the_typed_record(site, tmp_path):
    install_package(site, {"summary": "toy_publishers:SummaryPublisher"})
    assert "summary" in [p.name for p in installed()]
    out = tmp_path / "out"
    result = render("v0014", out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    reference = Archive(ROOT / "reports").resolve("v0014")
    assert summary == {"version": reference.id, "dataset": "mnist",
                       "metrics": len(reference.record().metrics),
                       "printed": sum(row.agrees for row in reference.record().published)}
    assert f"wrote {out / 'summary.json'}" in result.output
    assert (out / "report.html").is_file() and (out / "record.html").is_file()


def test_a_publisher_that_fails_is_one_line_and_leaves_the_folder_as_it_was(site, tmp_path):
    install_package(site, {"broken": "toy_publishers:Broken"})
    out = tmp_path / "out"
    result = render("v0014", out)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: the publisher broken failed on {Archive(ROOT / 'reports').resolve('v0014').id}"
        " (RuntimeError: the tracking server said no); fix or uninstall the package that"
        " provides it"]
    assert not out.exists() or not any(out.iterdir())
    assert not list(tmp_path.glob(".out.partial-*"))


def test_a_publisher_that_cannot_be_loaded_names_its_entry_point(site, tmp_path):
    install_package(site, {"gone": "toy_publishers:Missing"})
    result = render("v0014", tmp_path / "out")
    assert result.exit_code == 1
    assert "the publisher gone (toy_publishers:Missing, entry point group" in result.output
    assert "Traceback" not in result.output


def test_something_that_is_no_publisher_is_refused(site, tmp_path):
    install_package(site, {"odd": "toy_publishers:json"})
    result = render("v0014", tmp_path / "out")
    assert result.exit_code == 1
    assert "has no `name` and `publish(publication, out)`" in result.output


def test_a_build_archives_what_every_publisher_writes(site, tmp_path, monkeypatch):
    install_package(site, {"summary": "toy_publishers:SummaryPublisher"})
    monkeypatch.chdir(tmp_path)
    spec = ROOT / "tests" / "digits_thresholds.toml"
    result = CliRunner().invoke(cli, ["build", "--dataset", "digits", "--profile", "quick",
                                      "--no-pdf", "--jobs", "1", "--reports-dir", "reports",
                                      "--thresholds", str(spec), "-q"])
    assert result.exit_code == 0, result.output
    version = Archive(tmp_path / "reports").resolve("latest")
    assert "summary.json" in version.manifest["files"]
    assert version.problem_with("summary.json") is None
    summary = json.loads((version.path / "summary.json").read_text())
    assert summary["version"] == version.id and summary["dataset"] == "digits"


def test_the_shipped_example_of_the_docs_is_this_one():
    """docs/publishers.md shows the package a user writes: the same class as tested here."""
    docs = (ROOT / "docs" / "publishers.md").read_text()
    assert textwrap.dedent(SUMMARY.split("class Astray")[0]).strip() in docs


def test_a_publisher_that_says_it_wrote_elsewhere_is_one_line(site, tmp_path):
    install_package(site, {"astray": "toy_publishers:Astray"})
    result = render("v0014", tmp_path / "out")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "a publisher writes only under the folder it is given" in result.output


def test_the_matrix_command_takes_no_preview(tmp_path):
    result = CliRunner().invoke(cli, ["matrix", "--reports-dir", str(tmp_path)])
    assert not isinstance(result.exception, TypeError), result.exception
    assert result.exit_code in (1, 2) and "Traceback" not in result.output
