"""Two models on the table: a scaled logistic regression and a random forest, each
cross-validated with five folds on the training rows, then fitted on all of them and scored once
on the test rows (accuracy, ROC AUC, confusion matrix).

Each fold is its own task (`SECTION.cross_validation`), so the folds run in parallel and a
change to one model reruns only its tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score, roc_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from reportgen.engine.cv import FoldResult, join_folds
from reportgen.engine.profiles import Inputs
from reportgen.engine.repeats import reseeded
from reportgen.figures import subplots
from reportgen.sections import FigureSpec, Metric, Section, field_of, mean_of
from reportgen.sections.prose import estimator_call
from tumours.data import BREAST_CANCER  # noqa: F401 (the chapter's dataset)

CV_FOLDS = 5
FOREST_SEED = 42
N_TREES = 200
POSITIVE = 0  # the bundle's class 0 is "malignant": what a screening test must find


def linear():
    """The features' mean magnitudes range from 0.0038 to 881, five orders of magnitude:
    scaled first."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def forest():
    return RandomForestClassifier(n_estimators=N_TREES, random_state=reseeded(FOREST_SEED))


MODELS = {"linear": ("Scaled logistic regression", linear),
          "forest": (f"Random forest of {N_TREES} trees", forest)}


@dataclass
class ModelScores:
    cv_accuracy: list[float]  # per fold
    test_accuracy: float
    test_roc_auc: float  # of the probability of "malignant"
    confusion: list[list[int]]  # test rows: true class by predicted class
    roc_fpr: np.ndarray
    roc_tpr: np.ndarray


def roc_figure(*results: ModelScores):
    """Each model's ROC curve on the test rows, malignant as the positive class."""
    fig, ax = subplots(figsize=(4.5, 3.6))
    for (label, _), result in zip(MODELS.values(), results, strict=True):
        ax.plot(result.roc_fpr, result.roc_tpr, label=f"{label} (AUC {result.test_roc_auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("false positive rate (benign called malignant)")
    ax.set_ylabel("true positive rate (malignant found)")
    ax.legend(loc="lower right")
    ax.grid(True, alpha=0.4)
    fig.tight_layout()
    return fig


def _facts(results, spec) -> dict:
    return {"calls": {key: estimator_call(make()) for key, (_, make) in MODELS.items()},
            "labels": {key: label for key, (label, _) in MODELS.items()},
            "cv_folds": CV_FOLDS, "classes": list(spec.class_names),
            "n_features": spec.n_features, "positive": spec.class_names[POSITIVE]}


SECTION = Section(
    id="models",
    title="Two models",
    order=10,
    template_dir=Path(__file__).parent / "templates",
    metrics=tuple(
        metric for key, (label, _) in MODELS.items() for metric in (
            Metric(f"models.{key}.cv_accuracy", f"models.{key}", field_of("cv_accuracy"),
                   f"{label}: accuracy per fold ({CV_FOLDS}-fold)"),
            Metric(f"models.{key}.cv_accuracy_mean", f"models.{key}", mean_of("cv_accuracy"),
                   f"{label}: mean cross-validated accuracy",
                   headline=f"{label}: accuracy"),
            Metric(f"models.{key}.test_accuracy", f"models.{key}", field_of("test_accuracy"),
                   f"{label}: accuracy on the test rows"),
            Metric(f"models.{key}.test_roc_auc", f"models.{key}", field_of("test_roc_auc"),
                   f"{label}: ROC AUC on the test rows (malignant positive)"),
            Metric(f"models.{key}.confusion", f"models.{key}", field_of("confusion"),
                   f"{label}: confusion matrix on the test rows (true by predicted)"),
        )),
    figures=(FigureSpec("roc", "ROC curves of both models on the test rows.",
                        tuple(f"models.{k}" for k in MODELS), roc_figure, size="narrow"),),
    facts=_facts,
    seeds=lambda: {"random forest random_state": FOREST_SEED},
)


def training_data(data: Inputs) -> tuple:
    return data.X_train, data.y_train


LINEAR_FOLDS = SECTION.cross_validation("models.linear", linear, training_data, CV_FOLDS)
FOREST_FOLDS = SECTION.cross_validation("models.forest", forest, training_data, CV_FOLDS)


def _scores(make, data: Inputs, folds: tuple[FoldResult, ...]) -> ModelScores:
    fitted = make().fit(data.X_train, data.y_train)
    predicted = fitted.predict(data.X_test)
    malignant = fitted.predict_proba(data.X_test)[:, list(fitted.classes_).index(POSITIVE)]
    is_malignant = data.y_test == POSITIVE
    fpr, tpr, _ = roc_curve(is_malignant, malignant)
    return ModelScores(
        cv_accuracy=join_folds(folds).fold_accuracy,
        test_accuracy=float(accuracy_score(data.y_test, predicted)),
        test_roc_auc=float(roc_auc_score(is_malignant, malignant)),
        confusion=confusion_matrix(data.y_test, predicted).tolist(),
        roc_fpr=fpr, roc_tpr=tpr)


@SECTION.experiment("models.linear", depends_on=LINEAR_FOLDS.tasks, cost=0.1)
def linear_scores(data: Inputs, *folds: FoldResult) -> ModelScores:
    return _scores(linear, data, folds)


@SECTION.experiment("models.forest", depends_on=FOREST_FOLDS.tasks, cost=0.3)
def forest_scores(data: Inputs, *folds: FoldResult) -> ModelScores:
    return _scores(forest, data, folds)
