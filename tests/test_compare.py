"""What `reportgen diff` and the report's "changes" section compute."""

import pytest

from reportgen.compare import (
    PAIRED,
    SEED_NOISE,
    WELCH,
    _benjamini_hochberg,
    code_changes,
    compare_records,
)
from tests.versions import record_of


def compare_documents(old: dict, new: dict, **options) -> dict:
    """Two hand-written metrics.json documents compared as `diff` compares two versions."""
    return compare_records(record_of(old), record_of(new), **options)


def doc(metrics, seconds, thresholds=(), checksum="abc"):
    return {
        "dataset": {"checksum": checksum},
        "metrics": metrics,
        "thresholds": [{"id": i, "metric": "a", "passed": p, "message": ""}
                       for i, p in thresholds],
        "timings": {
            "wall_seconds": sum(seconds.values()),
            "experiments": {n: {"seconds": s, "cached": False} for n, s in seconds.items()},
        },
    }


def test_changed_metrics_with_numeric_deltas():
    old = doc({"a": 0.5, "b": [1, 2], "c": 3}, {"x": 2.0})
    new = doc({"a": 0.75, "b": [1, 3], "c": 3}, {"x": 3.0})
    changes = compare_documents(old, new)
    assert [{k: row[k] for k in ("metric", "old", "new", "delta", "verdict")}
            for row in changes["metrics"]] == [
        {"metric": "a", "old": 0.5, "new": 0.75, "delta": 0.25, "verdict": "unknown"},
        {"metric": "b", "old": [1, 2], "new": [1, 3], "delta": None, "verdict": "unknown"},
    ]
    assert changes["unchanged_metrics"] == 1
    assert changes["timings"][0]["ratio"] == 1.5
    assert not changes["dataset_changed"]


def test_threshold_status_changes_and_dataset_change():
    old = doc({}, {}, thresholds=[("t1", True), ("t2", True)])
    new = doc({}, {}, thresholds=[("t1", False), ("t2", True), ("t3", True)], checksum="def")
    changes = compare_documents(old, new)
    assert changes["thresholds"] == [{"id": "t1", "old": "PASS", "new": "FAIL"},
                                     {"id": "t3", "old": None, "new": "PASS"}]
    assert changes["dataset_changed"]


def test_metrics_of_a_new_section_are_added_not_changed():
    old = doc({"a": 0.5}, {"x": 2.0})
    new = doc({"a": 0.5, "test.b": 0.9}, {"x": 2.0})
    changes = compare_documents(old, new)
    assert changes["metrics"] == [] and changes["unchanged_metrics"] == 1
    assert changes["added_metrics"] == ["test.b"] and changes["removed_metrics"] == []
    assert compare_documents(new, old)["removed_metrics"] == ["test.b"]


def test_a_task_split_into_folds_is_not_compared_with_its_former_self():
    old = doc({}, {"fit": 90.0, "svc": 20.0})
    new = doc({}, {"fit": 0.1, "fit.fold0": 30.0, "svc": 21.0})
    new["timings"]["experiments"]["fit"]["depends_on"] = ["fit.fold0"]
    new["timings"]["experiments"]["svc"]["depends_on"] = []
    assert [row["experiment"] for row in compare_documents(old, new)["timings"]] == ["svc"]


def with_repeats(document, name, values, deterministic=()):
    """`document` with repeats of metric `name` (its chapter value is the first)."""
    document["metrics"][name] = values[0]
    n = len(values)
    mean = sum(values) / n
    document["repeats"] = {"count": n, "deterministic_metrics": list(deterministic), "metrics": {
        name: {"values": values, "mean": mean,
               "std": (sum((v - mean) ** 2 for v in values) / (n - 1)) ** 0.5}}}
    return document


def test_a_change_larger_than_both_spreads_is_significant():
    old = with_repeats(doc({}, {}), "m.x.accuracy", [0.900, 0.902, 0.901, 0.899])
    new = with_repeats(doc({}, {}), "m.x.accuracy", [0.950, 0.951, 0.949, 0.952])
    [row] = compare_documents(old, new)["metrics"]
    assert row["verdict"] == "significant" and row["p_value"] < 0.05
    assert row["method"] == WELCH and row["null"] == SEED_NOISE


