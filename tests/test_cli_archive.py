"""End to end: `reportgen build`, then list/show/diff/check, as a user runs them."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.provenance import collect
from tests.chapter import DIGITS_SPEC
from tests.versions import fabricate_version


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:  # a cache of its own, never the user's
        patch.setenv("REPORTGEN_CACHE", str(tmp_path_factory.mktemp("cache")))
        for _ in range(2):
            result = run("build", "--dataset", "digits", "--profile", "quick", "--jobs", "1",
                         "--quiet", "--no-pdf", "--reports-dir", str(reports),
                         "--thresholds", DIGITS_SPEC)
            assert result.exit_code == 0, result.output
    return reports


def test_build_prints_where_the_report_is_and_a_summary(archive):
    result = run("build", "--dataset", "digits", "--profile", "quick", "--jobs", "1", "--quiet",
                 "--reports-dir", str(archive), "--thresholds", DIGITS_SPEC)
    assert result.exit_code == 0
    assert "version:   v0003-" in result.output
    assert "pdf:       " in result.output and "report.pdf" in result.output
    assert "Random forest ROC AUC" in result.output
    assert "changes:   0 metric(s) changed since v0002-" in result.output


def test_list_shows_versions_in_order(archive):
    result = run("list", "--reports-dir", str(archive))
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("version")
    listed = [line[:5] for line in lines if line.startswith("v0")]
    assert listed[:2] == ["v0001", "v0002"] and listed == sorted(listed)
    assert "Random forest ROC AUC 0." in result.output  # each version's headlines


def test_show_metric_and_json(archive):
    value = run("show", "latest", "--metric", "multiclass.ovr.n_estimators", "--reports-dir",
                str(archive))
    assert value.output.strip() == "10"
    document = json.loads(run("show", "1", "--json", "--reports-dir", str(archive)).output)
    assert document["dataset"]["name"] == "digits"
    summary = run("show", "latest", "--reports-dir", str(archive)).output
    assert "all match the manifest" in summary


def test_diff_between_versions(archive):
    result = run("diff", "1", "2", "--reports-dir", str(archive))
    assert result.exit_code == 0
    assert "metrics: 0 changed" in result.output and "time:" in result.output


def test_check_evaluates_an_archived_version(archive, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('[[threshold]]\nid = "impossible"\nmetric = "binary.forest.roc_auc"\n'
                    'op = ">"\nbound = { quick = 1.5 }\nclaim = "Better than perfect."\n'
                    'dataset = "digits"\n')
    result = run("check", "latest", "--reports-dir", str(archive), "--thresholds", str(spec))
    assert result.exit_code == 1
    assert "FAIL impossible: binary.forest.roc_auc = " in result.output
    assert "required > 1.5. Better than perfect." in result.output


@pytest.mark.parametrize(
    "args, message",
    [(["show", "v0999"], "no version matches 'v0999'"),
     (["show", "../../etc/passwd"], "is not a version id"),
     (["diff", "1", "nope"], "no version matches 'nope'"),
     (["show", "latest", "--metric", "binary.nope"], "no metric 'binary.nope'")],
)
def test_archive_errors_are_one_line(archive, args, message):
    result = run(*args, "--reports-dir", str(archive))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_failing_threshold_makes_build_exit_non_zero_and_report_say_fail(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('[[threshold]]\nid = "impossible"\nmetric = "binary.forest.roc_auc"\n'
                    'op = ">"\nbound = { quick = 1.5 }\nclaim = "Better than perfect."\n'
                    'dataset = "digits"\n')
    result = run("build", "--dataset", "digits", "--profile", "quick", "--jobs", "1", "--quiet",
                 "--no-pdf", "--reports-dir", str(tmp_path / "r"), "--thresholds", str(spec))
    assert result.exit_code == 1
    assert "1 threshold(s) failed: impossible" in result.output
    [version] = [p for p in (tmp_path / "r").iterdir() if p.name.startswith("v")]
    html = (version / "report.html").read_text()
    assert '<span class="badge">FAIL</span>' in html


def test_malformed_spec_stops_the_build_before_any_work(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('[[threshold]]\nid = "x"\nmetric = "no.such"\nop = ">"\n'
                    'bound = { quick = 1 }\nclaim = "c"\n')
    result = run("build", "--dataset", "digits", "--quiet", "--reports-dir",
                 str(tmp_path / "r"), "--thresholds", str(spec))
    assert result.exit_code == 1 and f"{spec}:3: unknown metric 'no.such'" in result.output
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_killing_a_build_midway_leaves_the_archive_as_it_was(tmp_path, sig):
    reports = tmp_path / "r"
    env = {**os.environ}
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "build", "--dataset", "digits", "--profile",
         "quick", "--jobs", "1", "--quiet", "--force", "--reports-dir", str(reports)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # a shell's background job inherits SIGINT ignored, and Python then keeps ignoring it;
        # a user's Ctrl-C reaches a foreground build, so the test restores that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until the build is staged
        if reports.exists() and any(p.name.startswith(".staging") for p in reports.iterdir()):
            break
        time.sleep(0.02)
    else:
        process.kill()
        pytest.fail("the build never staged")
    process.send_signal(sig)
    process.wait(30)
    assert process.returncode != 0
    left = sorted(p.name for p in reports.iterdir())
    assert not [name for name in left if name.startswith(("v", ".staging"))], left


def test_a_reports_dir_that_cannot_be_written_stops_the_build_before_any_work(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    result = run("build", "--dataset", "digits", "--quiet", "--reports-dir", str(not_a_folder))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: cannot write to --reports-dir {not_a_folder}: File exists; choose a folder you"
        " can write to"]


def _start_build_and_wait_until_staged(reports):
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "build", "--dataset", "digits", "--profile",
         "quick", "--jobs", "1", "--quiet", "--force", "--reports-dir", str(reports),
         "--thresholds", DIGITS_SPEC],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        if reports.exists() and any(p.name.startswith(".staging") for p in reports.iterdir()):
            return process
        time.sleep(0.02)
    process.kill()
    pytest.fail("the build never staged")


def test_the_staging_folder_of_a_build_killed_with_sigkill_is_cleared(tmp_path):
    reports = tmp_path / "r"
    process = _start_build_and_wait_until_staged(reports)
    process.kill()  # SIGKILL: no cleanup can run in the build itself
    process.wait(30)
    assert [p.name for p in reports.iterdir() if p.name.startswith(".staging")]
    result = run("list", "--reports-dir", str(reports))
    assert result.exit_code == 0 and "removed .staging-v0001-" in result.output
    assert not [p for p in reports.iterdir() if p.name.startswith(".staging")]


def test_a_running_builds_staging_folder_is_left_alone(tmp_path):
    reports = tmp_path / "r"
    process = _start_build_and_wait_until_staged(reports)
    try:
        run("list", "--reports-dir", str(reports))
        assert [p for p in reports.iterdir() if p.name.startswith(".staging")]
    finally:
        process.wait(120)
    assert process.returncode == 0
    assert [p.name[:6] for p in reports.iterdir() if p.name.startswith("v")] == ["v0001-"]


def test_a_full_disk_is_one_line_and_leaves_no_version(tmp_path, monkeypatch):
    import errno

    def full(html, build_dir, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("reportgen.report.render.write_pdf", full)
    reports = tmp_path / "r"
    result = run("build", "--dataset", "digits", "--profile", "quick", "--jobs", "1",
                 "--quiet", "--reports-dir", str(reports))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: no space left on the device writing {reports}/"
        + result.output.split(str(reports) + "/")[1].split(":")[0]
        + ": free some space (or choose another folder) and run again; nothing half-written"
        " was kept"]
    assert "Traceback" not in result.output
    assert not [p for p in reports.iterdir() if p.name.startswith(("v", ".staging"))]


def test_check_names_a_metric_the_version_predates(archive, tmp_path):
    import shutil

    copy = tmp_path / "reports"
    shutil.copytree(archive, copy)
    version = sorted(p for p in copy.iterdir() if p.name.startswith("v0002"))[0]
    document = json.loads((version / "metrics.json").read_text())
    del document["metrics"]["binary.forest.roc_auc"]  # as an older reportgen wrote it
    (version / "metrics.json").write_text(json.dumps(document))
    manifest = json.loads((version / "manifest.json").read_text())
    import hashlib

    manifest["files"]["metrics.json"] = hashlib.sha256(
        (version / "metrics.json").read_bytes()).hexdigest()
    (version / "manifest.json").write_text(json.dumps(manifest))
    spec = tmp_path / "spec.toml"
    spec.write_text('[[threshold]]\nid = "auc"\nmetric = "binary.forest.roc_auc"\nop = ">"\n'
                    'bound = { quick = 0.5 }\nclaim = "c"\ndataset = "digits"\n')
    result = run("check", "2", "--reports-dir", str(copy), "--thresholds", str(spec))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "MISSING auc: binary.forest.roc_auc is not in this version's metrics" in result.output
    assert "has no metric binary.forest.roc_auc" in result.output.splitlines()[-1]


def test_only_builds_and_reports_just_the_named_sections(tmp_path):
    reports = tmp_path / "r"
    result = run("build", "--dataset", "digits", "--profile", "quick", "--jobs", "1", "--quiet",
                 "--no-pdf", "--only", "errors", "--reports-dir", str(reports),
                 "--thresholds", DIGITS_SPEC)
    assert result.exit_code == 0, result.output
    version = next(p for p in reports.iterdir() if p.name.startswith("v0001"))
    stamp, commit = r"\d{8}T\d{6}Z", re.escape(collect().short_commit)
    assert re.fullmatch(f"v0001-{stamp}-digits-quick-only-errors-{commit}", version.name)
    document = json.loads((version / "metrics.json").read_text())
    assert document["sections"] == ["errors"]
    assert {name.split(".")[0] for name in document["metrics"]} == {"errors"}
    # errors needs the scaled SGD's predictions: that experiment ran, its section is not shown
    assert "multiclass.sgd_scaled" in document["timings"]["experiments"]
    html = (version / "report.html").read_text()
    assert '<section id="errors"' in html and '<section id="multiclass"' not in html


def test_only_an_unknown_section_is_one_line(tmp_path):
    result = run("build", "--dataset", "digits", "--quiet", "--only", "nope", "--reports-dir",
                 str(tmp_path / "r"))
    assert result.exit_code == 1
    assert "unknown section(s) nope; choose from:" in result.output
    assert not (tmp_path / "r").exists()


def test_diff_fail_on_significant_fails_when_it_cannot_judge_a_change(tmp_path):
    """Two versions without repeats, one metric forged from 0.9904 to 0.5004: its verdict is
    "unknown", so the gate could not decide and fails, in one line."""
    reports = tmp_path / "r"
    fabricate_version(reports, {"binary.forest.roc_auc": 0.9904, "binary.sgd.f1": 0.9})
    fabricate_version(reports, {"binary.forest.roc_auc": 0.5004, "binary.sgd.f1": 0.8})
    result = run("diff", "1", "2", "--reports-dir", str(reports), "--fail-on", "significant")
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "2 unknown" in result.output
    last = result.output.splitlines()[-1]
    assert last.startswith("Error: cannot gate v0001-") and "could not be judged" in last


def test_a_build_that_checks_no_threshold_fails_as_check_of_it_does(tmp_path):
    """The built-in spec has no claim about digits: the build is archived, and its gate, like
    `check`'s on the same version, fails in one line for having checked nothing."""
    reports = tmp_path / "r"
    built = run("build", "--dataset", "digits", "--profile", "quick", "--only", "dataset",
                "--jobs", "1", "--quiet", "--no-pdf", "--reports-dir", str(reports))
    checked = run("check", "latest", "--reports-dir", str(reports))
    for result in (built, checked):
        assert result.exit_code == 1, result.output
        assert result.output.splitlines()[-1].endswith("a gate that checks nothing cannot pass")
    assert "thresholds: none apply to digits with profile quick" in built.output


