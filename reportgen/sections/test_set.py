"""The test set: the chapter's final models, scored once on the images it never touches.

The chapter judges every model by cross-validation on its 60,000 training images and leaves the
10,000 test images alone. Here each of its final models, fitted on the whole training set as the
chapter builds it, is scored once on the test set, next to its cross-validated estimate: the
generalization gap. Where the chapter already fits a model on the whole training set (the SGD
5-detector, the SVC, the multiclass SGD, the multilabel KNN), that fit's test predictions are
reused; the random forest and the scaled SGD, which the chapter only cross-validates, are fitted
once here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.preprocessing import StandardScaler

from reportgen.engine.profiles import Inputs
from reportgen.figures import subplots
from reportgen.sections.api import FigureSpec, Metric, Section, field_of
from reportgen.sections.binary import (
    CV_FOLDS,
    POSITIVE_DIGIT,
    ForestResult,
    SgdDetectorResult,
    forest_classifier,
    is_positive,
    sgd_classifier,
)
from reportgen.sections.multiclass import MulticlassSgdResult, ScaledSgdResult, SvcResult
from reportgen.sections.multilabel import MultilabelResult, multilabel_targets
from reportgen.sections.prose import class_label, estimator_call


@dataclass
class ForestTestResult:
    test_scores: np.ndarray  # the forest's probability of the positive class, per test image


@dataclass
class ScaledSgdTestResult:
    test_predictions: np.ndarray


@dataclass
class TestSetResult:
    n_train: int
    n_test: int
    sgd_precision: float
    sgd_recall: float
    sgd_roc_auc: float
    forest_roc_auc: float
    svc_accuracy: float
    sgd_multiclass_accuracy: float
    sgd_scaled_accuracy: float
    knn_multilabel_f1_macro: float
    # One row per model: {"metric", "label", "test", "cross_validated", "cv_metric", "gap"};
    # cross_validated is None where the chapter does not cross-validate the model (the SVC).
    rows: list[dict]


def gap_figure(result: TestSetResult):
    """Cross-validated estimate (hollow) and test-set value (filled), one line per model."""
    rows = result.rows
    fig, ax = subplots(figsize=(8, 0.45 * len(rows) + 1.4))
    ys = np.arange(len(rows))[::-1]
    for y, row in zip(ys, rows, strict=True):
        if row["cross_validated"] is not None:
            ax.plot([row["cross_validated"], row["test"]], [y, y], color="0.6", linewidth=2,
                    zorder=1)
            ax.scatter([row["cross_validated"]], [y], s=60, facecolors="white",
                       edgecolors="C0", linewidths=2, zorder=2)
        ax.scatter([row["test"]], [y], s=60, color="C3", zorder=3)
    ax.scatter([], [], s=60, facecolors="white", edgecolors="C0", linewidths=2,
               label="cross-validated on the training set")
    ax.scatter([], [], s=60, color="C3", label="test set")
    ax.set_yticks(ys)
    ax.set_yticklabels([row["label"] for row in rows], fontsize=10)
    ax.set_xlabel("score", fontsize=12)
    ax.grid(True, axis="x", alpha=0.4)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=9, frameon=False)
    fig.tight_layout()
    return fig


def _facts(results, spec) -> dict:
    result = results["test.scores"]
    compared = [row for row in result.rows if row["gap"] is not None]
    return {
        "largest_gap": max(compared, key=lambda row: abs(row["gap"])),
        "cv_folds": CV_FOLDS,
        "positive": class_label(spec, POSITIVE_DIGIT),
        "n_train": result.n_train,
        "n_test": result.n_test,
        "rows": result.rows,
        "forest_call": estimator_call(forest_classifier(), "n_estimators"),
        "sgd_call": estimator_call(sgd_classifier(), "max_iter", "tol"),
    }


def _metric(name: str, description: str, headline: str | None = None) -> Metric:
    field = name.removeprefix("test.").replace(".", "_")
    return Metric(name, "test.scores", field_of(field), description, headline=headline)


SECTION = Section(
    id="test",
    title="The test set",
    order=70,
    from_chapter=False,
    metrics=(
        _metric("test.sgd.precision", "Precision of the SGD {positive}-detector's predict()"
                " on the test set"),
        _metric("test.sgd.recall", "Recall of the SGD {positive}-detector's predict() on the"
                " test set"),
        _metric("test.sgd.roc_auc", "ROC AUC of the SGD detector's decision scores on the test"
                " set"),
        _metric("test.forest.roc_auc", "ROC AUC of the random forest's positive-class"
                " probability on the test set"),
        _metric("test.svc.accuracy", "Accuracy of the SVC on the test set"),
        _metric("test.sgd_multiclass.accuracy", "Accuracy of the multiclass SGD (raw pixels) on"
                " the test set"),
        _metric("test.sgd_scaled.accuracy", "Accuracy of the scaled multiclass SGD on the test"
                " set (scaler fitted on the training images)"),
        _metric("test.knn_multilabel.f1_macro", "Macro F1 of the multilabel KNN's [large, odd]"
                " labels on the test set"),
    ),
    figures=(
        FigureSpec("generalization_gap",
                   "Each final model's cross-validated estimate on the {n_train:,} training images"
                   " (hollow) and its score on the {n_test:,} test images (filled).",
                   ("test.scores",), gap_figure),
    ),
    facts=_facts,
)


@SECTION.experiment("test.forest", cost=4)
def forest_on_test(data: Inputs) -> ForestTestResult:
    """The chapter only cross-validates the forest: fit it once on all training images."""
    forest = forest_classifier().fit(data.X_train, is_positive(data.y_train))
    return ForestTestResult(test_scores=forest.predict_proba(data.X_test)[:, 1])


@SECTION.experiment("test.sgd_scaled", cost=60)
def scaled_sgd_on_test(data: Inputs) -> ScaledSgdTestResult:
    """The scaler is fitted on the training images only, then the chapter's SGD on them."""
    scaler = StandardScaler().fit(data.X_train)
    sgd = sgd_classifier().fit(scaler.transform(data.X_train), data.y_train)
    return ScaledSgdTestResult(test_predictions=sgd.predict(scaler.transform(data.X_test)))


