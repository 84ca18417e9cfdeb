"""End to end: builds with --repeats, then diffs that know the noise and thresholds that warn,
as a user (or a CI gate) runs them."""

import json
import shutil
from dataclasses import asdict

import pytest
from click.testing import CliRunner

from reportgen.archive import Archive
from reportgen.cli import cli
from reportgen.compare import compare_records
from reportgen.metrics import summarize
from reportgen.record import VersionRecord
from tests.chapter import DIGITS_SPEC
from tests.conftest import real_cache


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def build(reports, *args):
    result = run("build", "--dataset", "digits", "--profile", "quick", "--jobs", "1", "--quiet",
                 "--reports-dir", str(reports), "--repeats", "3", *args)
    return result


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    """Two builds of the same code with three repeats each (the second from the cache)."""
    reports = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:  # a cache of its own, never the user's
        patch.setenv("REPORTGEN_CACHE", str(tmp_path_factory.mktemp("cache")))
        for _ in range(2):
            result = build(reports, "--no-pdf", "--thresholds", DIGITS_SPEC)
            assert result.exit_code == 0, result.output
    return reports


def test_a_build_with_repeats_reports_their_spread(twice):
    document = json.loads(run("show", "1", "--json", "--reports-dir", str(twice)).output)
    auc = document["repeats"]["metrics"]["binary.forest.roc_auc"]
    assert len(auc["values"]) == 3 and auc["values"][0] == document["metrics"][
        "binary.forest.roc_auc"]
    [version] = [p for p in twice.iterdir() if p.name.startswith("v0001")]
    assert "Over 3 repeats" in (version / "report.html").read_text()  # the headlines' spread
    assert 'id="robustness"' in (version / "record.html").read_text()
    assert (version / "figures" / "repeat_spread.svg").exists()


def test_two_builds_of_the_same_code_differ_in_nothing_significant(twice):
    result = run("diff", "1", "2", "--reports-dir", str(twice), "--fail-on", "significant")
    assert result.exit_code == 0, result.output
    assert "0 significant" in result.output


def test_diff_as_markdown_is_a_pull_request_comment(twice):
    result = run("diff", "1", "2", "--reports-dir", str(twice), "--format", "markdown")
    lines = result.output.splitlines()
    assert lines[0].startswith("### reportgen: `v0001-")
    assert "**0 significant changes**" in lines[2]
    assert "| task | before | now | ratio |" in lines and "|---|---|---|---|" in lines


def test_diff_as_json_holds_every_row(twice):
    changes = json.loads(run("diff", "1", "2", "--reports-dir", str(twice), "--format",
                             "json").output)
    assert changes["significant"] == 0 and changes["repeats"] == {"old": 3, "new": 3}