def _forge(version: Path, name: str, edit) -> None:
    """Edit one JSON file of a version by hand, as a forger (or an accident) would."""
    path = version / name
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def test_list_prints_no_headline_the_manifest_changed_and_show_says_so(tmp_path):
    """list printed 0.1234 from an edited manifest while show said "all match the manifest";
    every number list prints now comes from the digest-checked metrics.json."""
    reports = tmp_path / "r"
    auc = "binary.forest.roc_auc"
    forged = fabricate_version(reports, {auc: 0.9904}, headlines=(auc,))
    fabricate_version(reports, {auc: 0.9904}, headlines=(auc,))
    _forge(reports / forged, "manifest.json", lambda m: m["headlines"].update({auc: 0.1234}))
    (reports / forged / "extra.html").write_text("written into the version later")
    listed = run("list", "--reports-dir", str(reports))
    assert listed.exit_code == 0, listed.output
    assert "0.1234" not in listed.output.replace("= 0.1234, but", "")
    assert f"headline {auc} = 0.1234, but metrics.json says 0.9904" in listed.output
    assert f"{auc.upper()} 0.9904" in listed.output  # the intact version, listed as ever
    shown = run("show", "1", "--reports-dir", str(reports))
    assert "all match the manifest" not in shown.output
    assert "extra.html: not in the manifest" in shown.output
    assert f"headline {auc} = 0.1234" in shown.output


