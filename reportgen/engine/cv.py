"""Cross-validation that fits each fold once and derives everything the chapter asks of it.

The chapter calls cross_val_score, cross_val_predict and cross_val_predict(method=
"decision_function") on the same estimator and folds: three times the same fits. Here each fold
is fitted once; accuracy, predictions and scores come from that one fit (tests prove the numbers
equal sklearn's separate calls).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv


@dataclass
class FoldOutputs:
    fold_accuracy: list[float]  # cross_val_score(..., scoring="accuracy")
    predictions: np.ndarray  # cross_val_predict(...)
    decision_scores: np.ndarray | None  # cross_val_predict(..., method="decision_function")


def fit_folds(estimator, X, y, cv: int = 3, decision_function: bool = False) -> FoldOutputs:
    """One fit per fold of sklearn's default folds for `cv` (StratifiedKFold for classifiers)."""
    splitter = check_cv(cv, y, classifier=is_classifier(estimator))
    predictions = np.empty(len(y), dtype=y.dtype)
    scores = None
    accuracies = []
    for train_index, test_index in splitter.split(X, y):
        fitted = clone(estimator).fit(X[train_index], y[train_index])
        fold_pred = fitted.predict(X[test_index])
        predictions[test_index] = fold_pred
        accuracies.append(float(np.mean(fold_pred == y[test_index])))
        if decision_function:
            fold_scores = fitted.decision_function(X[test_index])
            if scores is None:
                scores = np.empty((len(y),) + fold_scores.shape[1:], dtype=np.float64)
            scores[test_index] = fold_scores
    return FoldOutputs(accuracies, predictions, scores)
