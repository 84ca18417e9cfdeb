"""The CLI as a careless or hostile user meets it: every mistake and fault is one line and a
non-zero exit, the archive is never written but by a build, and limits are said up front."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import INTERRUPTED, cli
from reportgen.engine.repeats import MAX_REPEATS
from reportgen.gate import NOTHING_CHECKED
from reportgen.provenance import cpu_count
from tests.chapter import DIGITS_SPEC
from tests.versions import fabricate_version


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def one_line_error(result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def built_unchecked(result) -> None:
    """A build of the dataset section alone: archived, and (it measures no metric, so no claim
    applies to it) failed by its gate, which says it checked nothing."""
    assert result.exit_code == 1 and "version:" in result.output, result.output
    assert NOTHING_CHECKED in result.output.splitlines()[-1], result.output


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two versions of the same measurement, and a third of other sizes (--train-size)."""
    reports = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:  # a cache of its own, never the user's
        patch.setenv("REPORTGEN_CACHE", str(tmp_path_factory.mktemp("cache")))
        for extra in ([], [], ["--train-size", "1000"]):
            result = run("build", "--dataset", "digits", "--profile", "quick", "--jobs", "1",
                         "--quiet", "--no-pdf", "--reports-dir", str(reports), "--only",
                         "dataset", *extra)
            built_unchecked(result)
    return reports


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def test_no_command_writes_into_an_archive(archive, tmp_path):
    before = _snapshot(archive)
    version = next(p for p in archive.iterdir() if p.name.startswith("v0001"))
    other = tmp_path / "other-archive"
    shutil.copytree(archive, other)  # another archive: its own --reports-dir is not asked
    other_version = other / version.name
    attempts = [
        ("run", "--dataset", "digits", "--profile", "quick", "--only", "dataset", "--quiet",
         "--out", str(version)),
        ("run", "--dataset", "digits", "--profile", "quick", "--only", "dataset", "--quiet",
         "--out", str(archive)),
        ("render", "1", "--no-pdf", "--reports-dir", str(archive), "--out", str(version)),
        ("render", "1", "--no-pdf", "--reports-dir", str(archive), "--out",
         str(other_version)),
        ("render", "1", "--no-pdf", "--reports-dir", str(archive), "--out",
         str(other / "anything")),
        ("build", "--dataset", "digits", "--profile", "quick", "--only", "dataset", "--quiet",
         "--no-pdf", "--reports-dir", str(version / "nested")),
    ]
    for args in attempts:
        one_line_error(run(*args), "never written to")
    assert _snapshot(archive) == before
    assert _snapshot(other) == before


def test_diff_of_two_different_measurements_says_so_and_fails_the_gate(archive):
    same = run("diff", "1", "2", "--reports-dir", str(archive))
    assert same.exit_code == 0 and "different measurements" not in same.output
    shown = run("diff", "1", "3", "--reports-dir", str(archive))
    assert shown.exit_code == 0
    assert "note: digits quick (1500 training, 297 test) and digits quick-1000 (1000 training,"\
        " 297 test) are different measurements" in shown.output
    gate = run("diff", "1", "3", "--reports-dir", str(archive), "--fail-on", "significant")
    assert gate.exit_code == 1 and "Error: cannot gate" in gate.output
    assert "different measurements" in gate.output.splitlines()[-1]


