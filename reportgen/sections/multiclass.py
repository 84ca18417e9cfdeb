"""Multiclass classification: SVC (one-vs-one), forced one-vs-rest, and SGD with and without
scaling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from reportgen.engine.cv import FoldResult, join_folds
from reportgen.engine.profiles import Inputs
from reportgen.engine.registry import Fitted
from reportgen.engine.threads import fit
from reportgen.sections.api import Metric, Section, SpeedSetting, field_of, mean_of
from reportgen.sections.prose import estimator_call
from reportgen.sections.shared import CV_FOLDS, DIGITS, sgd_classifier

OVR_TRAIN_SIZE = 1000  # the chapter fits the one-vs-rest SVC on the first 1,000 images


# libsvm keeps kernel rows in a cache and computes again those it dropped: its size decides
# only how often, never a value. Measured on full MNIST (one thread, 2026-12-02): 355 s at the
# default 200 MB, 308 s at 700 MB, identical dual_coef_, support_ and intercept_; the process
# peaked at 970 MB, so more would buy nothing and 700 keeps the task well within 2 GiB.
SVC_KERNEL_CACHE = SpeedSetting(
    SVC, "cache_size", 700,
    "MB of libsvm's kernel cache: it decides which kernel rows are computed again, never their"
    " values")


def svc_classifier() -> SVC:
    """The chapter's call."""
    return SVC()


def ovr_classifier() -> OneVsRestClassifier:
    # random_state only seeds SVC's probability estimates, which the chapter never asks for:
    # the fit is deterministic, so repeats reuse it (no `reseeded` here on purpose)
    return OneVsRestClassifier(SVC(gamma="auto", random_state=42))


@dataclass
class SvcResult:
    predict_first_digit: int
    decision_first_digit: list[float]  # one score per class (ovr-shaped from one-vs-one votes)
    argmax_decision: int
    classes: list[int]


@dataclass
class OvrResult:
    predict_first_digit: int
    n_estimators: int
    train_size: int


@dataclass
class MulticlassSgdResult:
    predict_first_digit: int
    decision_first_digit: list[float]
    cv_accuracy: list[float]


@dataclass
class MulticlassSgdFit:
    """The chapter's SGD fitted on all training images, and what it is asked (the model is
    kept for the experiments that run on it)."""

    predict_first_digit: int
    decision_first_digit: list[float]


@dataclass
class ScaledSgdResult:
    cv_accuracy: list[float]
    predictions: np.ndarray  # cross_val_predict on the scaled images: the error analysis's input


def _facts(results, spec) -> dict:
    n_classes = len(results["multiclass.svc"].classes)
    return {
        "svc_call": estimator_call(svc_classifier()),
        "ovr_call": estimator_call(ovr_classifier()),
        "sgd_call": estimator_call(sgd_classifier(), "max_iter", "tol"),
        "n_pairs": n_classes * (n_classes - 1) // 2,
        "ovr_train_size": results["multiclass.ovr"].train_size,
        "cv_folds": CV_FOLDS,
    }


def _seeds() -> dict[str, int]:
    return {"OneVsRest SVC random_state": ovr_classifier().estimator.random_state}