def test_a_change_inside_the_spread_is_within_noise():
    old = with_repeats(doc({}, {}), "m.x.accuracy", [0.90, 0.93, 0.88, 0.92])
    new = with_repeats(doc({}, {}), "m.x.accuracy", [0.91, 0.89, 0.93, 0.90])
    changes = compare_documents(old, new)
    assert changes["metrics"][0]["verdict"] == "within noise"
    assert changes["significant"] == 0


def test_one_side_with_repeats_judges_the_other_value_by_that_spread():
    old = doc({"m.x.accuracy": 0.80}, {})
    new = with_repeats(doc({}, {}), "m.x.accuracy", [0.900, 0.902, 0.901, 0.899])
    [row] = compare_documents(old, new)["metrics"]
    assert row["verdict"] == "significant"
    assert row["method"].startswith("the other value against the new version's repeats")
    near = doc({"m.x.accuracy": 0.9005}, {})
    assert compare_documents(near, new)["metrics"][0]["verdict"] == "within noise"


def test_many_comparisons_are_adjusted_together():
    """A borderline difference alone is significant; among many metrics that did not move, the
    false-discovery-rate adjustment asks for more."""
    old_values, new_values = [0.90, 0.91, 0.92], [0.93, 0.94, 0.95]
    one = compare_documents(with_repeats(doc({}, {}), "m.a", old_values),
                            with_repeats(doc({}, {}), "m.a", new_values))
    assert one["metrics"][0]["verdict"] == "significant"
    old, new = with_repeats(doc({}, {}), "m.a", old_values), \
        with_repeats(doc({}, {}), "m.a", new_values)
    for i in range(20):  # metrics that changed within their noise
        for document, values in ((old, [0.90, 0.91, 0.92]), (new, [0.905, 0.915, 0.9])):
            single = with_repeats(doc({}, {}), f"m.b{i}", values)
            document["metrics"].update(single["metrics"])
            document["repeats"]["metrics"].update(single["repeats"]["metrics"])
    many = compare_documents(old, new)
    assert {row["verdict"] for row in many["metrics"]} == {"within noise"}


def test_when_many_metrics_move_together_each_is_still_seen():
    old, new = with_repeats(doc({}, {}), "m.a0", [0.90, 0.91, 0.92]), \
        with_repeats(doc({}, {}), "m.a0", [0.93, 0.94, 0.95])
    for i in range(1, 20):
        for document, values in ((old, [0.90, 0.91, 0.92]), (new, [0.93, 0.94, 0.95])):
            single = with_repeats(doc({}, {}), f"m.a{i}", values)
            document["metrics"].update(single["metrics"])
            document["repeats"]["metrics"].update(single["repeats"]["metrics"])
    assert compare_documents(old, new)["significant"] == 20


def test_a_deterministic_metric_has_no_noise():
    old = with_repeats(doc({"m.svc.first": 0.5}, {}), "m.x.acc", [0.9, 0.91], ["m.svc.first"])
    new = with_repeats(doc({"m.svc.first": 0.6}, {}), "m.x.acc", [0.9, 0.91], ["m.svc.first"])
    [row] = compare_documents(old, new)["metrics"]
    assert (row["metric"], row["verdict"]) == ("m.svc.first", "significant")


def test_list_metrics_are_tested_element_by_element():
    old, new = doc({}, {}), doc({}, {})
    for document, folds in ((old, [[0.90, 0.80], [0.91, 0.81], [0.89, 0.79]]),
                            (new, [[0.90, 0.70], [0.91, 0.71], [0.89, 0.69]])):
        document["metrics"]["m.cv"] = folds[0]
        document["repeats"] = {"count": 3, "metrics": {"m.cv": {
            "values": folds, "mean": [0.9, 0.8], "std": [0.01, 0.01]}}}
    [row] = compare_documents(old, new)["metrics"]
    assert row["verdict"] == "significant"


def test_gaining_repeats_of_the_same_measurement_is_no_change():
    values = [0.90, 0.93, 0.88, 0.92, 0.91]
    without = doc({"m.x.accuracy": 0.90}, {})
    three = with_repeats(doc({}, {}), "m.x.accuracy", values[:3])
    five = with_repeats(doc({}, {}), "m.x.accuracy", values)
    for old, new in ((without, three), (three, five), (five, three)):
        changes = compare_documents(old, new)
        assert changes["metrics"] == [] and changes["unchanged_metrics"] == 1