@SECTION.experiment("test.scores", depends_on=(
    "binary.sgd", "binary.forest", "test.forest", "multiclass.svc", "multiclass.sgd",
    "multiclass.sgd_scaled", "test.sgd_scaled", "multilabel.knn"), cost=0.01)
def scores(data: Inputs, sgd: SgdDetectorResult, forest_cv: ForestResult,
           forest: ForestTestResult, svc: SvcResult, multiclass: MulticlassSgdResult,
           scaled_cv: ScaledSgdResult, scaled: ScaledSgdTestResult,
           multilabel: MultilabelResult) -> TestSetResult:
    """Score each final model once on the test set; pair it with its cross-validated value."""
    y_test, y_test_5 = data.y_test, is_positive(data.y_test)
    values = {
        "test.sgd.precision": float(precision_score(y_test_5, sgd.test_predictions)),
        "test.sgd.recall": float(recall_score(y_test_5, sgd.test_predictions)),
        "test.sgd.roc_auc": float(roc_auc_score(y_test_5, sgd.test_decision_scores)),
        "test.forest.roc_auc": float(roc_auc_score(y_test_5, forest.test_scores)),
        "test.svc.accuracy": float(accuracy_score(y_test, svc.test_predictions)),
        "test.sgd_multiclass.accuracy": float(accuracy_score(y_test, multiclass.test_predictions)),
        "test.sgd_scaled.accuracy": float(accuracy_score(y_test, scaled.test_predictions)),
        "test.knn_multilabel.f1_macro": float(f1_score(
            multilabel_targets(y_test), multilabel.test_predictions, average="macro")),
    }
    detector = f"SGD {POSITIVE_DIGIT}-detector"
    estimates = (  # (test metric, label, the cross-validated estimate's metric and value)
        ("test.sgd.precision", f"{detector} precision", "binary.sgd.precision", sgd.precision),
        ("test.sgd.recall", f"{detector} recall", "binary.sgd.recall", sgd.recall),
        ("test.sgd.roc_auc", f"{detector} ROC AUC", "binary.sgd.roc_auc", sgd.roc_auc),
        ("test.forest.roc_auc", "Random forest ROC AUC", "binary.forest.roc_auc",
         forest_cv.roc_auc),
        ("test.svc.accuracy", "SVC accuracy", None, None),
        ("test.sgd_multiclass.accuracy", "Multiclass SGD accuracy",
         "multiclass.sgd.cv_accuracy_mean", float(np.mean(multiclass.cv_accuracy))),
        ("test.sgd_scaled.accuracy", "Scaled multiclass SGD accuracy",
         "multiclass.sgd_scaled.cv_accuracy_mean", float(np.mean(scaled_cv.cv_accuracy))),
        ("test.knn_multilabel.f1_macro", "Multilabel KNN macro F1", "multilabel.knn.f1_macro",
         multilabel.f1_macro),
    )
    rows = [{"metric": name, "label": label, "test": values[name], "cross_validated": cv,
             "cv_metric": cv_metric, "gap": None if cv is None else values[name] - cv}
            for name, label, cv_metric, cv in estimates]
    return TestSetResult(
        n_train=len(data.y_train), n_test=len(y_test),
        **{name.removeprefix("test.").replace(".", "_"): value for name, value in values.items()},
        rows=rows,
    )
