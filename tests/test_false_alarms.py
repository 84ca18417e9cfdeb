"""The diff gate's false-alarm rate, measured on a version's own repeats (an A/A check)."""

import json
from dataclasses import asdict

import numpy as np
import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.errors import ReportgenError
from reportgen.false_alarms import NOMINAL, measure
from reportgen.metrics import summarize
from reportgen.record import VersionRecord
from tests.chapter import DIGITS_SPEC
from tests.versions import record_of


def document_with_repeats(values: dict[str, list]) -> VersionRecord:
    """A quick MNIST version whose metrics have these repeats (the first is the chapter's)."""
    count = len(next(iter(values.values())))
    return record_of({
        "dataset": {"name": "mnist", "checksum": "abc"},
        "profile": {"name": "quick", "train_size": 6000, "test_size": 1000},
        "metrics": {name: v[0] for name, v in values.items()},
        "thresholds": [], "timings": {"wall_seconds": 1.0, "experiments": {}},
        "repeats": {"count": count, "seeds": "rule", "deterministic_metrics": [],
                    "metrics": {name: asdict(summarize(v)) for name, v in values.items()}},
    })


def test_every_split_of_the_repeats_is_compared_once():
    rng = np.random.default_rng(0)
    document = document_with_repeats({f"m.x.a{i}": rng.normal(0.9, 0.01, 9).tolist()
                                      for i in range(5)})
    measured = measure(document)
    assert measured.block == 4 and measured.repeats == (1, 2, 3, 4, 5, 6, 7, 8)
    assert measured.splits == 35  # C(8, 4) / 2
    assert measured.metrics_tested == 35 * 5
    assert 0 <= measured.gate_rate <= 1 and measured.nominal == NOMINAL


def test_a_discrete_metric_that_agrees_within_each_block_is_no_false_alarm():
    """What the check found in the gate: a confusion-matrix cell of 1 in three repeats and 0
    in three others was 'significant' (Welch's t of x/0)."""
    cell = [0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    measured = measure(document_with_repeats({"m.x.cell": cell}), block=3)
    assert measured.splits == 10 and measured.failing_splits == 0


def test_the_check_reports_what_it_sees_when_the_blocks_do_differ():
    """Not an A/A pair: the check reports what it sees (the blocks are the first and second
    half of the repeats in one split), never a rate of 0 by construction."""
    values = [0.9] + [0.90 + 0.001 * i for i in range(4)] + [0.95 + 0.001 * i for i in range(4)]
    measured = measure(document_with_repeats({"m.x.a": values}), block=4)
    assert measured.failing_splits >= 1 and ("m.x.a", measured.failing_splits) in \
        measured.most_flagged


def test_too_few_repeats_is_a_one_line_error():
    document = document_with_repeats({"m.x.a": [0.9, 0.91, 0.92]})
    with pytest.raises(ReportgenError, match="build with --repeats 5 or more"):
        measure(document)


@pytest.mark.slow
def test_the_gate_false_alarms_at_most_about_its_nominal_rate_on_a_small_profile(tmp_path):
    """The A/A check run as a user runs it, on digits' quick profile with 7 repeats: measured
    and printed; far above 5 % would be a gate to fix."""
    runner = CliRunner()
    reports = tmp_path / "reports"
    result = runner.invoke(cli, ["build", "--dataset", "digits", "--profile", "quick",
                                 "--repeats", "7", "--no-pdf", "--quiet", "--reports-dir",
                                 str(reports), "--thresholds", DIGITS_SPEC],
                         catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli, ["false-alarms", "--reports-dir", str(reports)])
    print(shown.output)
    assert shown.exit_code == 0 and "measured false-alarm rate of" in shown.output
    measured = json.loads(runner.invoke(cli, ["false-alarms", "--json", "--reports-dir",
                                              str(reports)]).output)
    assert measured["splits"] == 10 and measured["metrics_tested"] > 100
    assert measured["gate_rate"] <= 2 * NOMINAL, measured
    [version] = reports.glob("v0001-*")
    assert "How often the diff gate cries wolf" in (version / "record.html").read_text()


def test_the_most_repeats_draw_their_splits_instead_of_listing_every_one():
    """Blocks of 50 have C(100, 50)/2 splits: 35 distinct ones are drawn, from a fixed seed."""
    rng = np.random.default_rng(1)
    document = document_with_repeats({"m.x.a": rng.normal(0.9, 0.01, 101).tolist()})
    first, again = measure(document), measure(document)
    assert first.block == 50 and first.splits == 35 and first == again


def test_blocks_larger_than_the_repeats_allow_name_the_largest():
    document = document_with_repeats({"m.x.a": [0.9, 0.91, 0.92, 0.93, 0.94]})
    with pytest.raises(ReportgenError, match="give --block 2 or less"):
        measure(document, block=4)


def test_a_version_where_nothing_varies_measured_nothing_and_fails():
    """Every metric the same in every repeat: no metric is tested in any split, so there is no
    false-alarm rate to report, and the gate says so instead of "0.0 %"."""
    from reportgen.gate import NOTHING_CHECKED, GateFailed

    measured = measure(document_with_repeats({"m.x.a": [0.9] * 5, "m.x.b": [3] * 5}))
    assert measured.metrics_tested == 0
    assert measured.gate_rate is None and measured.metric_rate is None  # not 0.0: unmeasured
    with pytest.raises(GateFailed, match=NOTHING_CHECKED):
        measured.gate.enforce()


def test_false_alarms_on_a_version_where_nothing_varies_exits_1(tmp_path, monkeypatch):
    from reportgen.archive import Version

    document = document_with_repeats({"m.x.a": [0.9] * 5})
    monkeypatch.setattr(Version, "record", lambda self: document)
    monkeypatch.setattr("reportgen.archive.Archive.resolve",
                        lambda self, ref, kind=None: Version("v0001-x", tmp_path, {}))
    result = CliRunner().invoke(cli, ["false-alarms", "--reports-dir", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the false-alarm rate was not measured" in result.output.splitlines()[-1]
    assert "%" not in result.output and "no false-alarm rate was measured" in result.output
    as_json = CliRunner().invoke(cli, ["false-alarms", "--json", "--reports-dir", str(tmp_path)])
    assert '"gate_rate": null' in as_json.output and '"metric_rate": null' in as_json.output
