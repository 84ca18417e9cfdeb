"""Fitting each fold once gives exactly what the chapter's three separate calls give."""

import numpy as np
import pytest
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import cross_val_predict, cross_val_score

from reportgen.engine.cv import fit_folds


def sgd():
    return SGDClassifier(max_iter=1000, tol=1e-3, random_state=42)


@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_one_fit_per_fold_equals_the_separate_calls(digits, target):
    X = digits.X[:900].astype(np.float64)
    y = digits.y[:900] == 5 if target == "binary" else digits.y[:900]
    folds = fit_folds(sgd(), X, y, cv=3, decision_function=True)
    assert folds.fold_accuracy == list(cross_val_score(sgd(), X, y, cv=3, scoring="accuracy"))
    assert np.array_equal(folds.predictions, cross_val_predict(sgd(), X, y, cv=3))
    assert np.array_equal(
        folds.decision_scores, cross_val_predict(sgd(), X, y, cv=3, method="decision_function")
    )


def test_fits_each_fold_exactly_once(digits, monkeypatch):
    fits = []
    original = SGDClassifier.fit

    def counting_fit(self, X, y, *args, **kwargs):
        fits.append(len(y))
        return original(self, X, y, *args, **kwargs)

    monkeypatch.setattr(SGDClassifier, "fit", counting_fit)
    fit_folds(sgd(), digits.X[:300].astype(float), digits.y[:300], cv=3, decision_function=True)
    assert len(fits) == 3


def test_fold_tasks_with_a_shuffled_splitter_and_probabilities_equal_cross_val_predict(digits):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedKFold

    from reportgen.engine.cv import CrossValidation, fit_fold, join_folds

    X, y = digits.X[:600].astype(np.float64), digits.y[:600] == 5

    def forest():
        return RandomForestClassifier(n_estimators=10, random_state=42)

    def shuffled():
        return StratifiedKFold(n_splits=3, shuffle=True, random_state=42)

    cv = CrossValidation("toy.forest", forest, lambda data: (X, y), shuffled,
                         methods=("predict", "predict_proba"))
    assert cv.tasks == ("toy.forest.fold0", "toy.forest.fold1", "toy.forest.fold2")
    folds = [fit_fold(None, cv, i) for i in reversed(range(3))][::-1]  # any order of running
    joined = join_folds(folds)
    assert np.array_equal(joined.probabilities, cross_val_predict(
        forest(), X, y, cv=shuffled(), method="predict_proba"))
    assert joined.fold_accuracy == list(cross_val_score(forest(), X, y, cv=shuffled()))
    assert "random_state=42" in cv.settings(0) and cv.settings(0) != cv.settings(1)


def test_unknown_methods_are_refused():
    from reportgen.engine.cv import CrossValidation

    with pytest.raises(ValueError, match="methods must be among"):
        CrossValidation("x", sgd, lambda data: None, 3, methods=("transform",))
