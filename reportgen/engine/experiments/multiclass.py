"""Multiclass classification: SVC (one-vs-one), forced one-vs-rest, and SGD with and without
scaling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from reportgen.engine.cv import fit_folds
from reportgen.engine.experiments.binary import sgd_classifier
from reportgen.engine.profiles import Inputs
from reportgen.engine.registry import experiment

OVR_TRAIN_SIZE = 1000  # the chapter fits the one-vs-rest SVC on the first 1,000 images


@dataclass
class SvcResult:
    predict_first_digit: int
    decision_first_digit: list[float]  # one score per class (ovr-shaped from one-vs-one votes)
    argmax_decision: int
    classes: list[int]


@experiment("multiclass.svc", cost=21)
def svc(data: Inputs) -> SvcResult:
    svm_clf = SVC().fit(data.X_train, data.y_train)
    scores = svm_clf.decision_function([data.some_digit])[0]
    return SvcResult(
        predict_first_digit=int(svm_clf.predict([data.some_digit])[0]),
        decision_first_digit=[float(s) for s in scores],
        argmax_decision=int(np.argmax(scores)),
        classes=[int(c) for c in svm_clf.classes_],
    )


@dataclass
class OvrResult:
    predict_first_digit: int
    n_estimators: int
    train_size: int


@experiment("multiclass.ovr", cost=0.5)
def ovr(data: Inputs) -> OvrResult:
    n = min(OVR_TRAIN_SIZE, len(data.y_train))
    ovr_clf = OneVsRestClassifier(SVC(gamma="auto", random_state=42))
    ovr_clf.fit(data.X_train[:n], data.y_train[:n])
    return OvrResult(
        predict_first_digit=int(ovr_clf.predict([data.some_digit])[0]),
        n_estimators=len(ovr_clf.estimators_),
        train_size=n,
    )


@dataclass
class MulticlassSgdResult:
    predict_first_digit: int
    decision_first_digit: list[float]
    cv_accuracy: list[float]


@experiment("multiclass.sgd", cost=66)
def sgd(data: Inputs) -> MulticlassSgdResult:
    """SGD on the raw pixels: one-vs-rest inside, one fit on all data, then cv=3 accuracy."""
    sgd_clf = sgd_classifier().fit(data.X_train, data.y_train)
    folds = fit_folds(sgd_classifier(), data.X_train, data.y_train, cv=3)
    return MulticlassSgdResult(
        predict_first_digit=int(sgd_clf.predict([data.some_digit])[0]),
        decision_first_digit=[float(s) for s in sgd_clf.decision_function([data.some_digit])[0]],
        cv_accuracy=folds.fold_accuracy,
    )


@dataclass
class ScaledSgdResult:
    cv_accuracy: list[float]
    predictions: np.ndarray  # cross_val_predict on the scaled images: the error analysis's input


@experiment("multiclass.sgd_scaled", cost=141)
def sgd_scaled(data: Inputs) -> ScaledSgdResult:
    """The same SGD after StandardScaler; its folds also give the error analysis's predictions."""
    X_train_scaled = StandardScaler().fit_transform(data.X_train.astype(np.float64))
    folds = fit_folds(sgd_classifier(), X_train_scaled, data.y_train, cv=3)
    return ScaledSgdResult(cv_accuracy=folds.fold_accuracy, predictions=folds.predictions)
