"""What the engine's design buys, measured as ratios within one benchmark run.

Each pair times reportgen's way and the plain way in the same run, on the same machine state;
the `baseline` recorded in extra_info lets `reportgen benchmarks` and the report state the
ratio (a shared, noisy machine makes times from different runs hard to compare, ratios less so).
"""

import numpy as np
from sklearn.model_selection import cross_val_predict, cross_val_score

from reportgen.engine.cache import ResultCache
from reportgen.engine.cv import fit_folds
from reportgen.engine.profiles import resolve_profile
from reportgen.sections.shared import sgd_classifier as sgd
from tests.benchmarks.conftest import ROUNDS, SUBSETS
from tests.chapter import CHAPTER, run_builtin


def test_folds_three_separate_calls(benchmark, mnist_train):
    """The chapter: cross_val_score, cross_val_predict, cross_val_predict(decision_function)."""
    X, y = mnist_train
    n = SUBSETS["folds"]
    X, y5 = X[:n], y[:n] == 5

    def chapter():
        accuracy = cross_val_score(sgd(), X, y5, cv=3, scoring="accuracy")
        return accuracy, cross_val_predict(sgd(), X, y5, cv=3), cross_val_predict(
            sgd(), X, y5, cv=3, method="decision_function")

    accuracy, _, scores = benchmark.pedantic(chapter, rounds=ROUNDS)
    assert len(accuracy) == 3 and scores.shape == (n,)


def test_folds_fit_once(benchmark, mnist_train):
    """reportgen: one fit per fold gives all three (tests/engine/test_cv.py proves them equal)."""
    X, y = mnist_train
    n = SUBSETS["folds"]
    benchmark.extra_info["baseline"] = "test_folds_three_separate_calls"
    folds = benchmark.pedantic(
        lambda: fit_folds(sgd(), X[:n], y[:n] == 5, cv=3, decision_function=True),
        rounds=ROUNDS)
    assert folds.decision_scores.shape == (n,)


def _engine_run(dataset, train_size: int, jobs: int, cache: ResultCache):
    """The chapter's own sections (as in earlier saved runs; the test set goes beyond it)."""
    return run_builtin(dataset, resolve_profile("quick", dataset, train_size=train_size),
                           jobs=jobs, cache=cache,
                           sections=[s for s in CHAPTER.sections if s.from_chapter])


def test_run_one_job(benchmark, mnist, tmp_path_factory):
    """Every experiment of the chapter on a small MNIST prefix, one at a time, nothing cached."""
    n = SUBSETS["engine_run"]
    run = benchmark.pedantic(
        _engine_run, setup=lambda: ((mnist, n, 1, ResultCache(tmp_path_factory.mktemp("r"))), {}),
        rounds=1)
    assert not any(r.cached for r in run.runs.values())


def test_run_two_jobs(benchmark, mnist, tmp_path_factory):
    """The same on two workers: bounded by the longest experiment (multiclass SGD here)."""
    n = SUBSETS["engine_run"]
    benchmark.extra_info["baseline"] = "test_run_one_job"
    run = benchmark.pedantic(
        _engine_run, setup=lambda: ((mnist, n, 2, ResultCache(tmp_path_factory.mktemp("r"))), {}),
        rounds=1)
    assert not any(r.cached for r in run.runs.values())


def test_run_computed_digits(benchmark, digits, tmp_path_factory):
    """A whole run on the bundled digits with an empty result cache."""
    run = benchmark.pedantic(
        _engine_run,
        setup=lambda: ((digits, None, 1, ResultCache(tmp_path_factory.mktemp("r"))), {}),
        rounds=ROUNDS)
    assert run.computed


def test_run_cached_digits(benchmark, digits, tmp_path_factory):
    """The same run again with nothing changed: every result comes from the cache."""
    cache = ResultCache(tmp_path_factory.mktemp("r"))
    _engine_run(digits, None, 1, cache)
    benchmark.extra_info["baseline"] = "test_run_computed_digits"
    run = benchmark.pedantic(_engine_run, args=(digits, None, 1, cache), rounds=ROUNDS)
    assert not run.computed
    assert np.isfinite(run["binary.sgd"].roc_auc)
