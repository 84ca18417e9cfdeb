"""Release environments: made once, atomically, verified, reused; every failure one line with
nothing half-made. The installers are faked here (a script that fails as uv fails); the real
ones make real environments in the matrix tests (tests/test_cli_matrix.py)."""

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import sklearn
from click.testing import CliRunner

from reportgen import environments
from reportgen.cli import cli
from reportgen.environments import (
    MARKER,
    Pins,
    ensure_environment,
    environments_root,
    list_environments,
    remove_environment,
)
from reportgen.errors import ReportgenError


def fake_installer(tmp_path: Path, stderr: str, status: int = 1) -> str:
    """An executable that fails the way an installer does: `stderr`, exit `status`."""
    script = tmp_path / "fake-uv"
    script.write_text(f"#!/bin/sh\ncat >&2 <<'EOF'\n{stderr}\nEOF\nexit {status}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def nothing_left_behind() -> None:
    root = environments_root()
    assert not root.exists() or list(root.iterdir()) == [], list(root.iterdir())


def test_pins_name_label_and_requirements():
    pins = Pins("1.5.2", "2.0.2")
    assert pins.label == "scikit-learn 1.5.2, numpy 2.0.2"
    assert pins.name.endswith("-scikit-learn-1.5.2-numpy-2.0.2")
    assert pins.requirements() == ["scikit-learn==1.5.2", "numpy==2.0.2"]
    assert Pins("1.4.1.post1").requirements() == ["scikit-learn==1.4.1.post1"]


@pytest.mark.parametrize("release", ["latest", "1.5.2; rm -rf /", "../1.5", "1", "", "1.5",
                                     "１.５.２", "1.5.2" * 2000])
def test_a_release_that_is_not_one_is_refused(release):
    with pytest.raises(ReportgenError, match="is not a scikit-learn release"):
        Pins(release)


def test_a_release_below_the_supported_range_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(environments, "supported_range", lambda: ">=1.5")
    with pytest.raises(ReportgenError, match=r"older than the releases this reportgen supports"):
        ensure_environment(Pins("1.4.2"))
    nothing_left_behind()


@pytest.mark.parametrize("stderr, message", [
    ("  × No solution found when resolving dependencies:\n  ╰─▶ Because scikit-learn==1.5.9 has"
     " no wheels with a matching Python ABI tag", "no such release with a wheel for Python"),
    ("error: Failed to fetch: `https://pypi.org/simple/scikit-learn/`\n  Caused by: dns error",
     "no package index reachable"),
    ("error: something else entirely", r"failed \(something else entirely\)"),
])
def test_an_installer_failure_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, stderr,
                                                             message):
    monkeypatch.setattr(environments, "_uv", lambda: fake_installer(tmp_path, stderr))
    with pytest.raises(ReportgenError, match=message) as caught:
        ensure_environment(Pins("1.5.2"), manager="uv")
    assert "\n" not in str(caught.value)
    nothing_left_behind()


def test_an_interrupted_creation_leaves_nothing(monkeypatch):
    def interrupted(command, pins):
        Path(command[-1]).mkdir(parents=True, exist_ok=True)  # half a venv, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(environments, "_call", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ensure_environment(Pins("1.5.2"), manager="venv")
    nothing_left_behind()


def make_fake_environment(pins: Pins, python_script: str) -> Path:
    """An environment folder whose Python is `python_script` (a shell script)."""
    folder = environments_root() / pins.name
    (folder / "bin").mkdir(parents=True)
    python = folder / "bin" / "python"
    python.write_text("#!/bin/sh\n" + python_script + "\n")
    python.chmod(0o755)
    (folder / MARKER).write_text(json.dumps({"pins": pins.releases, "manager": "uv",
                                             "libraries": pins.releases}))
    return folder


def test_a_broken_environment_is_one_line_that_says_how_to_remove_it():
    pins = Pins("1.5.2")
    make_fake_environment(pins, "echo 'ImportError: libfoo.so' >&2; exit 1")
    with pytest.raises(ReportgenError, match=r"is broken \(ImportError: libfoo.so\).*"
                                             r"reportgen env remove"):
        ensure_environment(pins)


def test_a_broken_environment_names_the_exception_not_its_traceback_header():
    pins = Pins("1.5.2")
    make_fake_environment(pins, "printf 'Traceback (most recent call last):\\n  File \"<string>\","
                                " line 1, in <module>\\nModuleNotFoundError: No module named"
                                " reportgen\\n' >&2; exit 1")
    with pytest.raises(ReportgenError, match=r"is broken \(ModuleNotFoundError: No module named"
                                             r" reportgen\)"):
        ensure_environment(pins)