def test_one_damaged_manifest_blocks_no_command_on_another_version(tmp_path):
    reports = tmp_path / "r"
    auc = "binary.forest.roc_auc"
    damaged = fabricate_version(reports, {auc: 0.99}, headlines=(auc,))
    fabricate_version(reports, {auc: 0.98}, headlines=(auc,))
    fabricate_version(reports, {auc: 0.97}, headlines=(auc,))
    (reports / damaged / "manifest.json").write_text("{broken")
    spec = tmp_path / "spec.toml"
    spec.write_text(f'[[threshold]]\nid = "auc"\nmetric = "{auc}"\nop = ">"\n'
                    'bound = { quick = 0.5 }\nclaim = "c"\ndataset = "digits"\n')
    for args in (["list"], ["show", "2"], ["diff", "2", "3"],
                 ["check", "latest", "--thresholds", str(spec)],
                 ["render", "3", "--no-pdf", "--out", str(tmp_path / "out")]):
        result = run(*args, "--reports-dir", str(reports))
        assert "Traceback" not in result.output, result.output
        if args[0] == "render":  # reached version 3 (hand-made: it has no render data)
            assert "render.json is missing" in result.output.splitlines()[-1], result.output
        else:
            assert result.exit_code == 0, (args, result.output)
        skipped = [line for line in result.output.splitlines() if line.startswith("skipped")]
        assert len(skipped) == 1 and f"skipped {damaged}: " in skipped[0], result.output
    asked = run("show", "1", "--reports-dir", str(reports))
    assert asked.exit_code == 1 and asked.output.splitlines()[-1].endswith(
        "move the version's folder out of the archive")


