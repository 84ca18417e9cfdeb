"""The cache key's view of an experiment's code: exactly what its result depends on."""

import json
import os
import subprocess
import sys

import pytest

from reportgen.engine import registry
from reportgen.engine.registry import in_dependency_order, with_dependencies
from reportgen.sections import binary, multiclass, multioutput, shared, test_set
from tests.chapter import CHAPTER


def digests() -> dict[str, str]:
    return {name: e.code_digest() for name, e in CHAPTER.experiments().items()}


def changed_after(monkeypatch, module, name, value) -> set[str]:
    before = digests()
    monkeypatch.setattr(module, name, value)
    after = digests()
    return {name for name in before if before[name] != after[name]}


def test_a_constant_reruns_exactly_the_experiments_that_read_it(monkeypatch):
    assert changed_after(monkeypatch, binary, "TARGET_PRECISION", 0.95) == {"binary.sgd"}


def test_a_shared_constant_reruns_every_reader(monkeypatch):
    """The 5-detector's target is read by its fits, by every fold task, and where results are
    scored; the hand-written loop's join only averages its folds' accuracies."""
    folds = {*binary.SGD_FOLDS.tasks, *binary.MANUAL_FOLDS.tasks, *binary.FOREST_FOLDS.tasks}
    assert changed_after(monkeypatch, shared, "POSITIVE_DIGIT", 3) == folds | {
        "binary.sgd.fit", "binary.sgd", "binary.never5", "binary.forest", "test.forest",
        "test.scores"}


def test_a_constant_read_through_a_helper_counts(monkeypatch):
    """denoise calls noise_high, which reads CHAPTER_NOISE_HIGH."""
    assert changed_after(monkeypatch, multioutput, "CHAPTER_NOISE_HIGH", 50) == {
        "multioutput.knn"}


def test_a_changed_helper_function_reruns_its_callers(monkeypatch):
    another_function_of_ours = multioutput.rmse
    assert changed_after(monkeypatch, binary, "detector_training_data",
                         another_function_of_ours) == {"binary.sgd.fit"}


def test_a_method_of_declared_data_is_followed(monkeypatch):
    """The test section declares its comparisons as dataclasses whose `run` method does the
    work (`comparison.run(...)`): what that method calls is part of the key. (It was not: a
    changed paired test kept its cached result.)"""
    assert changed_after(monkeypatch, test_set, "mcnemar", multioutput.rmse) == {"test.scores"}


def test_an_edited_estimator_reruns_every_task_that_fits_it(monkeypatch):
    """A fold task's key follows the estimator, the training data and the folds it was
    declared with: edit the chapter's SGD and its folds rerun, the forest's do not."""
    before = digests()
    original = registry._source

    def edited(code):
        return original(code) + ("  # edited" if code is shared.sgd_classifier else "")

    monkeypatch.setattr(registry, "_source", edited)
    after = digests()
    changed = {name for name in before if before[name] != after[name]}
    assert {*binary.SGD_FOLDS.tasks, *binary.MANUAL_FOLDS.tasks, *multiclass.SGD_FOLDS.tasks,
            *multiclass.SCALED_SGD_FOLDS.tasks, "binary.sgd.fit", "multiclass.sgd.fit"} <= changed
    assert not changed & {*binary.FOREST_FOLDS.tasks, "test.forest", "multioutput.knn"}


DIGESTS_OF_A_FRESH_PROCESS = """
import json
from reportgen.chapter import built_in
print(json.dumps({name: e.code_digest() for name, e in built_in().experiments().items()}))
"""


@pytest.fixture(scope="module")
def digests_elsewhere() -> list[dict[str, str]]:
    """Every digest as two fresh interpreters compute it, each with other string hashing (a
    PYTHONHASHSEED of its own): as a later run, or a worker process, keys the cache."""
    found = []
    for seed in ("0", "4242"):
        done = subprocess.run([sys.executable, "-c", DIGESTS_OF_A_FRESH_PROCESS],
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
        found.append(json.loads(done.stdout))
    return found


@pytest.mark.parametrize("name", sorted(CHAPTER.experiments()))
def test_the_digest_is_stable(name, digests_elsewhere):
    """The same code has the same digest in every process, whatever its hash seed or where its
    objects live in memory: else a result cached by one run is never found by the next."""
    here = CHAPTER.experiments()[name].code_digest()
    assert [digests[name] for digests in digests_elsewhere] == [here, here]


def test_every_experiment_comes_after_what_it_depends_on():
    experiments = CHAPTER.experiments()
    ordered = [e.name for e in in_dependency_order(sorted(experiments), experiments)]
    for position, name in enumerate(ordered):
        assert set(CHAPTER.experiments()[name].depends_on) <= set(ordered[:position])


def test_dependencies_are_followed_across_sections():
    assert with_dependencies(["errors.analysis"], CHAPTER.experiments()) == sorted(
        ["errors.analysis", "multiclass.sgd_scaled", *multiclass.SCALED_SGD_FOLDS.tasks])