def test_jobs_above_the_cores_are_capped_with_a_note(tmp_path):
    result = run("run", "--dataset", "digits", "--profile", "quick", "--only", "dataset",
                 "--quiet", "--jobs", "10000", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert f"--jobs 10000 is more than the {cpu_count()} cores" in result.output
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["timings"]["jobs"] \
        <= cpu_count()


def test_repeats_above_the_maximum_are_refused_before_any_work(tmp_path):
    result = run("run", "--dataset", "digits", "--profile", "quick", "--quiet",
                 "--repeats", str(MAX_REPEATS + 1), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and f"1<=x<={MAX_REPEATS}" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_ctrl_c_stops_a_run_within_seconds_with_exit_130_and_one_line(tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "run", "--dataset", "digits", "--profile",
         "quick", "--jobs", "2", "--force", "--quiet", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(4)  # the workers are computing
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    started = time.time()
    _, stderr = process.communicate(timeout=60)
    assert time.time() - started < 15
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == INTERRUPTED, lines
    assert lines == ["interrupted: results finished so far stay in the cache for the next run;"
                     " nothing half-written was kept"], lines
    assert not (out / "metrics.json").exists()


@pytest.mark.parametrize("delay", [1.0, 2.0, 3.0])
def test_ctrl_c_while_the_workers_start_is_still_one_line(tmp_path, delay):
    """The workers, in the terminal's process group too, never print their own
    KeyboardInterrupt (mid-import, say): they ignore SIGINT and the run stops them."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "run", "--dataset", "digits", "--profile",
         "quick", "--jobs", "2", "--force", "--quiet", "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    lines = stderr.decode().strip().splitlines()
    # 0: it finished first. -SIGINT: it said so, then died of SIGINT itself, which a shell
    # reports as 130 too (seen in 2 of 36 runs of this code under load, never in 18 of the
    # previous release's; why is not found).
    assert process.returncode in (INTERRUPTED, 0, -signal.SIGINT), lines
    assert len(lines) <= 1 and "Traceback" not in stderr.decode(), lines


@pytest.mark.parametrize("command", [["data", "info", "--dataset", "digits"],
                                     ["diff", "1", "2"], ["list"], ["show", "1"],
                                     ["render", "1", "--no-pdf"]])
def test_an_ascii_terminal_and_locale_get_the_output_not_a_traceback(archive, tmp_path,
                                                                     command):
    """No UTF-8 anywhere: the C locale, UTF-8 mode and locale coercion off."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0",
           "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": ""}
    args = [*command, "--reports-dir", str(archive)] if command[0] != "data" else command
    if command[0] == "render":
        args += ["--out", str(tmp_path / "rendered")]
    done = subprocess.run([sys.executable, "-m", "reportgen", *args], env=env,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr and done.stdout


def test_check_with_a_spec_that_selects_nothing_fails(archive, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('[[threshold]]\nid = "mnist-only"\nmetric = "binary.sgd.roc_auc"\n'
                    'op = ">"\nbound = { full = 1 }\nclaim = "c"\n')
    one_line_error(run("check", "1", "--reports-dir", str(archive), "--thresholds", str(spec)),
                   "a gate that checks nothing cannot pass")


def test_a_figures_link_into_an_archive_is_refused(archive, tmp_path):
    before = _snapshot(archive)
    version = next(p for p in archive.iterdir() if p.name.startswith("v0001"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "figures").symlink_to(version / "figures")
    one_line_error(run("run", "--dataset", "digits", "--profile", "quick", "--only", "dataset",
                       "--quiet", "--out", str(out)), "its figures/) lies inside the archive")
    assert _snapshot(archive) == before


def test_a_version_copied_under_another_name_is_still_never_written(archive, tmp_path):
    version = next(p for p in archive.iterdir() if p.name.startswith("v0001"))
    copy = tmp_path / "my-copy"
    shutil.copytree(version, copy)
    before = _snapshot(copy)
    one_line_error(run("run", "--dataset", "digits", "--profile", "quick", "--only", "dataset",
                       "--quiet", "--out", str(copy)), "never written to")
    assert _snapshot(copy) == before


def test_a_cache_folder_inside_an_archive_is_refused(archive, monkeypatch):
    version = next(p for p in archive.iterdir() if p.name.startswith("v0001"))
    monkeypatch.setenv("REPORTGEN_CACHE", str(version / "cache"))
    one_line_error(run("data", "info", "--dataset", "digits"), "never written to")
    assert not (version / "cache").exists()


def test_a_gate_does_not_pass_metrics_the_new_version_lacks(tmp_path):
    reports = tmp_path / "reports"
    for only in ("binary", "dataset"):
        assert run("build", "--dataset", "digits", "--profile", "quick", "--jobs", "1",
                   "--quiet", "--no-pdf", "--reports-dir", str(reports), "--only", only,
                   "--thresholds", DIGITS_SPEC).exit_code == (0 if only == "binary" else 1)
    gate = run("diff", "1", "2", "--reports-dir", str(reports), "--fail-on", "significant")
    assert gate.exit_code == 1 and "Traceback" not in gate.output
    assert "of its metrics are not in" in gate.output.splitlines()[-1]


def test_a_failed_export_leaves_the_out_folder_as_it_was(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("a user's file")
    import reportgen.export

    real = reportgen.export.save_figures

    def disk_fills_after_some_figures(run, sections, captions, folder):
        real(run, sections[:1], captions, folder)
        raise OSError(28, "No space left on device", str(folder / "x.svg"))

    monkeypatch.setattr(reportgen.export, "save_figures", disk_fills_after_some_figures)
    result = run("run", "--dataset", "digits", "--profile", "quick", "--only", "dataset",
                 "--quiet", "--out", str(out))
    one_line_error(result, "no space left on the device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]


@pytest.mark.parametrize("seconds", ["nan", "inf", "0", "1e308"])
def test_a_worker_timeout_must_be_a_real_number_of_seconds(seconds, tmp_path):
    result = run("run", "--dataset", "digits", "--quiet", "--worker-timeout", seconds,
                 "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2 and "is not a number of seconds" in result.output


def test_an_empty_scheduler_address_is_a_mistake_not_a_local_run(tmp_path):
    one_line_error(run("run", "--dataset", "digits", "--quiet", "--scheduler", "",
                       "--out", str(tmp_path / "o")), "is not a Dask scheduler address")


def test_init_writes_nothing_inside_an_archive(tmp_path, monkeypatch):
    """init went by no guard: inside a version, or in the reports folder, it wrote its six
    files and exited 0. The one guard of every writing command (refuse_inside_archive) now
    refuses it, as it does render --out and run --out."""
    reports = tmp_path / "reports"
    version = reports / fabricate_version(reports, {"binary.forest.roc_auc": 0.99})
    before = _snapshot(reports)
    monkeypatch.chdir(tmp_path)
    for folder in (version / "project", reports / "project", Path("reports") / "project"):
        one_line_error(run("init", str(folder)), "never written to")
    assert _snapshot(reports) == before


def test_init_quotes_the_folder_in_its_next_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("init", "my chapter", "--package", "my_spaced_chapter")
    assert result.exit_code == 0, result.output
    assert "next:  cd 'my chapter' && reportgen build --profile quick" in result.output


def _small_build_under(program: str, reports, cache, *more: str) -> subprocess.CompletedProcess:
    """`program` (which patches reportgen, then runs its CLI) building one digits section."""
    return subprocess.run(
        [sys.executable, "-c", program, "build", "--dataset", "digits", "--profile", "quick",
         "--jobs", "1", "--only", "dataset", "--quiet", "--no-pdf", "--reports-dir",
         str(reports), *more],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "REPORTGEN_CACHE": str(cache)})


def test_a_sigterm_that_lands_in_a_finaliser_still_stops_the_build(tmp_path):
    """Its KeyboardInterrupt, raised inside a weakref callback, was printed as "Exception
    ignored" and dropped: the build went on to archive a version. Here the signal comes while
    the report is staged, from inside such a callback."""
    program = (
        "import os, signal, sys, weakref\n"
        "import reportgen.build as build\n"
        "staged = build.write_report\n"
        "class Garbage: pass\n"
        "def signalled_in_a_finaliser():\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    for _ in range(100000): pass\n"  # the handler runs here, in the callback
        "def write_report(*args, **kwargs):\n"
        "    staged(*args, **kwargs)\n"
        "    garbage = Garbage()\n"
        "    weakref.finalize(garbage, signalled_in_a_finaliser)\n"
        "    del garbage\n"
        "build.write_report = write_report\n"
        "from reportgen.cli import cli\n"
        "cli(sys.argv[1:])\n"
    )
    reports = tmp_path / "reports"
    done = _small_build_under(program, reports, tmp_path / "cache")
    assert done.returncode == INTERRUPTED, done.stderr
    assert done.stderr.strip().splitlines() == [
        "interrupted: results finished so far stay in the cache for the next run; nothing"
        " half-written was kept"], done.stderr
    assert not list(reports.glob("v*"))


def test_a_signal_after_the_version_was_archived_says_it_stays(tmp_path):
    """A SIGTERM between the archive's rename and the command's end: exit 130, and the one line
    says the version was archived whole, not that nothing was kept (it had said so while a
    whole version stayed in the archive)."""
    program = (
        "import os, signal, sys\n"
        "import reportgen.archive as archive\n"
        "publish = archive.Archive._publish\n"
        "def published_then_signalled(self, staging):\n"
        "    publish(self, staging)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "archive.Archive._publish = published_then_signalled\n"
        "from reportgen.cli import cli\n"
        "cli(sys.argv[1:])\n"
    )
    reports = tmp_path / "reports"
    done = _small_build_under(program, reports, tmp_path / "cache", "--thresholds",
                              str(DIGITS_SPEC))
    [version] = reports.glob("v*")
    assert done.returncode == INTERRUPTED, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert f"{version.name} had been archived whole before the signal and stays" in line
