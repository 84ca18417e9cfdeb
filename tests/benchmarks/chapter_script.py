"""The chapter's own code as a plain script: its calls in its order, serial, library defaults.

This is the baseline `test_chapter_side_by_side.py` times reportgen against: every fit,
cross-validation and prediction the chapter's notebook makes (its plots and prints left out, as
they cost nothing next to the fits), on the first `n_train` training images. Nothing is cached,
shared or run in parallel; scikit-learn and numpy use their default threads.
"""

from __future__ import annotations

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
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


class Never5Classifier(BaseEstimator):
    def fit(self, X, y=None):
        return self

    def predict(self, X):
        return np.zeros((len(X), 1), dtype=bool)


def run_chapter(X: np.ndarray, y: np.ndarray, n_train: int) -> dict:
    """Run the chapter on the first n_train training images; return a few of its numbers."""
    np.random.seed(42)
    X = X.astype(np.float64)
    some_digit = X[0]
    X_train, X_test, y_train = X[:n_train], X[60000:], y[:n_train]
    y_train_5 = y_train == 5

    sgd_clf = SGDClassifier(max_iter=1000, tol=1e-3, random_state=42)
    sgd_clf.fit(X_train, y_train_5)
    sgd_clf.predict([some_digit])
    cross_val_score(sgd_clf, X_train, y_train_5, cv=3, scoring="accuracy")
    skfolds = StratifiedKFold(n_splits=3, shuffle=True, random_state=42)
    for train_index, test_index in skfolds.split(X_train, y_train_5):
        clone_clf = clone(sgd_clf)
        clone_clf.fit(X_train[train_index], y_train_5[train_index])
        clone_clf.predict(X_train[test_index])
    cross_val_score(sgd_clf, X_train, y_train_5, cv=3, scoring="accuracy")
    cross_val_score(Never5Classifier(), X_train, y_train_5, cv=3, scoring="accuracy")
    y_train_pred = cross_val_predict(sgd_clf, X_train, y_train_5, cv=3)
    confusion_matrix(y_train_5, y_train_pred)
    precision_score(y_train_5, y_train_pred), recall_score(y_train_5, y_train_pred)
    f1_score(y_train_5, y_train_pred)
    sgd_clf.decision_function([some_digit])
    y_scores = cross_val_predict(sgd_clf, X_train, y_train_5, cv=3, method="decision_function")
    precisions, recalls, thresholds = precision_recall_curve(y_train_5, y_scores)
    recall_90_precision = recalls[np.argmax(precisions >= 0.90)]
    fpr, tpr, _ = roc_curve(y_train_5, y_scores)
    fpr_90 = fpr[np.argmax(tpr >= recall_90_precision)]
    roc_auc_score(y_train_5, y_scores)

    forest_clf = RandomForestClassifier(n_estimators=100, random_state=42)
    y_probas_forest = cross_val_predict(forest_clf, X_train, y_train_5, cv=3,
                                        method="predict_proba")
    fpr_forest, tpr_forest, _ = roc_curve(y_train_5, y_probas_forest[:, 1])
    tpr_forest[np.argmax(fpr_forest >= fpr_90)]
    forest_auc = roc_auc_score(y_train_5, y_probas_forest[:, 1])

    svm_clf = SVC()
    svm_clf.fit(X_train, y_train)
    svm_clf.predict([some_digit])
    svm_clf.decision_function([some_digit])
    ovr_clf = OneVsRestClassifier(SVC(gamma="auto", random_state=42))
    ovr_clf.fit(X_train[:1000], y_train[:1000])
    ovr_clf.predict([some_digit])
    sgd_clf.fit(X_train, y_train)
    sgd_clf.predict([some_digit])
    sgd_clf.decision_function([some_digit])
    cross_val_score(sgd_clf, X_train, y_train, cv=3, scoring="accuracy")
    X_train_scaled = StandardScaler().fit_transform(X_train.astype(np.float64))
    scaled = cross_val_score(sgd_clf, X_train_scaled, y_train, cv=3, scoring="accuracy")
    y_train_pred = cross_val_predict(sgd_clf, X_train_scaled, y_train, cv=3)
    confusion_matrix(y_train, y_train_pred)

    y_multilabel = np.c_[y_train >= 7, y_train % 2 == 1]
    knn_clf = KNeighborsClassifier()
    knn_clf.fit(X_train, y_multilabel)
    knn_clf.predict([some_digit])
    y_train_knn_pred = cross_val_predict(knn_clf, X_train, y_multilabel, cv=3)
    f1 = f1_score(y_multilabel, y_train_knn_pred, average="macro")

    noise = np.random.randint(0, 100, (len(X_train), 784))
    X_train_mod = X_train + noise
    noise = np.random.randint(0, 100, (len(X_test), 784))
    X_test_mod = X_test + noise
    knn_clf.fit(X_train_mod, X_train)
    knn_clf.predict([X_test_mod[0]])
    return {"forest_auc": forest_auc, "scaled_accuracy": list(scaled), "f1": f1}