def test_the_same_chapter_value_with_other_repeats_is_a_change():
    old = with_repeats(doc({}, {}), "m.x.accuracy", [0.90, 0.93, 0.88])
    new = with_repeats(doc({}, {}), "m.x.accuracy", [0.90, 0.95, 0.97])
    [row] = compare_documents(old, new)["metrics"]
    assert row["delta"] == 0 and row["method"] == WELCH


def test_two_different_measurements_are_said_to_be_incomparable():
    old, new = doc({"m": 1.0}, {"x": 1.0}), doc({"m": 1.0}, {"x": 1.0})
    assert compare_documents(old, new)["incomparable"] is None
    new["profile"] = {"name": "quick-200", "train_size": 200}
    assert "are different measurements" in compare_documents(old, new)["incomparable"]
    assert "are different measurements" in compare_documents(
        doc({"m": 1.0}, {"x": 1.0}), doc({"m": 1.0}, {"x": 1.0}, checksum="other")
    )["incomparable"]


def test_a_renamed_metric_is_compared_under_its_new_name():
    from reportgen.record import RENAMED_METRICS

    old_name, new_name = next(iter(RENAMED_METRICS.items()))
    old = doc({old_name: 4.0}, {"x": 2.0})
    changes = compare_documents(old, doc({new_name: 4.0}, {"x": 2.0}))
    assert changes["metrics"] == [] and changes["unchanged_metrics"] == 1
    assert changes["added_metrics"] == [] == changes["removed_metrics"]
    moved = compare_documents(old, doc({new_name: 5.0}, {"x": 2.0}))["metrics"]
    assert [row["metric"] for row in moved] == [new_name]


def seeded(document, name, values):
    """`document` with repeats of `name` made by the chapter's seed rule."""
    document = with_repeats(document, name, values)
    document["repeats"]["seeds"] = "repeat r reseeds with SeedSequence(s, spawn_key=(r,))"
    return document


def test_a_small_shift_in_every_repeat_of_the_same_seeds_is_seen_by_the_paired_test():
    """Repeat r of both versions used the same seeds: a shift of a tenth of the seeds' spread,
    (nearly) the same in every repeat, is significant by the paired test; Welch's test, which
    ignores the pairs, calls it noise."""
    before = [0.900, 0.930, 0.880, 0.920, 0.910]
    after = [b + 0.002 + jitter for b, jitter in zip(before, [1e-4, -1e-4, 2e-4, 0, -2e-4],
                                                      strict=True)]
    old, new = seeded(doc({}, {}), "m.x.accuracy", before), seeded(doc({}, {}),
                                                                     "m.x.accuracy", after)
    changes = compare_documents(old, new)
    [row] = changes["metrics"]
    assert changes["paired"] and row["method"] == PAIRED and row["null"] == SEED_NOISE
    assert row["verdict"] == "significant" and row["p_value"] < 0.001
    [unpaired] = compare_documents(old, new, paired=False)["metrics"]
    assert unpaired["method"] == WELCH and unpaired["verdict"] == "within noise"
    assert unpaired["p_value"] > 0.5


def test_repeats_of_other_seed_rules_are_not_paired():
    old = seeded(doc({}, {}), "m.x.accuracy", [0.90, 0.93, 0.88])
    new = with_repeats(doc({}, {}), "m.x.accuracy", [0.91, 0.94, 0.89])
    new["repeats"]["seeds"] = "another rule"
    changes = compare_documents(old, new)
    assert not changes["paired"] and changes["metrics"][0]["method"] == WELCH


def test_the_repeats_both_versions_have_are_paired_when_one_has_more():
    old = seeded(doc({}, {}), "m.x.accuracy", [0.90, 0.93, 0.88])
    new = seeded(doc({}, {}), "m.x.accuracy", [0.91, 0.94, 0.89, 0.95, 0.87])
    [row] = compare_documents(old, new)["metrics"]
    assert row["method"] == PAIRED and row["verdict"] == "significant"  # +0.01 in 3 of 3


def test_every_verdict_names_its_null():
    old = with_repeats(doc({"m.y.count": 3}, {}), "m.x.accuracy", [0.90, 0.93, 0.88],
                       deterministic=["m.z.accuracy"])
    new = with_repeats(doc({"m.y.count": 4}, {}), "m.x.accuracy", [0.91, 0.89, 0.93],
                       deterministic=["m.z.accuracy"])
    old["metrics"]["m.z.accuracy"], new["metrics"]["m.z.accuracy"] = 0.5, 0.6
    rows = {row["metric"]: row for row in compare_documents(old, new)["metrics"]}
    assert rows["m.x.accuracy"]["null"] == SEED_NOISE
    assert rows["m.z.accuracy"]["null"] == "no noise"
    assert rows["m.y.count"]["null"] is None and rows["m.y.count"]["verdict"] == "unknown"


