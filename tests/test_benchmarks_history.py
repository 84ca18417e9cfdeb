"""Reading pytest-benchmark's saved runs: history, ratios to the previous run, regressions."""

import json

from click.testing import CliRunner

from reportgen.benchmarks import comparison, in_run_ratios, load_runs, report_context
from reportgen.cli import cli


def save_run(storage, number, medians, date, baselines=None):
    folder = storage / "Linux-CPython-3.11-64bit"
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "datetime": date, "commit_info": {"id": "abcdef0123"},
        "benchmarks": [{"name": name, "stats": {"median": m, "rounds": 3},
                        "extra_info": {"baseline": (baselines or {}).get(name)}
                        if name in (baselines or {}) else {}}
                       for name, m in medians.items()],
    }
    (folder / f"{number}_abcdef_{date[:10]}.json").write_text(json.dumps(data))


def test_runs_are_read_oldest_first_and_compared_as_ratios(tmp_path):
    save_run(tmp_path, "0001", {"test_svc_fit": 2.0, "test_knn_fit": 0.1},
             "2026-11-01T10:00:00+00:00")
    save_run(tmp_path, "0002", {"test_svc_fit": 5.0, "test_knn_fit": 0.1},
             "2026-11-02T10:00:00+00:00")
    runs = load_runs(tmp_path)
    assert [r.number for r in runs] == ["0001", "0002"]
    rows = {row["name"]: row for row in comparison(runs)}
    assert rows["test_svc_fit"]["ratio"] == 2.5 and rows["test_svc_fit"]["regressed"]
    assert rows["test_knn_fit"]["ratio"] == 1.0 and not rows["test_knn_fit"]["regressed"]
    context = report_context(tmp_path)
    assert context["runs"] == 2 and context["chart"].startswith(b"<?xml")


def test_cli_flags_a_regression(tmp_path):
    save_run(tmp_path, "0001", {"test_svc_fit": 2.0}, "2026-11-01T10:00:00+00:00")
    save_run(tmp_path, "0002", {"test_svc_fit": 5.0}, "2026-11-02T10:00:00+00:00")
    result = CliRunner().invoke(cli, ["benchmarks", "--storage", str(tmp_path)])
    assert result.exit_code == 1
    assert "REGRESSION" in result.output and "more than 2x slower" in result.output


def test_no_saved_runs(tmp_path):
    assert report_context(tmp_path) is None
    result = CliRunner().invoke(cli, ["benchmarks", "--storage", str(tmp_path)])
    assert result.exit_code == 1 and "no saved benchmark runs" in result.output


def test_a_benchmark_with_a_baseline_is_a_ratio_within_its_run(tmp_path):
    save_run(tmp_path, "0001", {"test_folds_three_separate_calls": 9.0, "test_folds_fit_once": 3.0,
                                "test_svc_fit": 2.0},
             "2026-11-01T10:00:00+00:00",
             baselines={"test_folds_fit_once": "test_folds_three_separate_calls"})
    [run] = load_runs(tmp_path)
    [row] = in_run_ratios(run)
    assert row["name"] == "test_folds_fit_once" and row["baseline_median"] == 9.0
    assert abs(row["ratio"] - 1 / 3) < 1e-12
    result = CliRunner().invoke(cli, ["benchmarks", "--storage", str(tmp_path)])
    assert "×0.33 of test_folds_three_separate_calls" in result.output


def test_a_baseline_missing_from_the_run_gives_no_ratio(tmp_path):
    save_run(tmp_path, "0001", {"test_folds_fit_once": 3.0}, "2026-11-01T10:00:00+00:00",
             baselines={"test_folds_fit_once": "test_folds_three_separate_calls"})
    assert in_run_ratios(load_runs(tmp_path)[0]) == []


def test_a_run_on_other_data_is_another_series_and_every_ratio_keeps_its_latest(tmp_path):
    save_run(tmp_path, "0001", {"test_chapter_script": 420.0, "test_cold": 155.0,
                                "test_svc_fit": 2.0}, "2026-11-01T10:00:00+00:00",
             baselines={"test_cold": "test_chapter_script"})
    save_run(tmp_path, "0002", {"test_chapter_script": 3400.0, "test_cold": 1190.0},
             "2026-11-02T10:00:00+00:00", baselines={"test_cold": "test_chapter_script"})
    folder = tmp_path / "Linux-CPython-3.11-64bit"
    for path, size in zip(sorted(folder.iterdir()), (10000, 60000), strict=True):
        data = json.loads(path.read_text())
        for benchmark in data["benchmarks"]:
            if benchmark["name"] != "test_svc_fit":
                benchmark["extra_info"]["train_size"] = size
        path.write_text(json.dumps(data))
    runs = load_runs(tmp_path)
    assert not any(row["regressed"] for row in comparison(runs))  # 60,000 is not 10,000
    ratios = {row["name"]: row for row in report_context(tmp_path)["in_run"]}
    assert set(ratios) == {"test_cold[10,000 images]", "test_cold[60,000 images]"}
    assert ratios["test_cold[60,000 images]"]["run"] == "0002"
    assert abs(ratios["test_cold[10,000 images]"]["ratio"] - 155 / 420) < 1e-12


def test_a_saved_run_of_the_wrong_shape_is_one_line_naming_it(tmp_path):
    save_run(tmp_path, "0001", {"test_svc_fit": 2.0}, "2026-11-01T10:00:00+00:00")
    broken = tmp_path / "Linux-CPython-3.11-64bit" / "0002_abcdef_2026-11-02.json"
    for content in ("[1, 2]", '{"benchmarks": 5, "datetime": "x"}', "\xff\xfe not json"):
        broken.write_bytes(content.encode("latin-1"))
        result = CliRunner().invoke(cli, ["benchmarks", "--storage", str(tmp_path)])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert f"{broken} is not a pytest-benchmark run" in result.output
        assert len(result.output.strip().splitlines()) == 1
