"""reportgen's pytest plugin judges each claim of a spec on a version: a claim that holds
passes, one that fails fails, one it could not check fails (or, where the spec marks it
optional or it is about another dataset, is skipped with its reason), never a silent pass.
End to end, `pytest` in a project: tests/test_cli_tabular.py and test_cli_project.py."""

from pathlib import Path

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