def test_the_false_discovery_adjustment_is_benjamini_hochberg():
    """p_(k)·m/k made monotone from the largest down (Benjamini & Hochberg 1995)."""
    assert _benjamini_hochberg([0.01, 0.04, 0.03, 0.5]) == pytest.approx(
        [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])
    assert _benjamini_hochberg([]) == []


def test_a_side_without_spread_is_judged_by_the_permutation_test():
    """Three repeats of a discrete value (a confusion-matrix cell) can agree by chance: 1 in
    three repeats and 0 in three others is no evidence (2/20 is the smallest p of 3 against
    3); six against six is."""
    for count, verdict in ((3, "within noise"), (6, "significant")):
        old = with_repeats(doc({}, {}), "m.x.cell", [1.0] * count)
        new = with_repeats(doc({}, {}), "m.x.cell", [0.0] * count)
        [row] = compare_documents(old, new)["metrics"]
        assert row["verdict"] == verdict, (count, row)
    [row] = compare_documents(with_repeats(doc({}, {}), "m.x.cell", [1.0, 1.0, 1.0]),
                              with_repeats(doc({}, {}), "m.x.cell", [0.0, 1.0, 0.0]))["metrics"]
    assert row["p_value"] == pytest.approx(0.4)  # 8 of the 20 splits are as extreme


def test_one_value_against_repeats_without_spread_is_a_rank_not_a_certainty():
    old = doc({"m.x.cell": 0.0}, {})
    new = with_repeats(doc({}, {}), "m.x.cell", [1.0, 1.0, 1.0])
    [row] = compare_documents(old, new)["metrics"]
    assert row["verdict"] == "within noise" and row["p_value"] == 0.5


def test_the_diff_gate_fails_changes_it_cannot_judge():
    """Neither side has repeats: the changes' verdicts are "unknown", and a gate that cannot
    decide does not pass; identical versions pass (every metric compared, to the bit)."""
    from reportgen.compare import diff_gate

    old, new = doc({"a": 0.9904, "b": 3}, {}), doc({"a": 0.5004, "b": 3}, {})
    gate = diff_gate(compare_documents(old, new), "v1", "v2")
    assert not gate.passed and "cannot gate v1 against v2: 1 changed metric(s)" in gate.problem
    assert diff_gate(compare_documents(old, old), "v1", "v2").passed
    assert not diff_gate(compare_documents(doc({}, {}), doc({}, {})), "v1", "v2").passed


def _with_code(texts: dict, digests: dict) -> dict:
    return {"metrics": {"m.x": 1.0}, "code": {
        "digests": digests, "reads": {task: sorted(texts) for task in digests},
        "texts": texts}}


def test_the_code_that_changed_is_named_with_the_experiments_that_read_it():
    old = record_of(_with_code({"pkg.N_TREES": "N_TREES = 300", "pkg.fit": "sha256:aa"},
                               {"m.forest": "d1", "m.linear": "d2"}))
    new = record_of(_with_code({"pkg.N_TREES": "N_TREES = 20", "pkg.fit": "sha256:aa"},
                               {"m.forest": "d3", "m.linear": "d2"}))
    changes = code_changes(old, new)
    assert changes["experiments"] == ["m.forest"]
    assert changes["digests"] == {"m.forest": ["d1", "d3"]}  # its code digests, shortened
    assert changes["names"] == [{"name": "pkg.N_TREES", "old": "N_TREES = 300",
                                 "new": "N_TREES = 20", "experiments": ["m.forest"]}]
    assert changes["unexplained"] == []
    assert code_changes(record_of({"metrics": {}}), new) is None  # an older version: unknown


def test_a_digest_no_recorded_name_explains_is_said_to_be_reportgens_own_code():
    old = record_of(_with_code({"pkg.N": "N = 1"}, {"m.a": "d1"}))
    new = record_of(_with_code({"pkg.N": "N = 1"}, {"m.a": "d2"}))
    assert code_changes(old, new)["unexplained"] == ["m.a"]
