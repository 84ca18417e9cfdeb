"""Training a binary classifier and measuring it: the 5-detector, its cross-validation, the
never-5 baseline, precision/recall, the 90 %-precision threshold, ROC curves and the forest."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import (
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_val_score

from reportgen.engine.cv import fit_folds
from reportgen.engine.profiles import Inputs
from reportgen.engine.registry import experiment

POSITIVE_DIGIT = 5
THRESHOLD_DEMO = (0, 8000)  # the chapter's two hand-picked thresholds
TARGET_PRECISION = 0.90


def sgd_classifier() -> SGDClassifier:
    return SGDClassifier(max_iter=1000, tol=1e-3, random_state=42)


@dataclass
class SgdDetectorResult:
    predict_first_digit: bool
    decision_first_digit: float
    threshold_demo: list[dict]  # [{"threshold": 0, "prediction": True}, ...]
    cv_accuracy: list[float]  # accuracy per fold, cv=3
    confusion_matrix: list[list[int]]
    perfect_confusion_matrix: list[list[int]]
    precision: float
    recall: float
    f1: float
    threshold_90_precision: float
    precision_at_threshold_90: float
    recall_at_threshold_90: float
    fpr_at_threshold_90: float
    roc_auc: float
    pr_precisions: np.ndarray
    pr_recalls: np.ndarray
    pr_thresholds: np.ndarray
    roc_fpr: np.ndarray
    roc_tpr: np.ndarray


@experiment("binary.sgd", cost=8.4)
def sgd_detector(data: Inputs) -> SgdDetectorResult:
    """The chapter's 5-detector: fit, cross-validate, pick the 90 %-precision threshold, ROC."""
    y_train_5 = data.y_train == POSITIVE_DIGIT
    sgd = sgd_classifier().fit(data.X_train, y_train_5)
    score = float(sgd.decision_function([data.some_digit])[0])

    folds = fit_folds(sgd_classifier(), data.X_train, y_train_5, cv=3, decision_function=True)
    y_pred, y_scores = folds.predictions, folds.decision_scores

    precisions, recalls, thresholds = precision_recall_curve(y_train_5, y_scores)
    first_90 = np.argmax(precisions >= TARGET_PRECISION)
    threshold_90 = thresholds[first_90]
    recall_90_precision = recalls[first_90]
    y_pred_90 = y_scores >= threshold_90
    fpr, tpr, _ = roc_curve(y_train_5, y_scores)
    fpr_90 = fpr[np.argmax(tpr >= recall_90_precision)]

    return SgdDetectorResult(
        predict_first_digit=bool(sgd.predict([data.some_digit])[0]),
        decision_first_digit=score,
        threshold_demo=[{"threshold": t, "prediction": bool(score > t)} for t in THRESHOLD_DEMO],
        cv_accuracy=folds.fold_accuracy,
        confusion_matrix=confusion_matrix(y_train_5, y_pred).tolist(),
        perfect_confusion_matrix=confusion_matrix(y_train_5, y_train_5).tolist(),
        precision=float(precision_score(y_train_5, y_pred)),
        recall=float(recall_score(y_train_5, y_pred)),
        f1=float(f1_score(y_train_5, y_pred)),
        threshold_90_precision=float(threshold_90),
        precision_at_threshold_90=float(precision_score(y_train_5, y_pred_90)),
        recall_at_threshold_90=float(recall_score(y_train_5, y_pred_90)),
        fpr_at_threshold_90=float(fpr_90),
        roc_auc=float(roc_auc_score(y_train_5, y_scores)),
        pr_precisions=precisions,
        pr_recalls=recalls,
        pr_thresholds=thresholds,
        roc_fpr=fpr,
        roc_tpr=tpr,
    )


@dataclass
class ManualKFoldResult:
    fold_accuracy: list[float]
    accuracy: float  # mean over the folds


@experiment("binary.manual_kfold", cost=9.5)
def manual_kfold(data: Inputs) -> ManualKFoldResult:
    """The chapter's hand-written StratifiedKFold loop (shuffled, random_state=42) with clone."""
    y_train_5 = data.y_train == POSITIVE_DIGIT
    skfolds = StratifiedKFold(n_splits=3, shuffle=True, random_state=42)
    accuracies = []
    for train_index, test_index in skfolds.split(data.X_train, y_train_5):
        clone_clf = clone(sgd_classifier())
        clone_clf.fit(data.X_train[train_index], y_train_5[train_index])
        y_pred = clone_clf.predict(data.X_train[test_index])
        accuracies.append(float(np.sum(y_pred == y_train_5[test_index]) / len(y_pred)))
    return ManualKFoldResult(fold_accuracy=accuracies, accuracy=float(np.mean(accuracies)))


class Never5Classifier(BaseEstimator):
    """The chapter's dumb baseline: says "not 5" to everything."""

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return np.zeros((len(X), 1), dtype=bool)


@dataclass
class Never5Result:
    cv_accuracy: list[float]
    share_not_5: float  # the fraction of non-5s: what any accuracy should be compared with


@experiment("binary.never5", cost=0.3)
def never5(data: Inputs) -> Never5Result:
    y_train_5 = data.y_train == POSITIVE_DIGIT
    scores = cross_val_score(Never5Classifier(), data.X_train, y_train_5, cv=3, scoring="accuracy")
    return Never5Result(
        cv_accuracy=[float(s) for s in scores], share_not_5=float(1 - np.mean(y_train_5))
    )


@dataclass
class ForestResult:
    roc_auc: float
    roc_fpr: np.ndarray
    roc_tpr: np.ndarray
    precision: float  # of its predict(): probability of a 5 above 0.5
    recall: float


@experiment("binary.forest", cost=8.6)
def forest(data: Inputs) -> ForestResult:
    """RandomForest probabilities by cross_val_predict; the positive class's one is the score."""
    y_train_5 = data.y_train == POSITIVE_DIGIT
    forest_clf = RandomForestClassifier(n_estimators=100, random_state=42)
    y_probas = cross_val_predict(forest_clf, data.X_train, y_train_5, cv=3, method="predict_proba")
    y_scores = y_probas[:, 1]
    fpr, tpr, _ = roc_curve(y_train_5, y_scores)
    y_pred = y_scores > 0.5  # what forest.predict gives: argmax, ties to "not 5"
    return ForestResult(
        roc_auc=float(roc_auc_score(y_train_5, y_scores)),
        roc_fpr=fpr,
        roc_tpr=tpr,
        precision=float(precision_score(y_train_5, y_pred)),
        recall=float(recall_score(y_train_5, y_pred)),
    )


@dataclass
class RocComparisonResult:
    fpr_at_threshold_90: float  # the SGD's false-positive rate at 90 % precision
    sgd_recall: float  # its recall there
    forest_recall: float  # the forest's recall at the same false-positive rate


@experiment("binary.roc_comparison", depends_on=("binary.sgd", "binary.forest"), cost=0.01)
def roc_comparison(
    data: Inputs, sgd: SgdDetectorResult, forest: ForestResult
) -> RocComparisonResult:
    """The chapter's `recall_for_forest`: the forest's recall at the SGD's 90 %-precision FPR."""
    fpr_90 = sgd.fpr_at_threshold_90
    return RocComparisonResult(
        fpr_at_threshold_90=fpr_90,
        sgd_recall=sgd.recall_at_threshold_90,
        forest_recall=float(forest.roc_tpr[np.argmax(forest.roc_fpr >= fpr_90)]),
    )
