"""End to end: the real `reportgen run` on the bundled digits, and its files."""

import json

from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.figures import FIGURES


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_run_writes_metrics_and_figures_then_reuses_the_cache(tmp_path):
    out = tmp_path / "out"
    result = run("run", "--dataset", "digits", "--profile", "quick", "--quiet", "--jobs", "1",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "13 computed" in result.output
    document = json.loads((out / "metrics.json").read_text())
    assert document["dataset"]["name"] == "digits" and document["profile"]["name"] == "quick"
    assert 0.9 < document["metrics"]["binary.sgd.roc_auc"] <= 1
    for spec in FIGURES:
        assert (out / "figures" / f"{spec.id}.svg").stat().st_size > 1000
        assert (out / "figures" / f"{spec.id}.png").stat().st_size > 1000

    again = run("run", "--dataset", "digits", "--profile", "quick", "--quiet", "--out", str(out))
    assert "(0 computed, 13 from the cache)" in again.output
    assert json.loads((out / "metrics.json").read_text())["metrics"] == document["metrics"]


def test_bad_train_size_is_one_line(tmp_path):
    result = run("run", "--dataset", "digits", "--train-size", "5000", "--quiet",
                 "--out", str(tmp_path / "o"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--train-size must be between 30 and 1500" in result.output
    assert not (tmp_path / "o").exists()


def test_run_help_lists_its_options():
    result = run("run", "--help")
    for option in ("--profile", "--dataset", "--jobs", "--force", "--out", "--train-size"):
        assert option in result.output


def test_an_out_folder_that_cannot_be_written_is_one_line(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    result = run("run", "--dataset", "digits", "--quiet", "--out", str(not_a_folder))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(
        f"Error: cannot write to --out {not_a_folder}: File exists")
