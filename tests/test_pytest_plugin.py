"""reportgen's pytest plugin judges each claim of a spec on a version: a claim that holds
passes, one that fails fails, one it could not check fails (or, where the spec marks it
optional or it is about another dataset, is skipped with its reason), never a silent pass.
End to end, `pytest` in a project: tests/test_cli_tabular.py and test_cli_project.py."""

import subprocess
import sys
from pathlib import Path

import pytest

from reportgen.pytest_plugin import judge
from reportgen.thresholds import load_spec, thresholds_gate
from tests.versions import record_of

SPEC = """
[[threshold]]
id = "accurate"
metric = "m.accuracy"
op = ">"
bound = 0.9
claim = "It is accurate."
dataset = "digits"

[[threshold]]
id = "full-only"
metric = "m.accuracy"
op = ">"
bound = { full = 0.95 }
claim = "On every image it is more accurate still."
dataset = "digits"
{optional}

[[threshold]]
id = "tables-too"
metric = "m.accuracy"
op = ">"
bound = 0.5
claim = "A claim about another dataset."
dataset = "breast-cancer"
"""


def judged(tmp_path: Path, accuracy: float, optional: str = "", archived: bool = True):
    path = tmp_path / "thresholds.toml"
    path.write_text(SPEC.replace("{optional}", optional))
    spec = load_spec(path, {"m.accuracy"}, ["digits", "breast-cancer"])
    record = record_of({"metrics": {"m.accuracy": accuracy}, "sections": ["m"]})
    return judge(spec, record, "v0001", archived=archived, path=path)


def test_each_claim_is_passed_failed_or_skipped_with_its_reason(tmp_path):
    checked = judged(tmp_path, 0.93)
    assert checked.outcomes["accurate"].status == "PASS"
    assert checked.outcomes["full-only"].status == "NOT CHECKED"  # no bound for quick: fails
    assert checked.skipped == {"tables-too": "tables-too: a claim about breast-cancer; v0001"
                                             " measured digits"}
    gate = thresholds_gate([o.stored() for o in checked.outcomes.values()], checked.what,
                           checked.nothing)
    assert not gate.passed and "full-only" in gate.problem


def test_an_optional_claim_without_a_bound_does_not_fail_the_gate(tmp_path):
    checked = judged(tmp_path, 0.93, optional="optional = true")
    gate = thresholds_gate([o.stored() for o in checked.outcomes.values()], checked.what,
                           checked.nothing)
    assert gate.passed


def test_a_failed_claim_fails(tmp_path):
    checked = judged(tmp_path, 0.5)
    assert checked.outcomes["accurate"].status == "FAIL"
    assert "m.accuracy = 0.5, required > 0.9" in checked.outcomes["accurate"].message


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *args], cwd=folder, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_pytest_in_a_project_says_what_it_checked_and_refuses_what_it_cannot(tmp_path):
    subprocess.run([sys.executable, "-m", "reportgen", "init", "proj"], cwd=tmp_path,
                   check=True, capture_output=True)
    project = tmp_path / "proj"
    asked = pytest_in(project, "--claims-profile", "full")  # nothing archived: no fresh build
    assert asked.returncode == 1 and "is no archive, so it holds no version" in asked.stdout
    fresh = pytest_in(project)
    assert fresh.returncode == 0, fresh.stdout
    assert "were checked on a fresh quick build" in fresh.stdout
    (project / "thresholds.toml").rename(project / "claims.toml")
    missing = pytest_in(project)
    assert missing.returncode != 0 and "which is not there" in missing.stderr


def test_pytest_in_a_project_that_does_not_use_reportgen_is_left_alone(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "pyproject.toml").write_text("not = = toml")
    (tmp_path / "test_x.py").write_text("def test_x():\n    assert True\n")
    done = pytest_in(tmp_path)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
