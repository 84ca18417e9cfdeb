"""The command line as a user meets it: help everywhere, one-line errors, no tracebacks."""

import numpy as np
import pytest
from click.testing import CliRunner

from reportgen import __version__
from reportgen.cli import cli
from reportgen.data.datasets import cache_path_for, get_spec


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, prog_name="reportgen")


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("command", [[], ["data"], ["data", "fetch"], ["data", "info"]])
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


@pytest.mark.parametrize("command", [[], ["data"]])
def test_a_group_without_a_command_shows_its_help(command):
    result = run(*command)
    assert result.output.startswith("Usage: reportgen") and "Error" not in result.output


def test_data_fetch_prints_source_path_and_checksum():
    result = run("data", "fetch", "--dataset", "digits")
    assert result.exit_code == 0, result.output
    assert "source:   scikit-learn's bundled digits" in result.output
    assert "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3 (verified)" in (
        result.output
    )
    again = run("data", "fetch", "--dataset", "digits").output
    assert "source:   cache, from scikit-learn's bundled digits" in again


def test_data_info_shows_shape_and_class_counts():
    result = run("data", "info", "--dataset", "digits")
    assert result.exit_code == 0
    assert "1797 x 64 uint8 (8x8 pixels, 0..16)" in result.output
    assert "0: 178, 1: 182" in result.output


def one_line_error(result):
    lines = result.output.strip().splitlines()
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert len([line for line in lines if line.startswith("Error:")]) == 1
    return lines[-1]


def test_missing_data_file_is_one_line(tmp_path):
    line = one_line_error(run("data", "fetch", "--data-file", str(tmp_path / "nope.npz")))
    assert "does not exist" in line


def test_wrong_data_file_is_one_line_and_not_cached(tmp_path):
    np.savez(tmp_path / "small.npz", X=np.zeros((10, 784), dtype=np.uint8), y=np.zeros(10))
    line = one_line_error(run("data", "fetch", "--data-file", str(tmp_path / "small.npz")))
    assert "expected numbers (70000, 784)" in line
    assert not cache_path_for(get_spec("mnist")).exists()


def test_unknown_dataset_is_rejected_in_one_line():
    result = run("data", "info", "--dataset", "cifar")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "Error: unknown dataset 'cifar'; choose one of: digits, fashion-mnist, mnist"]


@pytest.mark.parametrize("args", [
    ["biuld"], ["build", "--repeats", "0"], ["diff", "--format", "xml", "1", "2"],
    ["run", "--no-such-option"], ["--no-such-option"], ["data", "--no-such-option"],
])
def test_a_mistyped_command_line_is_one_line_with_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: ") and "-h')" in line


def test_a_cache_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setenv("REPORTGEN_CACHE", str(not_a_folder))
    result = CliRunner().invoke(cli, ["data", "fetch", "--dataset", "digits"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: cannot write to the cache folder $REPORTGEN_CACHE={not_a_folder}: File exists;"
        " choose a folder you can write to"]


@pytest.mark.parametrize("command", [
    ["data", "info", "--dataset", ""],
    ["run", "--dataset", "", "--profile", "quick", "--only", "dataset", "--quiet"],
])
def test_an_empty_dataset_name_is_refused_not_read_as_the_default(command, tmp_path):
    """`--dataset ''` ran MNIST, the default, without a word."""
    result = run(*command, *(["--out", str(tmp_path / "out")] if command[0] == "run" else []))
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: unknown dataset ''; choose one of:")
    assert not (tmp_path / "out").exists()


def test_an_empty_reportgen_cache_is_refused_not_read_as_unset(monkeypatch):
    """`REPORTGEN_CACHE=` used the user's cache folder without a word."""
    monkeypatch.setenv("REPORTGEN_CACHE", "")
    result = CliRunner().invoke(cli, ["data", "fetch", "--dataset", "digits"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: $REPORTGEN_CACHE is set but empty: set it to a folder, or unset it to use the"
        " user's cache folder"]


@pytest.mark.parametrize("args, message", [
    (["--scikit-learn", "1.5.2,numpy=2.0.2,numpy=2.1.0"], "numpy is pinned 2 times"),
    (["--scikit-learn", "1.5.2,numpy=2.0.2", "--numpy", "2.1.0"],
     "pins numpy 2.0.2, --numpy 2.1.0: give one"),
])
def test_numpy_pinned_twice_is_refused_not_the_last_kept(args, message):
    result = run("env", "create", *args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert message in line
