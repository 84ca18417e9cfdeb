"""Threads: the fits that may use several give the numbers of one thread, to the bit; the
predictions and everything not proven stay on one."""

import dataclasses

import numpy as np
import pytest
from joblib.parallel import get_active_backend

from reportgen.engine.profiles import make_inputs, resolve_profile
from reportgen.engine.schedulers import execute_task
from reportgen.engine.threads import given_threads, running_with, task_threads
from tests.chapter import CHAPTER


def _same(a, b) -> bool:
    """Two results equal in every field, arrays to the bit."""
    for field in dataclasses.fields(a):
        left, right = getattr(a, field.name), getattr(b, field.name)
        if isinstance(left, np.ndarray) or isinstance(right, np.ndarray):
            if not np.array_equal(left, right):
                return False
        elif left != right:
            return False
    return True


SPLITTING = sorted(name for name, e in CHAPTER.experiments().items() if e.threads > 1)


def test_some_of_the_chapter_s_fits_split_and_knn_does_not():
    assert SPLITTING
    assert not [name for name in SPLITTING if "knn" in name]


@pytest.mark.parametrize("name", SPLITTING)
def test_a_splitting_task_gives_the_numbers_of_one_thread(name, digits):
    """Every experiment that declares threads, run on 1 and on 3 threads, in this process."""
    experiments = CHAPTER.experiments()
    experiment = experiments[name]
    assert not experiment.depends_on  # fits need no results
    inputs = make_inputs(digits, resolve_profile("quick", digits))
    one = execute_task(experiment, inputs, (), in_worker=False, threads=1).result
    three = execute_task(experiment, inputs, (), in_worker=False, threads=3).result
    assert _same(one, three)


def test_fits_take_the_task_s_threads_and_predictions_one():
    with running_with(3):
        assert given_threads() == 3
        with task_threads():
            backend, n_jobs = get_active_backend()
            assert n_jobs == 3 and type(backend).__name__ == "ThreadingBackend"
        _, n_jobs = get_active_backend()
        assert n_jobs in (None, 1)  # outside a fit: joblib's default, one
    assert given_threads() == 1


def test_a_fit_really_runs_on_several_threads():
    """A forest fitted inside task_threads() on 2 threads builds its trees on 2 threads."""
    import threading

    from sklearn.ensemble import RandomForestClassifier, _forest

    seen = set()
    original = _forest._parallel_build_trees

    def recording(*args, **kwargs):
        seen.add(threading.get_ident())
        return original(*args, **kwargs)

    X = np.random.RandomState(0).rand(2000, 20)
    y = X[:, 0] > 0.5
    _forest._parallel_build_trees = recording
    try:
        with running_with(2), task_threads():
            RandomForestClassifier(n_estimators=40, random_state=0).fit(X, y)
    finally:
        _forest._parallel_build_trees = original
    assert len(seen) == 2


@dataclasses.dataclass
class Answer:
    value: int


def _fit(data) -> Answer:
    return Answer(1)


def _predict(data, model) -> Answer:
    return Answer(2)


def test_threads_must_be_a_whole_number_and_predictions_ask_for_none():
    from reportgen.engine.registry import experiment_of

    assert experiment_of("a.fit", _fit, threads=4).threads == 4
    with pytest.raises(ValueError, match="one thread"):
        experiment_of("a.predict", _predict, on_model="a.fit", threads=2)
    with pytest.raises(ValueError, match="at least 1"):
        experiment_of("a.fit", _fit, threads=0)


def test_the_svc_s_kernel_cache_changes_no_number(mnist):
    """The speed setting against the chapter's SVC(), and a cache so small that libsvm computes
    nearly every kernel row again (other releases: tests/test_cli_matrix.py)."""
    from tests.engine.speed_proof import proof

    X, y = mnist.X[:1300].astype(np.float64), mnist.y[:1300]
    checks = proof(X, y, 1000, threads=False)["checks"]
    assert checks and all(checks.values()), checks
