"""Multilabel classification: KNN tells whether a digit is large (>= 7) and whether it is odd."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import cross_val_predict
from sklearn.neighbors import KNeighborsClassifier

from reportgen.engine.profiles import Inputs
from reportgen.engine.registry import experiment


@dataclass
class MultilabelResult:
    predict_first_digit: list[bool]  # [large, odd]
    f1_macro: float
    f1_per_label: list[float]  # [large, odd]


@experiment("multilabel.knn", cost=14)
def knn(data: Inputs) -> MultilabelResult:
    y_train_large = data.y_train >= 7
    y_train_odd = data.y_train % 2 == 1
    y_multilabel = np.c_[y_train_large, y_train_odd]
    knn_clf = KNeighborsClassifier().fit(data.X_train, y_multilabel)
    y_train_knn_pred = cross_val_predict(knn_clf, data.X_train, y_multilabel, cv=3)
    return MultilabelResult(
        predict_first_digit=[bool(v) for v in knn_clf.predict([data.some_digit])[0]],
        f1_macro=float(f1_score(y_multilabel, y_train_knn_pred, average="macro")),
        f1_per_label=[float(v) for v in f1_score(y_multilabel, y_train_knn_pred, average=None)],
    )
