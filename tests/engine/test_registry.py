"""The cache key's view of an experiment's code: exactly what its result depends on."""

import pytest

from reportgen.engine.registry import all_experiments, in_dependency_order, with_dependencies
from reportgen.sections import binary, multioutput


def digests() -> dict[str, str]:
    return {name: e.code_digest() for name, e in all_experiments().items()}


def changed_after(monkeypatch, module, name, value) -> set[str]:
    before = digests()
    monkeypatch.setattr(module, name, value)
    after = digests()
    return {name for name in before if before[name] != after[name]}


def test_a_constant_reruns_exactly_the_experiments_that_read_it(monkeypatch):
    assert changed_after(monkeypatch, binary, "TARGET_PRECISION", 0.95) == {"binary.sgd"}


def test_a_shared_constant_reruns_every_reader(monkeypatch):
    assert changed_after(monkeypatch, binary, "POSITIVE_DIGIT", 3) == {
        "binary.sgd", "binary.manual_kfold", "binary.never5", "binary.forest", "test.forest",
        "test.scores"}


def test_a_constant_read_through_a_helper_counts(monkeypatch):
    """denoise calls noise_high, which reads CHAPTER_NOISE_HIGH."""
    assert changed_after(monkeypatch, multioutput, "CHAPTER_NOISE_HIGH", 50) == {
        "multioutput.knn"}


def test_a_changed_helper_function_reruns_its_callers(monkeypatch):
    another_function_of_ours = multioutput.rmse
    assert changed_after(monkeypatch, binary, "sgd_classifier", another_function_of_ours) == {
        "binary.sgd", "binary.manual_kfold"}


@pytest.mark.parametrize("name", sorted(all_experiments()))
def test_the_digest_is_stable(name):
    experiment = all_experiments()[name]
    assert experiment.code_digest() == experiment.code_digest()


def test_every_experiment_comes_after_what_it_depends_on():
    ordered = [e.name for e in in_dependency_order(sorted(all_experiments()))]
    for position, name in enumerate(ordered):
        assert set(all_experiments()[name].depends_on) <= set(ordered[:position])


def test_dependencies_are_followed_across_sections():
    assert with_dependencies(["errors.analysis"]) == ["errors.analysis",
                                                      "multiclass.sgd_scaled"]