def test_an_environment_with_other_releases_than_its_pins_is_refused():
    pins = Pins("1.5.2")
    found = {"code": "x", "libraries": {"scikit-learn": "1.6.1"}}
    make_fake_environment(pins, f"echo '{json.dumps(found)}'")
    with pytest.raises(ReportgenError, match="has scikit-learn 1.6.1, not the pinned 1.5.2"):
        ensure_environment(pins)


def test_an_environment_holding_another_reportgen_is_made_anew(monkeypatch):
    pins = Pins("1.5.2")
    found = {"code": "another reportgen", "libraries": {"scikit-learn": "1.5.2"}}
    folder = make_fake_environment(pins, f"echo '{json.dumps(found)}'")
    made = []
    monkeypatch.setattr(environments, "_create",
                        lambda root, pins, log, manager: made.append(pins) or "new")
    messages = []
    assert ensure_environment(pins, log=messages.append) == "new"
    assert made == [pins] and not folder.exists()
    assert "holds another reportgen" in messages[0]


def test_a_folder_that_is_no_environment_is_not_used_or_removed_silently():
    pins = Pins("1.5.2")
    (environments_root() / pins.name).mkdir(parents=True)
    with pytest.raises(ReportgenError, match="is not an environment reportgen made"):
        ensure_environment(pins)


def test_list_and_remove(tmp_path):
    pins = Pins("1.5.2")
    make_fake_environment(pins, "exit 1")
    (environments_root() / ".staging-py3.11-scikit-learn-1.6.1-abc").mkdir()  # being made
    assert [e["name"] for e in list_environments()] == [pins.name]
    result = CliRunner().invoke(cli, ["env", "list"])
    assert result.exit_code == 0 and pins.name in result.output
    with pytest.raises(ReportgenError, match="no environment"):
        remove_environment("py3.11-scikit-learn-9.9.9")
    with pytest.raises(ReportgenError, match="is not an environment name"):
        remove_environment("../results")
    result = CliRunner().invoke(cli, ["env", "remove", "--all"])
    assert result.exit_code == 0, result.output
    nothing_left_behind()


def test_this_reportgen_is_installed_from_its_own_source():
    spec = environments.this_reportgen()
    source = Path(spec[-1])
    # its source folder (an editable install), the wheel it was installed from (tox's, which
    # exists while tox runs), or its release on the index
    assert ((source / "pyproject.toml").is_file() or (source.suffix == ".whl" and source.is_file())
            or spec[0].startswith("reportgen=="))


def test_the_source_folder_on_the_path_does_not_hide_where_reportgen_came_from(tmp_path):
    """Run in its source folder, where an editable install's `reportgen.egg-info` (which knows
    no origin) comes first on the path, as inside pytest: the installed distribution still says
    where to install reportgen from (release environments made there failed)."""
    import subprocess
    import sys

    def spec(cwd: Path) -> str:
        return subprocess.run([sys.executable, "-c", "from reportgen.environments import"
                               " this_reportgen; print(this_reportgen())"], cwd=cwd,
                              capture_output=True, text=True, check=True).stdout

    source = Path(environments.__file__).resolve().parents[1]
    assert spec(source) == spec(tmp_path)


def test_a_full_disk_while_installing_says_so(tmp_path, monkeypatch):
    stderr = ("error: Failed to install: matplotlib-3.11.2.whl\n  Caused by: failed to write"
              " to file: No space left on device (os error 28)")
    monkeypatch.setattr(environments, "_uv", lambda: fake_installer(tmp_path, stderr))
    with pytest.raises(ReportgenError, match="no space left on the device"):
        ensure_environment(Pins("1.5.2"), manager="uv")
    nothing_left_behind()


def test_the_root_cause_of_an_installer_error_is_the_one_shown():
    text = ("error: Failed to build `reportgen @ file:///src`\n  Caused by: Failed to fetch\n"
            "  Caused by: dns error: failed to lookup address")
    assert environments._first_reason(text) == "dns error: failed to lookup address"


def test_an_environments_folder_that_cannot_be_written_is_one_line(monkeypatch):
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(environments.tempfile, "mkdtemp", refused)
    with pytest.raises(ReportgenError, match="cannot make the environment.*Permission denied"):
        ensure_environment(Pins("1.5.2"), manager="uv")