def test_a_failing_warn_threshold_shows_warn_and_exits_zero(twice, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('[[threshold]]\nid = "hopeful"\nmetric = "binary.forest.roc_auc"\n'
                    'op = ">"\nbound = { quick = 1.5 }\non = "mean"\nseverity = "warn"\n'
                    'claim = "Better than perfect, on average."\ndataset = "digits"\n')
    result = build(twice, "--thresholds", str(spec), "--only", "binary")  # the claim's section
    assert result.exit_code == 0, result.output
    assert "WARN hopeful: the mean of binary.forest.roc_auc over the repeats = " in result.output
    [version] = [p for p in twice.iterdir() if p.name.startswith("v0003")]
    assert '<span class="badge">WARN</span>' in (version / "report.html").read_text()
    check = run("check", "latest", "--reports-dir", str(twice), "--thresholds", str(spec))
    assert check.exit_code == 0
    assert "WARN hopeful" in check.output and "1 warn (severity warn: not a failure)" in \
        check.output


@pytest.mark.slow
def test_a_smaller_training_set_changes_what_it_really_changes(mnist, tmp_path):
    """MNIST's binary and multiclass sections on 300 (the fewest the chapter takes), then
    2,000 training images, five repeats each (about 90 s on 2 cores; with three, the scaled
    SGD's rise sits at the edge of significance). The scaled SGD's accuracy rises by more than
    its noise; the 5-detector's accuracy is about 0.95 on both (it does not depend on the
    training size in this range) and is judged within noise; `--fail-on significant` exits 1,
    as for any two different measurements."""
    reports = tmp_path / "reports"
    # A claim of the full profile only: it has no bound for these sizes, so the builds are
    # archived, list it as not checked, and their gate fails, having checked nothing. (The
    # chapter's spec would check its bound_metric claims, made for every size, and on 300
    # images two of them fail, one by a tie: exit 1 or 0 by a hair.)
    spec = tmp_path / "full-only.toml"
    spec.write_text('[[threshold]]\nid = "auc"\nmetric = "binary.forest.roc_auc"\nop = ">"\n'
                    'bound = { full = 0.99 }\nclaim = "c"\n')
    with real_cache():
        for size in ("300", "2000"):
            result = run("build", "--profile", "quick", "--train-size", size, "--repeats", "5",
                         "--only", "binary", "--only", "multiclass", "--quiet", "--no-pdf",
                         "--thresholds", str(spec), "--reports-dir", str(reports))
            assert result.exit_code == 1, result.output  # its one claim: not checked
            assert result.output.splitlines()[-1].startswith(
                "Error: 1 threshold(s) could not be checked: the spec gives no bound for its"
                " profile to auc"), result.output
            assert f"NOT CHECKED auc: the spec gives no bound for profile quick-{size}" in \
                result.output
            assert "version:" in result.output, result.output
    result = run("diff", "1", "2", "--reports-dir", str(reports), "--format", "json")
    verdicts = {row["metric"]: row["verdict"] for row in json.loads(result.output)["metrics"]}
    assert verdicts["multiclass.sgd_scaled.cv_accuracy_mean"] == "significant"
    assert verdicts["multiclass.sgd_scaled.cv_accuracy"] == "significant"
    assert verdicts["binary.sgd.cv_accuracy_mean"] == "within noise"
    assert verdicts["multiclass.svc.decision_first_digit"] == "significant"  # no noise at all
    gate = run("diff", "1", "2", "--reports-dir", str(reports), "--fail-on", "significant")
    assert gate.exit_code == 1 and "different measurements" in gate.output  # not a regression


def test_a_small_shift_in_every_repeat_is_seen_by_the_paired_diff_not_by_welch(twice,
                                                                               tmp_path):
    """Two versions of the same seeds, the second's 5-detector accuracy shifted in every
    repeat by a tenth of its spread (as a change of the code could): `diff` pairs the repeats
    and calls it significant; Welch's test, on the same two versions, calls it noise."""
    reports = tmp_path / "reports"
    shutil.copytree(twice, reports)
    archive = Archive(reports)
    old = archive.resolve("1")
    document = old.record().to_json()
    name = "binary.sgd.cv_accuracy_mean"
    values = document["repeats"]["metrics"][name]["values"]
    shift = 0.1 * summarize(values).std
    assert shift > 0
    shifted = [v + shift * (1 + jitter) for v, jitter in zip(values, (0.01, -0.01, 0.0),
                                                            strict=True)]
    document["metrics"][name] = shifted[0]
    document["repeats"]["metrics"][name] = asdict(summarize(shifted))
    with archive.new_version("digits-quick-shifted") as staging:
        (staging.path / "metrics.json").write_text(json.dumps(document))
        staging.describe(dataset="digits", profile="quick", commit="abc1234", headlines={})
    result = run("diff", "1", staging.id, "--reports-dir", str(reports), "--format", "json")
    changes = json.loads(result.output)
    [row] = changes["metrics"]
    assert changes["paired"] and row["metric"] == name and row["test"] == "paired t-test"
    assert row["verdict"] == "significant" and row["null"] == "seed noise", row
    [welch] = compare_records(old.record(), VersionRecord.from_json(document),
                              paired=False)["metrics"]
    assert welch["test"] == "Welch's t-test" and welch["verdict"] == "within noise", welch
    text = run("diff", "1", staging.id, "--reports-dir", str(reports)).output
    assert "[significant; null: seed noise; paired t-test, p = " in text

