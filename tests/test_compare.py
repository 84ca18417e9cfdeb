"""What `reportgen diff` and the report's "changes" section compute."""

from reportgen.compare import compare_documents


def doc(metrics, seconds, thresholds=(), checksum="abc"):
    return {
        "dataset": {"checksum": checksum},
        "metrics": metrics,
        "thresholds": [{"id": i, "passed": p} for i, p in thresholds],
        "timings": {
            "wall_seconds": sum(seconds.values()),
            "experiments": {n: {"seconds": s, "cached": False} for n, s in seconds.items()},
        },
    }


def test_changed_metrics_with_numeric_deltas():
    old = doc({"a": 0.5, "b": [1, 2], "c": 3}, {"x": 2.0})
    new = doc({"a": 0.75, "b": [1, 3], "c": 3}, {"x": 3.0})
    changes = compare_documents(old, new)
    assert changes["metrics"] == [
        {"metric": "a", "old": 0.5, "new": 0.75, "delta": 0.25},
        {"metric": "b", "old": [1, 2], "new": [1, 3], "delta": None},
    ]
    assert changes["unchanged_metrics"] == 1
    assert changes["timings"][0]["ratio"] == 1.5
    assert not changes["dataset_changed"]


def test_threshold_status_changes_and_dataset_change():
    old = doc({}, {}, thresholds=[("t1", True), ("t2", True)])
    new = doc({}, {}, thresholds=[("t1", False), ("t2", True), ("t3", True)], checksum="def")
    changes = compare_documents(old, new)
    assert changes["thresholds"] == [{"id": "t1", "old": True, "new": False},
                                     {"id": "t3", "old": None, "new": True}]
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