def test_list_of_a_reports_dir_that_is_a_file_is_an_error(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    result = run("list", "--reports-dir", str(not_a_folder))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: --reports-dir {not_a_folder} is not a folder: give the archive's folder"
        " (reports/ by default)"]


def test_a_build_beside_a_damaged_version_is_archived_with_the_next_number(tmp_path):
    reports = tmp_path / "r"
    damaged = fabricate_version(reports, {"binary.forest.roc_auc": 0.99})
    (reports / damaged / "manifest.json").write_text("{broken")
    result = run("build", "--dataset", "digits", "--profile", "quick", "--only", "binary",
                 "--jobs", "1", "--no-pdf", "--reports-dir", str(reports),
                 "--thresholds", DIGITS_SPEC)
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert f"skipped {damaged}: " in result.output and "version:   v0002-" in result.output


def test_check_knows_the_datasets_the_archive_has_built(tmp_path):
    """A project's spec names its own dataset, which `check` knows from the archive (it does
    not import the project's modules); a dataset no version has is a typo, named once."""
    reports = tmp_path / "reports"
    fabricate_version(reports, {"binary.forest.roc_auc": 0.99})
    spec = tmp_path / "spec.toml"
    claim = ('[[threshold]]\nid = "auc"\nmetric = "binary.forest.roc_auc"\nop = ">"\n'
             'bound = 0.5\nclaim = "c"\ndataset = "{}"\n')
    spec.write_text(claim.format("breast_cancer"))
    result = run("check", "1", "--reports-dir", str(reports), "--thresholds", str(spec))
    assert result.exit_code == 1
    assert "unknown dataset 'breast_cancer'; choose one of: digits, fashion-mnist, mnist" \
        in result.output
    fabricate_version(reports, {"binary.forest.roc_auc": 0.8}, dataset="breast_cancer")
    result = run("check", "2", "--reports-dir", str(reports), "--thresholds", str(spec))
    assert result.exit_code == 0, result.output
    assert "PASS auc" in result.output
    result = run("check", "1", "--reports-dir", str(reports), "--thresholds", str(spec))
    assert result.exit_code == 1  # the digits version: the breast_cancer claim does not apply
    assert "none of the 1 thresholds" in result.output


