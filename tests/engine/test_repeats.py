"""Repeats: repeat 0 is the chapter's run to the bit; the others reseed every source of
randomness, are cached on their own, and skip what has no randomness."""

import numpy as np
import pytest

from reportgen.engine.cache import ResultCache
from reportgen.engine.profiles import resolve_profile
from reportgen.engine.registry import in_dependency_order
from reportgen.engine.repeats import (
    in_repeat,
    repeat_seed,
    reseeded,
    split_name,
    task_name,
    varying,
    with_repeats,
)
from reportgen.metrics import build_record, metric_values
from tests.chapter import CHAPTER, run_builtin


def test_repeat_zero_keeps_the_chapters_seed_and_others_follow_the_documented_sequence():
    assert repeat_seed(0, 42) == 42
    expected = int(np.random.SeedSequence(42, spawn_key=(3,)).generate_state(1)[0])
    assert repeat_seed(3, 42) == expected
    assert len({repeat_seed(r, 42) for r in range(1, 20)}) == 19
    assert reseeded(42) == 42
    with in_repeat(3):
        assert reseeded(42) == expected
    assert reseeded(42) == 42


def test_task_names_carry_the_repeat():
    assert task_name("binary.forest.fold0", 0) == "binary.forest.fold0"
    assert split_name(task_name("binary.forest.fold0", 2)) == ("binary.forest.fold0", 2)
    assert split_name("binary.forest") == ("binary.forest", 0)


def test_deterministic_experiments_are_shared_by_every_repeat():
    chapter = in_dependency_order(list(CHAPTER.experiments()), CHAPTER.experiments())
    changing = varying(chapter)
    assert "multiclass.svc" not in changing  # SVC: no seed, no split
    assert {"binary.forest.fold0", "binary.forest", "multioutput.knn", "binary.never5",
            "binary.sgd.fit", "test.scores"} <= changing
    tasks = {t.name: t for t in with_repeats(chapter, 3)}
    assert "multiclass.svc@r1" not in tasks
    assert tasks["test.scores@r2"].repeat == 2
    assert "test.svc.predictions" in tasks["test.scores@r2"].depends_on  # a deterministic fit
    assert tasks["test.svc.predictions"].depends_on == ("multiclass.svc",)
    assert "binary.forest@r2" in tasks["test.scores@r2"].depends_on
    assert len(tasks) == len(chapter) + 2 * len(changing)


@pytest.fixture(scope="module")
def runs(digits, tmp_path_factory):
    """Digits without repeats, with 2, then with 3 (one cache for all three)."""
    cache = ResultCache(tmp_path_factory.mktemp("results"))
    profile = resolve_profile("quick", digits)
    return [run_builtin(digits, profile, jobs=1, cache=cache, repeats=n) for n in (1, 2, 3)]


def test_the_chapters_values_are_unchanged_by_repeats(runs):
    single, _, three = runs
    assert metric_values(three) == metric_values(single)
    assert all(three.runs[name].cached for name in single.runs)


def test_more_repeats_compute_only_the_new_ones(runs):
    _, two, three = runs
    assert {split_name(name)[1] for name in two.computed} == {1}
    assert {split_name(name)[1] for name in three.computed} == {2}


def test_repeats_draw_other_seeds_and_splits(runs):
    three = runs[2]
    auc = [r.roc_auc for r in three.repeat_results("binary.forest")]
    rmse = [r.rmse_cleaned for r in three.repeat_results("test.denoise")]
    assert len(set(auc)) == 3 and len(set(rmse)) == 3
    assert len(three.repeat_results("multiclass.svc")) == 1


def test_metrics_json_holds_each_repeated_metrics_values_and_interval(runs):
    document = build_record(runs[2]).to_json()
    repeats = document["repeats"]
    assert repeats["count"] == 3 and "multiclass.svc" in repeats["deterministic"]
    assert "multiclass.svc.predict_first_digit" in repeats["deterministic_metrics"]
    auc = repeats["metrics"]["binary.forest.roc_auc"]
    assert auc["values"][0] == document["metrics"]["binary.forest.roc_auc"]
    assert len(auc["values"]) == 3
    assert auc["mean"] == pytest.approx(np.mean(auc["values"]))
    assert auc["std"] == pytest.approx(np.std(auc["values"], ddof=1))
    assert auc["ci_low"] < auc["mean"] < auc["ci_high"]
    folds = repeats["metrics"]["binary.sgd.cv_accuracy"]
    assert len(folds["mean"]) == 3  # a list metric: element by element
    first = repeats["metrics"]["multiclass.sgd.predict_first_digit"]
    assert set(first) == {"values"}  # a predicted class is not averaged
    assert "multiclass.svc.predict_first_digit" not in repeats["metrics"]
    assert "repeats" not in build_record(runs[0]).to_json()


def test_repeats_on_two_processes_equal_one(runs, digits, tmp_path):
    parallel = run_builtin(digits, resolve_profile("quick", digits), jobs=2,
                               cache=ResultCache(tmp_path), repeats=3)
    assert build_record(parallel).to_json()["repeats"]["metrics"] == \
        build_record(runs[2]).to_json()["repeats"]["metrics"]
