"""Three classifiers, cross-validated on the training shapes and scored once on the test shapes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import accuracy_score

from reportgen.engine.cv import FoldResult, join_folds
from reportgen.engine.profiles import Inputs
from reportgen.figures import subplots
from reportgen.sections import FigureSpec, Metric, Section, field_of, mean_of
from reportgen.sections.prose import estimator_call
from shapes_chapter import helpers

MODELS = {"linear": ("Scaled logistic regression", helpers.linear),
          "knn": (f"{helpers.NEIGHBOURS}-nearest neighbours", helpers.neighbours),
          "forest": (f"Random forest of {helpers.N_TREES} trees", helpers.forest)}


@dataclass
class ModelScores:
    cv_accuracy: list[float]  # per fold
    test_accuracy: float  # fitted on all training shapes, scored on the test shapes


def accuracy_figure(*results: ModelScores):
    """Fold accuracies (dots) and test accuracy (bar) of each model."""
    fig, ax = subplots(figsize=(7, 3.2))
    for x, result in enumerate(results):
        ax.bar(x, result.test_accuracy, color="C0", alpha=0.35, width=0.6)
        ax.scatter([x] * len(result.cv_accuracy), result.cv_accuracy, color="C3", zorder=3)
    ax.set_xticks(range(len(MODELS)))
    ax.set_xticklabels([label for label, _ in MODELS.values()], fontsize=9)
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.grid(True, axis="y", alpha=0.4)
    fig.tight_layout()
    return fig


def _facts(results, spec) -> dict:
    return {"calls": {key: estimator_call(make()) for key, (_, make) in MODELS.items()},
            "labels": {key: label for key, (label, _) in MODELS.items()},
            "cv_folds": helpers.CV_FOLDS, "chance": 1 / len(spec.class_names),
            "forest_seed": helpers.FOREST_SEED}


SECTION = Section(
    id="models",
    title="Three classifiers",
    order=20,
    template_dir=Path(__file__).parent / "templates",
    metrics=tuple(
        metric for key, (label, _) in MODELS.items() for metric in (
            Metric(f"models.{key}.cv_accuracy", f"models.{key}", field_of("cv_accuracy"),
                   f"{label}: accuracy per fold ({helpers.CV_FOLDS}-fold)"),
            Metric(f"models.{key}.cv_accuracy_mean", f"models.{key}", mean_of("cv_accuracy"),
                   f"{label}: mean cross-validated accuracy",
                   headline=f"{label} accuracy" if key == "forest" else None),
            Metric(f"models.{key}.test_accuracy", f"models.{key}", field_of("test_accuracy"),
                   f"{label}: accuracy on the test shapes"),
        )),
    figures=(FigureSpec("model_accuracy", "Accuracy of each model: its {cv_folds} folds (dots)"
                        " and the test shapes (bar).", tuple(f"models.{k}" for k in MODELS),
                        accuracy_figure),),
    facts=_facts,
    seeds=lambda: {"random forest random_state": helpers.FOREST_SEED},
)


def _scores(make, data: Inputs, folds: tuple[FoldResult, ...]) -> ModelScores:
    fitted = make().fit(data.X_train, data.y_train)
    test_accuracy = accuracy_score(data.y_test, fitted.predict(data.X_test))
    return ModelScores(cv_accuracy=join_folds(folds).fold_accuracy,
                       test_accuracy=float(test_accuracy))


LINEAR_FOLDS = SECTION.cross_validation("models.linear", helpers.linear, helpers.training_data,
                                        helpers.CV_FOLDS)
KNN_FOLDS = SECTION.cross_validation("models.knn", helpers.neighbours, helpers.training_data,
                                     helpers.CV_FOLDS)
FOREST_FOLDS = SECTION.cross_validation("models.forest", helpers.forest, helpers.training_data,
                                        helpers.CV_FOLDS)


@SECTION.experiment("models.linear", depends_on=LINEAR_FOLDS.tasks, cost=0.2)
def linear(data: Inputs, *folds: FoldResult) -> ModelScores:
    return _scores(helpers.linear, data, folds)


@SECTION.experiment("models.knn", depends_on=KNN_FOLDS.tasks, cost=0.1)
def knn(data: Inputs, *folds: FoldResult) -> ModelScores:
    return _scores(helpers.neighbours, data, folds)


@SECTION.experiment("models.forest", depends_on=FOREST_FOLDS.tasks, cost=0.2)
def forest(data: Inputs, *folds: FoldResult) -> ModelScores:
    return _scores(helpers.forest, data, folds)