SECTION = Section(
    id="multiclass",
    title="Multiclass classification",
    order=30,
    metrics=(
        Metric("multiclass.svc.predict_first_digit", "multiclass.svc",
               field_of("predict_first_digit"), "SVC (one-vs-one) prediction for the first digit",
               5),
        Metric("multiclass.svc.decision_first_digit", "multiclass.svc",
               field_of("decision_first_digit"), "SVC's 10 decision scores for the first digit",
               [1.72501977, 2.72809088, 7.2510018, 8.3076379, -0.31087254, 9.3132482, 1.70975103,
                2.76765202, 6.23049537, 4.84771048]),
        Metric("multiclass.svc.argmax_decision", "multiclass.svc", field_of("argmax_decision"),
               "Class with the highest SVC score", 5),
        Metric("multiclass.svc.classes", "multiclass.svc", field_of("classes"),
               "SVC's classes_", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
        Metric("multiclass.ovr.predict_first_digit", "multiclass.ovr",
               field_of("predict_first_digit"),
               "One-vs-rest SVC (first {ovr_train_size} images) prediction for the first digit"),
        Metric("multiclass.ovr.n_estimators", "multiclass.ovr", field_of("n_estimators"),
               "Number of binary SVCs inside the one-vs-rest classifier", 10),
        Metric("multiclass.sgd.predict_first_digit", "multiclass.sgd",
               field_of("predict_first_digit"), "Multiclass SGD prediction for the first digit",
               3),
        Metric("multiclass.sgd.decision_first_digit", "multiclass.sgd",
               field_of("decision_first_digit"), "Multiclass SGD's 10 scores for the first digit",
               [-31893.03095419, -34419.69069632, -9530.63950739, 1823.73154031,
                -22320.14822878, -1385.80478895, -26188.91070951, -16147.51323997,
                -4604.35491274, -12050.767298]),
        Metric("multiclass.sgd.cv_accuracy", "multiclass.sgd", field_of("cv_accuracy"),
               "Multiclass SGD accuracy per fold, raw pixels", [0.87365, 0.85835, 0.8689],
               fold_scores="multiclass.sgd.cv_accuracy"),
        Metric("multiclass.sgd.cv_accuracy_mean", "multiclass.sgd", mean_of("cv_accuracy"),
               "Mean of those folds", fold_scores="multiclass.sgd.cv_accuracy"),
        Metric("multiclass.sgd_scaled.cv_accuracy", "multiclass.sgd_scaled",
               field_of("cv_accuracy"), "Multiclass SGD accuracy per fold after StandardScaler",
               [0.8983, 0.891, 0.9018], fold_scores="multiclass.sgd_scaled.cv_accuracy"),
        Metric("multiclass.sgd_scaled.cv_accuracy_mean", "multiclass.sgd_scaled",
               mean_of("cv_accuracy"), "Mean of those folds",
               headline="Scaled multiclass SGD accuracy",
               fold_scores="multiclass.sgd_scaled.cv_accuracy"),
    ),
    facts=_facts,
    seeds=_seeds,
    speed_settings=(SVC_KERNEL_CACHE,),
)


@SECTION.experiment("multiclass.svc", cost=21)
def svc(data: Inputs) -> Fitted[SvcResult]:
    """SVC on all training images (one-vs-one inside); its scores for the first digit."""
    svm_clf = SVC_KERNEL_CACHE.applied(svc_classifier()).fit(data.X_train, data.y_train)
    scores = svm_clf.decision_function([data.some_digit])[0]
    return Fitted(SvcResult(
        predict_first_digit=int(svm_clf.predict([data.some_digit])[0]),
        decision_first_digit=[float(s) for s in scores],
        argmax_decision=int(np.argmax(scores)),
        classes=[int(c) for c in svm_clf.classes_],
    ), svm_clf)


@SECTION.experiment("multiclass.ovr", cost=0.5)
def ovr(data: Inputs) -> OvrResult:
    """One-vs-rest forced around an SVC, on the chapter's first 1,000 images."""
    n = min(OVR_TRAIN_SIZE, len(data.y_train))
    ovr_clf = ovr_classifier().fit(data.X_train[:n], data.y_train[:n])
    return OvrResult(
        predict_first_digit=int(ovr_clf.predict([data.some_digit])[0]),
        n_estimators=len(ovr_clf.estimators_),
        train_size=n,
    )


def training_data(data: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """The chapter's X_train, y_train: all ten digits."""
    return data.X_train, data.y_train


def scaled_training_data(data: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """The chapter's X_train_scaled: StandardScaler fitted on all training images."""
    return StandardScaler().fit_transform(data.X_train.astype(np.float64, copy=False)), \
        data.y_train


SGD_FOLDS = SECTION.cross_validation("multiclass.sgd", sgd_classifier, training_data, CV_FOLDS,
                                     cost=22, threads=DIGITS)
SCALED_SGD_FOLDS = SECTION.cross_validation("multiclass.sgd_scaled", sgd_classifier,
                                            scaled_training_data, CV_FOLDS, cost=47,
                                            threads=DIGITS)


@SECTION.experiment("multiclass.sgd.fit", cost=22, threads=DIGITS)
def sgd_fit(data: Inputs) -> Fitted[MulticlassSgdFit]:
    """SGD on the raw pixels (one-vs-rest inside), one fit on all training images."""
    sgd_clf = fit(sgd_classifier(), *training_data(data))
    return Fitted(MulticlassSgdFit(
        predict_first_digit=int(sgd_clf.predict([data.some_digit])[0]),
        decision_first_digit=[float(s) for s in sgd_clf.decision_function([data.some_digit])[0]],
    ), sgd_clf)


@SECTION.experiment("multiclass.sgd", depends_on=("multiclass.sgd.fit", *SGD_FOLDS.tasks),
                    cost=0.01)
def sgd(data: Inputs, fit: MulticlassSgdFit, *fold_results: FoldResult) -> MulticlassSgdResult:
    """The multiclass SGD's fit on all images and the cv=3 accuracy of its fold tasks."""
    return MulticlassSgdResult(
        predict_first_digit=fit.predict_first_digit,
        decision_first_digit=fit.decision_first_digit,
        cv_accuracy=join_folds(fold_results).fold_accuracy,
    )


@SECTION.experiment("multiclass.sgd_scaled", depends_on=SCALED_SGD_FOLDS.tasks, cost=0.01)
def sgd_scaled(data: Inputs, *fold_results: FoldResult) -> ScaledSgdResult:
    """The same SGD after StandardScaler; its folds also give the error analysis's predictions."""
    folds = join_folds(fold_results)
    return ScaledSgdResult(cv_accuracy=folds.fold_accuracy, predictions=folds.predictions)