def test_a_damaged_marker_is_one_line_and_listed_as_incomplete():
    pins = Pins("1.5.2")
    folder = make_fake_environment(pins, "exit 1")
    (folder / MARKER).write_text('{"libraries": null, "manager": 5}')
    with pytest.raises(ReportgenError, match="is damaged"):
        ensure_environment(pins)
    (listed,) = list_environments()
    assert not listed["complete"]
    assert CliRunner().invoke(cli, ["env", "list"]).exit_code == 0


def test_a_stray_file_or_link_in_an_environment_s_place_can_be_removed(tmp_path):
    pins = Pins("1.5.2")
    environments_root().mkdir(parents=True)
    target = tmp_path / "elsewhere"
    target.mkdir()
    (environments_root() / pins.name).symlink_to(target)
    with pytest.raises(ReportgenError, match="is not an environment reportgen made"):
        ensure_environment(pins)
    remove_environment(pins.name)
    assert target.is_dir()  # the link went, not what it points to
    nothing_left_behind()


def test_the_staging_folder_of_a_killed_creation_is_cleared_but_not_a_running_one():
    import os

    root = environments_root()
    root.mkdir(parents=True)
    gone = root / ".staging-999999999-py3.11-scikit-learn-1.5.2-x"
    running = root / f".staging-{os.getpid()}-py3.11-scikit-learn-1.6.1-y"
    gone.mkdir(), running.mkdir()
    environments.clear_abandoned()
    assert not gone.exists() and running.exists()


@pytest.mark.parametrize("range_", ["1.5:1.9:2.0", "-1.5:1.6", "1.5:1.99999999999999999",
                                    "1.9:1.5", "a:b", "1.5.2:1.9", "１.５:1.9", "1.0:2.0"])
def test_a_range_of_releases_that_is_not_one_is_refused_before_asking_the_index(range_):
    first, _, last = range_.partition(":")
    with pytest.raises(ReportgenError, match="is not a range of"):
        environments.newest_patches(first, last)


# An installer that makes the venv at once, then installs for ever into it, saying its pid.
SLOW_INSTALLER = """#!{python}
import os, sys, time
from pathlib import Path
if sys.argv[1] == "venv":
    Path(sys.argv[-1], "bin").mkdir(parents=True)
    sys.exit(0)
Path(os.environ["INSTALLER_PID"]).write_text(str(os.getpid()))
folder = Path(sys.argv[sys.argv.index("--python") + 1]).parent.parent
for step in range(1200):
    (folder / f"package-{{step}}").write_text("x" * 10000)
    time.sleep(0.1)
"""


def test_a_killed_creation_takes_its_installer_along_and_env_list_clears_what_it_left(
        tmp_path):
    """SIGKILL of `env create` left uv installing into the staging folder (350 MB), and `env
    list` neither showed nor removed it."""
    installer = tmp_path / "slow-uv"
    installer.write_text(SLOW_INSTALLER.format(python=sys.executable))
    installer.chmod(0o755)
    said = tmp_path / "installer-pid"
    program = ("import sys\nimport reportgen.environments as environments\n"
               f"environments._uv = lambda: {str(installer)!r}\n"
               "from reportgen.cli import cli\ncli(sys.argv[1:])\n")
    creation = subprocess.Popen(
        [sys.executable, "-c", program, "env", "create", "--scikit-learn", sklearn.__version__],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "INSTALLER_PID": str(said)})
    pid = None
    try:
        deadline = time.monotonic() + 60
        while not said.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        pid = int(said.read_text())
        creation.kill()  # SIGKILL: nothing of its own runs
        creation.wait()
        deadline = time.monotonic() + 10
        while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the installer went on installing"
            time.sleep(0.1)
        staging = [f for f in environments_root().iterdir() if f.name.startswith(".staging-")]
        assert len(staging) == 1
        result = CliRunner().invoke(cli, ["env", "list"])
        assert result.exit_code == 0, result.output
        assert f"removed {staging[0].name}: the staging folder of an environment creation" \
            " that is no longer running" in result.output
        nothing_left_behind()
    finally:
        for leftover in (creation.pid, pid):
            try:
                if leftover is not None:
                    os.kill(leftover, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_env_list_shows_an_environment_being_made():
    root = environments_root()
    root.mkdir(parents=True)
    (root / f".staging-{os.getpid()}-py3.11-scikit-learn-1.6.1-x1y2z3").mkdir()
    result = CliRunner().invoke(cli, ["env", "list"])
    assert result.exit_code == 0, result.output
    assert "py3.11-scikit-learn-1.6.1" in result.output
    assert f"being made (process {os.getpid()})" in result.output
