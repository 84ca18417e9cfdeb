"""Multilabel classification: KNN tells whether a digit is large (>= 7) and whether it is odd."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import f1_score
from sklearn.neighbors import KNeighborsClassifier

from reportgen.engine.cv import FoldResult, join_folds
from reportgen.engine.profiles import Inputs
from reportgen.engine.registry import Fitted
from reportgen.sections.api import Metric, Section, field_of
from reportgen.sections.prose import estimator_call
from reportgen.sections.shared import CV_FOLDS, LARGE_FROM, multilabel_targets


def knn_classifier() -> KNeighborsClassifier:
    return KNeighborsClassifier()


@dataclass
class MultilabelResult:
    predict_first_digit: list[bool]  # [large, odd]
    f1_macro: float
    f1_per_label: list[float]  # [large, odd]


def _facts(results, spec) -> dict:
    return {
        "knn_call": estimator_call(knn_classifier()),
        "large_from": LARGE_FROM,
        "large_labels": list(range(LARGE_FROM, 10)),
        "cv_folds": CV_FOLDS,
    }


SECTION = Section(
    id="multilabel",
    title="Multilabel classification",
    order=50,
    metrics=(
        Metric("multilabel.knn.predict_first_digit", "multilabel.knn",
               field_of("predict_first_digit"), "KNN's [large, odd] labels for the first digit",
               [False, True]),
        Metric("multilabel.knn.f1_macro", "multilabel.knn", field_of("f1_macro"),
               "Macro-averaged F1 of the cross-validated multilabel predictions",
               0.9764102655606048, headline="Multilabel KNN macro F1"),
    ),
    facts=_facts,
)


def multilabel_training_data(data: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """The chapter's X_train and y_multilabel."""
    return data.X_train, multilabel_targets(data.y_train)


KNN_FOLDS = SECTION.cross_validation("multilabel.knn", knn_classifier, multilabel_training_data,
                                     CV_FOLDS, cost=3)


@dataclass
class MultilabelFit:
    """The chapter's KNN fitted on all training images, and what it is asked (the model is
    kept for the experiments that run on it)."""

    predict_first_digit: list[bool]


@SECTION.experiment("multilabel.knn.fit", cost=5)
def knn_fit(data: Inputs) -> Fitted[MultilabelFit]:
    """`knn_clf.fit(X_train, y_multilabel)`, asked about the first digit."""
    knn_clf = knn_classifier().fit(*multilabel_training_data(data))
    return Fitted(MultilabelFit(
        predict_first_digit=[bool(v) for v in knn_clf.predict([data.some_digit])[0]],
    ), knn_clf)


@SECTION.experiment("multilabel.knn", depends_on=("multilabel.knn.fit", *KNN_FOLDS.tasks),
                    cost=0.01)
def knn(data: Inputs, fit: MultilabelFit, *fold_results: FoldResult) -> MultilabelResult:
    """KNN on two labels at once, scored by macro F1 over cross-validated predictions (the
    chapter's cross_val_predict, one task per fold)."""
    y_multilabel = multilabel_targets(data.y_train)
    y_train_knn_pred = join_folds(fold_results).predictions
    return MultilabelResult(
        predict_first_digit=fit.predict_first_digit,
        f1_macro=float(f1_score(y_multilabel, y_train_knn_pred, average="macro")),
        f1_per_label=[float(v) for v in f1_score(y_multilabel, y_train_knn_pred, average=None)],
    )
