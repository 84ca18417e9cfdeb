"""The release comparison, on small hand-made metrics documents: what changed to the bit, by how
much, against seed noise repeat by repeat, which release reproduces a printed value."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from reportgen.environments import Pins, ReleaseEnvironment
from reportgen.errors import ReportgenError
from reportgen.matrix import (
    ReleaseRun,
    compare_releases,
    release_order,
    reproduction,
    run_releases,
    totals,
)
from tests.chapter import builtin_spec
from tests.versions import record_of


def document(metrics: dict, repeats: dict | None = None, published=(), seconds=1.0,
             deterministic=()) -> dict:
    doc = {
        "dataset": {"name": "mnist", "checksum": "abc", "title": "MNIST"},
        "profile": {"name": "quick", "train_size": 6000, "test_size": 1000,
                    "denoise_eval_size": 500},
        "sections": ["binary"],
        "metrics": metrics,
        "timings": {"wall_seconds": seconds, "experiments": {
            "binary.sgd": {"seconds": seconds, "cached": False}}},
        "warnings": {},
        "published": list(published),
    }
    if repeats:
        doc["repeats"] = {"count": len(next(iter(repeats.values()))),
                          "deterministic_metrics": list(deterministic),
                          "metrics": {name: {"values": values, "std": 1.0}
                                      for name, values in repeats.items()}}
    return doc


def release(version: str, doc: dict) -> ReleaseRun:
    pins = Pins(version)
    return ReleaseRun(ReleaseEnvironment(Path(f"/envs/{pins.name}"), pins,
                                         {"scikit-learn": version}, "uv"),
                      record_of(doc), 1.0)


NO_SPEC = []


def test_a_metric_equal_to_the_bit_is_unchanged_and_any_other_difference_is_a_change():
    data = compare_releases([release("1.5.2", document({"a": 0.1, "b": 0.3})),
                             release("1.6.1", document({"a": 0.1, "b": 0.1 + 0.2}))], NO_SPEC)
    (step,) = data["changes"]
    assert [row["metric"] for row in step["metrics"]] == ["b"]  # 0.1 + 0.2 != 0.3
    row = step["metrics"][0]
    assert row["max_abs_change"] == pytest.approx(5.55e-17, rel=0.01)
    assert row["verdict"] == "unknown"  # no repeats: the noise is not measured
    assert step["unchanged"] == 1


def test_a_list_metric_reports_its_largest_change_and_how_many_elements_moved():
    data = compare_releases([release("1.5.2", document({"folds": [0.9, 0.8, 0.7]})),
                             release("1.6.1", document({"folds": [0.9, 0.85, 0.7]}))], NO_SPEC)
    row = data["changes"][0]["metrics"][0]
    assert row["elements_changed"] == 1 and row["elements"] == 3
    assert row["max_abs_change"] == pytest.approx(0.05)
    assert row["relative_change"] == pytest.approx(0.05 / 0.9)


def test_the_same_shift_in_every_repeat_is_beyond_seed_noise_though_the_spread_is_larger():
    old = [0.80, 0.90, 0.70, 0.85]
    new = [v + 0.001 for v in old]  # a tiny change, a hundredth of the seeds' spread
    data = compare_releases(
        [release("1.5.2", document({"m": old[0]}, {"m": old})),
         release("1.6.1", document({"m": new[0]}, {"m": new}))], NO_SPEC)
    row = data["changes"][0]["metrics"][0]
    assert row["verdict"] == "significant"
    assert "paired" in row["method"]


def test_changes_that_go_either_way_across_repeats_are_within_seed_noise():
    old = [0.80, 0.90, 0.70, 0.85]
    new = [0.81, 0.89, 0.71, 0.84]
    data = compare_releases(
        [release("1.5.2", document({"m": old[0]}, {"m": old})),
         release("1.6.1", document({"m": new[0]}, {"m": new}))], NO_SPEC)
    assert data["changes"][0]["metrics"][0]["verdict"] == "within noise"


def test_a_deterministic_metric_has_no_seed_noise():
    data = compare_releases(
        [release("1.5.2", document({"svc": 0.97}, {"m": [1.0, 2.0]}, deterministic=["svc"])),
         release("1.6.1", document({"svc": 0.98}, {"m": [1.0, 2.0]}, deterministic=["svc"]))],
        NO_SPEC)
    assert data["changes"][0]["metrics"][0]["verdict"] == "significant"


@pytest.mark.parametrize("agrees, newest, first_not", [
    ([True, True, False, False], "1", "2"),
    ([False, True, False], "1", "2"),
    ([True, True, True], "2", None),
    ([False, False], None, None),
    ([True, False, True], "2", None),  # reproduced again by the newest: nothing after it
])
def test_the_newest_release_reproducing_a_value_and_the_first_after_it_that_does_not(
        agrees, newest, first_not):
    labels = [str(i) for i in range(len(agrees))]
    found = reproduction(agrees, labels)
    assert found["newest_reproducing"] == newest
    assert found["first_not_reproducing"] == first_not
    assert found["reproduced_by"] == [label for label, same
                                      in zip(labels, agrees, strict=True) if same]


def test_printed_values_thresholds_and_timings_by_release(tmp_path):
    auc = "binary.sgd.roc_auc"
    (tmp_path / "spec.toml").write_text(
        f'[[threshold]]\nid = "auc-high"\nmetric = "{auc}"\nop = ">="\nclaim = "high"\n'
        'bound = { quick = 0.5 }\n')
    spec = builtin_spec(tmp_path / "spec.toml")
    printed = lambda value, same: {"metric": auc, "published": 0.6, "ours": value,  # noqa: E731
                                   "ours_rounded": round(value, 1), "agrees": same}
    data = compare_releases([
        release("1.5.2", document({auc: 0.6}, published=[printed(0.6, True)], seconds=10)),
        release("1.6.1", document({auc: 0.4}, published=[printed(0.4, False)], seconds=30)),
    ], spec)
    (row,) = data["published"]
    assert row["agrees"] == [True, False] and row["values"] == [0.6, 0.4]
    assert row["newest_reproducing"] == "scikit-learn 1.5.2"
    assert row["first_not_reproducing"] == "scikit-learn 1.6.1"
    (threshold,) = data["thresholds"]
    assert threshold["statuses"] == ["PASS", "FAIL"]
    (timing,) = data["timings"]
    assert timing["seconds"] == [10, 30] and timing["ratio"] == 3
    assert totals(data)["reproduced"] == [1, 0] and totals(data)["passing"] == [1, 0]


def test_runs_of_different_measurements_are_not_compared():
    other = document({"m": 1.0})
    other["profile"] = {**other["profile"], "train_size": 300}
    with pytest.raises(ReportgenError, match="measured other data"):
        compare_releases([release("1.5.2", document({"m": 1.0})), release("1.6.1", other)],
                         NO_SPEC)


def test_releases_run_oldest_first_and_a_matrix_needs_two():
    assert sorted([Pins("1.10.0"), Pins("1.9.1"), Pins("1.5.2")], key=release_order) == [
        Pins("1.5.2"), Pins("1.9.1"), Pins("1.10.0")]
    with pytest.raises(ReportgenError, match="at least two"):
        run_releases([Pins("1.5.2"), Pins("1.5.2")], [], jobs=1)


def _one_claim_failing_in_the_newest(tmp_path) -> dict:
    auc = "binary.sgd.roc_auc"
    (tmp_path / "spec.toml").write_text(
        f'[[threshold]]\nid = "auc-high"\nmetric = "{auc}"\nop = ">="\nclaim = "high"\n'
        'bound = { quick = 0.5 }\n')
    return compare_releases([release("1.5.2", document({auc: 0.6})),
                             release("1.6.1", document({auc: 0.4}))],
                            builtin_spec(tmp_path / "spec.toml"))


def test_the_matrix_gate_fails_a_failing_claim_and_a_matrix_that_checked_none(tmp_path):
    from reportgen.gate import NOTHING_CHECKED
    from reportgen.matrix import matrix_gate

    failing = matrix_gate(_one_claim_failing_in_the_newest(tmp_path), "v0001", "")
    assert failing.problem == "1 threshold(s) failed: auc-high"
    none = compare_releases([release("1.5.2", document({"m": 1.0})),
                             release("1.6.1", document({"m": 1.0}))], NO_SPEC)
    assert NOTHING_CHECKED in matrix_gate(none, "v0001", "no claim applies").problem


def test_matrix_prints_the_fail_and_exits_1(tmp_path, monkeypatch):
    """"0 of 1 thresholds pass" was printed with no FAIL line and exit 0."""
    from click.testing import CliRunner

    from reportgen.build import MatrixOutcome
    from reportgen.cli import cli
    from reportgen.matrix import matrix_gate

    data = _one_claim_failing_in_the_newest(tmp_path)
    monkeypatch.setattr("reportgen.build.build_matrix", lambda *a, **k: MatrixOutcome(
        "v0001-x", tmp_path, data, matrix_gate(data, "v0001-x", "")))
    result = CliRunner().invoke(cli, ["matrix", "--scikit-learn", "1.5.2", "--scikit-learn",
                                      "1.6.1", "--dataset", "digits", "--profile", "quick",
                                      "--no-pdf", "--reports-dir", str(tmp_path / "r")])
    assert result.exit_code == 1, result.output
    assert "scikit-learn 1.6.1: FAIL auc-high" in result.output
    assert result.output.splitlines()[-1] == "Error: 1 threshold(s) failed: auc-high"


# A release environment whose run starts a worker of its own, then waits: what a real run in
# one is to the command that started it (`matrix`, `build --scikit-learn`).
CHILD_RUN = (
    "import subprocess, sys, time\n"
    "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "time.sleep(120)\n"
)
FAKE_ENVIRONMENTS = (
    "import sys\n"
    "from pathlib import Path\n"
    "import reportgen.environments as environments, reportgen.matrix as matrix\n"
    "class Fake(environments.ReleaseEnvironment):\n"
    "    def reportgen(self, *args):\n"
    "        return [sys.executable, '-c', sys.argv[1]]\n"
    "def ensure_environment(pins, log=None, manager=None):\n"
    "    return Fake(Path('/nowhere') / pins.name, pins, pins.releases, 'uv')\n"
    "environments.ensure_environment = matrix.ensure_environment = ensure_environment\n"
    "from reportgen.cli import cli\n"
    "cli(sys.argv[2:])\n"
)


def ended(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("command", [
    ["matrix", "--scikit-learn", "1.5.2", "--scikit-learn", "1.6.1"],
    ["build", "--scikit-learn", "1.5.2"],
])
def test_sigterm_ends_a_child_run_and_every_process_it_started(tmp_path, command):
    """The child run was SIGKILLed and its workers, reparented to PID 1, went on computing."""
    said = tmp_path / "stderr"  # not a pipe: a process left running would hold it open
    with said.open("w") as stderr:
        parent = subprocess.Popen(
            [sys.executable, "-c", FAKE_ENVIRONMENTS, CHILD_RUN, *command, "--dataset",
             "digits", "--profile", "quick", "--no-pdf", "--reports-dir",
             str(tmp_path / "reports")],
            stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
            env={**os.environ, "REPORTGEN_CACHE": str(tmp_path / "cache")})
    started: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(started) < 2 and time.monotonic() < deadline:
            started = [p.pid for p in psutil.Process(parent.pid).children(recursive=True)]
            time.sleep(0.1)
        assert len(started) == 2, "the child run never started its worker"
        parent.send_signal(signal.SIGTERM)  # the command alone, as `kill` does
        assert parent.wait(timeout=30) == 130, said.read_text()
        deadline = time.monotonic() + 10
        while not all(ended(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(ended(pid) for pid in started)
    finally:
        for pid in [parent.pid, *started]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        parent.wait()


def test_the_matrix_gate_lets_an_optional_claim_go_unchecked():
    from reportgen.matrix import matrix_gate

    data = {"releases": [{"label": "scikit-learn 1.9.1"}], "thresholds": [
        {"id": "a", "metric": "m.a", "optional": True, "statuses": ["NOT CHECKED"]},
        {"id": "b", "metric": "m.b", "optional": False, "statuses": ["PASS"]}]}
    assert matrix_gate(data, "v0001", "").passed
    data["thresholds"][0]["optional"] = False
    assert "could not be checked" in matrix_gate(data, "v0001", "").problem
