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