def test_a_preview_writes_the_version_elsewhere_and_archives_nothing(archive, tmp_path):
    before = sorted(path.name for path in archive.iterdir())
    preview = tmp_path / "preview"
    result = run("build", "--dataset", "digits", "--profile", "quick", "--jobs", "1", "--quiet",
                 "--no-pdf", "--reports-dir", str(archive), "--thresholds", DIGITS_SPEC,
                 "--preview", str(preview))
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in archive.iterdir()) == before
    assert {"report.html", "record.html", "metrics.json", "render.json", "figures"} <= {
        path.name for path in preview.iterdir()}
    record = json.loads((preview / "metrics.json").read_text())
    assert record["version"].startswith("preview-digits-quick-")
    # compared with the archive's previous version (other tests of the module add versions)
    assert re.search(r"changes:   \d+ metric\(s\) changed since v\d{4}-", result.output)
    assert f"preview:   {preview} (not archived" in result.output
    (preview / "figures" / "stale.svg").write_text("<svg/>")
    again = run("build", "--dataset", "digits", "--profile", "quick", "--jobs", "1", "--quiet",
                "--no-pdf", "--reports-dir", str(archive), "--thresholds", DIGITS_SPEC,
                "--preview", str(preview))
    assert again.exit_code == 0, again.output  # an earlier preview is replaced whole
    assert not (preview / "figures" / "stale.svg").exists()
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("mine")
    refused = run("build", "--dataset", "digits", "--profile", "quick", "--quiet", "--no-pdf",
                  "--reports-dir", str(archive), "--preview", str(notes))
    assert refused.exit_code == 1 and "holds files of its own" in refused.output
    assert (notes / "todo.txt").read_text() == "mine"
    inside = run("build", "--dataset", "digits", "--profile", "quick", "--quiet", "--no-pdf",
                 "--reports-dir", str(archive), "--preview", str(archive / "look"))
    assert inside.exit_code == 1 and "Traceback" not in inside.output
    assert sorted(path.name for path in archive.iterdir()) == before
