"""Training a binary classifier and measuring it: the 5-detector, its cross-validation, the
never-5 baseline, precision/recall, the 90 %-precision threshold, ROC curves and the forest."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.metrics import (
    PrecisionRecallDisplay,
    RocCurveDisplay,
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import StratifiedKFold, cross_val_score

from reportgen.engine.cv import FoldResult, join_folds, splitter_for
from reportgen.engine.profiles import Inputs
from reportgen.engine.registry import Fitted
from reportgen.engine.repeats import current_repeat, reseeded
from reportgen.errors import ReportgenError
from reportgen.figures import mark_point, plot_display, roc_axes, subplots
from reportgen.sections.api import FigureSpec, Metric, Section, field_of, mean_of
from reportgen.sections.prose import class_label, estimator_call
from reportgen.sections.shared import (
    CV_FOLDS,
    FOREST_TREES,
    POSITIVE_DIGIT,
    forest_classifier,
    is_positive,
    sgd_classifier,
)

THRESHOLD_DEMO = (0, 8000)  # the chapter's two hand-picked thresholds
TARGET_PRECISION = 0.90
MANUAL_FOLDS_SEED = 42  # the hand-written loop's StratifiedKFold(shuffle=True, random_state=42)


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


@dataclass
class DetectorFit:
    """The detector the chapter fits on the whole training set, and what it is asked (the
    model itself is kept for the experiments that run on it: the test set's)."""

    predict_first_digit: bool
    decision_first_digit: float


@dataclass
class ManualKFoldResult:
    fold_accuracy: list[float]
    accuracy: float  # mean over the folds


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


@dataclass
class ForestResult:
    roc_auc: float
    roc_fpr: np.ndarray
    roc_tpr: np.ndarray
    precision: float  # of its predict(): probability of a 5 above 0.5
    recall: float


@dataclass
class RocComparisonResult:
    fpr_at_threshold_90: float  # the SGD's false-positive rate at 90 % precision
    sgd_recall: float  # its recall there
    forest_recall: float  # the forest's recall at the same false-positive rate


# -- figures: drawn from the results above ----------------------------------------------------
def _nice_limit(values: np.ndarray) -> float:
    """A round symmetric axis limit covering most thresholds (the chapter uses ±50,000)."""
    span = float(np.percentile(np.abs(values), 95)) if len(values) else 1.0
    magnitude = 10 ** np.floor(np.log10(max(span, 1e-9)))
    return float(np.ceil(span / magnitude) * magnitude)


def precision_recall_vs_threshold(sgd: SgdDetectorResult):
    t90, r90, p90 = sgd.threshold_90_precision, sgd.recall_at_threshold_90, TARGET_PRECISION
    limit = max(_nice_limit(sgd.pr_thresholds), abs(t90) * 1.2)
    fig, ax = subplots(figsize=(8, 4))
    ax.plot(sgd.pr_thresholds, sgd.pr_precisions[:-1], "b--", label="Precision", linewidth=2)
    ax.plot(sgd.pr_thresholds, sgd.pr_recalls[:-1], "g-", label="Recall", linewidth=2)
    ax.plot([t90, t90], [0.0, p90], "r:")
    ax.plot([-limit, t90], [p90, p90], "r:")
    ax.plot([-limit, t90], [r90, r90], "r:")
    ax.plot([t90], [p90], "ro")
    ax.plot([t90], [r90], "ro")
    ax.legend(loc="center right", fontsize=16)
    ax.set_xlabel("Threshold", fontsize=16)
    ax.grid(True)
    ax.axis([-limit, limit, 0, 1])
    fig.tight_layout()
    return fig


def precision_vs_recall(sgd: SgdDetectorResult):
    r90, p90 = sgd.recall_at_threshold_90, TARGET_PRECISION
    fig, ax = subplots(figsize=(8, 6))
    plot_display(PrecisionRecallDisplay, ax, {"color": "b", "linewidth": 2},
                 precision=sgd.pr_precisions, recall=sgd.pr_recalls)
    ax.plot([r90, r90], [0.0, p90], "r:")
    ax.plot([0.0, r90], [p90, p90], "r:")
    ax.plot([r90], [p90], "ro")
    ax.set_xlabel("Recall", fontsize=16)
    ax.set_ylabel("Precision", fontsize=16)
    ax.axis([0, 1, 0, 1])
    ax.grid(True)
    fig.tight_layout()
    return fig


def sgd_roc_curve(sgd: SgdDetectorResult):
    fig, ax = subplots(figsize=(8, 6))
    plot_display(RocCurveDisplay, ax, {"linewidth": 2}, name="SGD",
                 fpr=sgd.roc_fpr, tpr=sgd.roc_tpr, roc_auc=sgd.roc_auc)
    roc_axes(ax)
    mark_point(ax, sgd.fpr_at_threshold_90, sgd.recall_at_threshold_90)
    ax.legend(loc="lower right", fontsize=14)
    fig.tight_layout()
    return fig


def roc_curve_comparison(
    sgd: SgdDetectorResult, forest: ForestResult, comparison: RocComparisonResult
):
    fig, ax = subplots(figsize=(8, 6))
    plot_display(RocCurveDisplay, ax, {"color": "b", "linestyle": ":", "linewidth": 2},
                 name="SGD", fpr=sgd.roc_fpr, tpr=sgd.roc_tpr, roc_auc=sgd.roc_auc)
    plot_display(RocCurveDisplay, ax, {"linewidth": 2}, name="Random Forest",
                 fpr=forest.roc_fpr, tpr=forest.roc_tpr, roc_auc=forest.roc_auc)
    roc_axes(ax)
    mark_point(ax, comparison.fpr_at_threshold_90, comparison.sgd_recall)
    mark_point(ax, comparison.fpr_at_threshold_90, comparison.forest_recall, horizontal=False)
    ax.legend(loc="lower right", fontsize=14)
    fig.tight_layout()
    return fig


# -- the section ------------------------------------------------------------------------------
def _facts(results, spec) -> dict:
    positive = class_label(spec, POSITIVE_DIGIT)
    sgd = results["binary.sgd"]
    return {
        "positive_digit": POSITIVE_DIGIT,
        "positive": positive,
        "negative": f"not {positive}",
        "cv_folds": CV_FOLDS,
        "target_precision": TARGET_PRECISION,
        "manual_folds_seed": MANUAL_FOLDS_SEED,
        "sgd_call": estimator_call(sgd_classifier(), "max_iter", "tol"),
        "forest_call": estimator_call(forest_classifier(), "n_estimators"),
        "threshold_demo": sgd.threshold_demo,
        "perfect_confusion_matrix": sgd.perfect_confusion_matrix,
    }


def _seeds() -> dict[str, int]:
    return {
        "SGDClassifier random_state": sgd_classifier().random_state,
        "StratifiedKFold random_state (the hand-written shuffled loop)": MANUAL_FOLDS_SEED,
        "RandomForestClassifier random_state": forest_classifier().random_state,
    }


# The fewest training images this section's experiments can be asked to use. Measured on MNIST
# (2026-12-01, /tmp script running the engine at each size): below it, the SGD 5-detector's
# cross-validated scores can have no threshold reaching 90 % precision, so the chapter's
# threshold search has no answer: with 30, 60, 100 and 150 images some of 10 repeats fail,
# with 200 repeat 70 of 100 and with 250 repeat 39 of 100 do; with 300, 400 and 500 all 100
# repeats of the binary section succeed, and with 300 every section in 10 repeats. Above it, a
# seed without an answer is still possible in principle: it is one line naming the repeat.
MINIMUM_TRAIN_SIZE = 300

SECTION = Section(
    id="binary",
    title="A binary classifier: the {positive}-detector",
    order=20,
    minimum_train_size=MINIMUM_TRAIN_SIZE,
    metrics=(
        Metric("binary.sgd.predict_first_digit", "binary.sgd", field_of("predict_first_digit"),
               "The {positive}-detector's prediction for the first digit", True),
        Metric("binary.sgd.decision_first_digit", "binary.sgd", field_of("decision_first_digit"),
               "Its decision score for the first digit", 2164.22030239),
        Metric("binary.sgd.cv_accuracy", "binary.sgd", field_of("cv_accuracy"),
               "Accuracy of each of the {cv_folds} cross-validation folds",
               [0.95035, 0.96035, 0.9604], fold_scores="binary.sgd.cv_accuracy"),
        Metric("binary.sgd.cv_accuracy_mean", "binary.sgd", mean_of("cv_accuracy"),
               "Mean accuracy over the {cv_folds} folds", fold_scores="binary.sgd.cv_accuracy"),
        Metric("binary.manual_kfold.fold_accuracy", "binary.manual_kfold",
               field_of("fold_accuracy"),
               "Accuracy per fold of the hand-written shuffled StratifiedKFold loop",
               [0.9669, 0.91625, 0.96785], fold_scores="binary.manual_kfold.fold_accuracy"),
        Metric("binary.manual_kfold.accuracy", "binary.manual_kfold", field_of("accuracy"),
               "Mean accuracy of the hand-written loop",
               fold_scores="binary.manual_kfold.fold_accuracy"),
        Metric("binary.never5.cv_accuracy", "binary.never5", field_of("cv_accuracy"),
               "Accuracy per fold of a classifier that never says {positive}",
               [0.91125, 0.90855, 0.90915], fold_scores="binary.never5.cv_accuracy"),
        Metric("binary.never5.share_not_5", "binary.never5", field_of("share_not_5"),
               "Share of training images that are {negative}"),
        Metric("binary.sgd.confusion_matrix", "binary.sgd", field_of("confusion_matrix"),
               "Confusion matrix of cross_val_predict (rows: {negative}, {positive};"
               " columns: predicted)", [[53892, 687], [1891, 3530]]),
        Metric("binary.sgd.precision", "binary.sgd", field_of("precision"),
               "Precision of the cross-validated predictions", 0.8370879772350012),
        Metric("binary.sgd.recall", "binary.sgd", field_of("recall"),
               "Recall of the cross-validated predictions", 0.6511713705958311),
        Metric("binary.sgd.f1", "binary.sgd", field_of("f1"), "F1 score", 0.7325171197343847),
        Metric("binary.sgd.threshold_90_precision", "binary.sgd",
               field_of("threshold_90_precision"),
               "Lowest decision threshold that reaches {target_precision:.0%} precision",
               3370.0194991439557),
        Metric("binary.sgd.precision_at_threshold_90", "binary.sgd",
               field_of("precision_at_threshold_90"), "Precision at that threshold",
               0.9000345901072293),
        Metric("binary.sgd.recall_at_threshold_90", "binary.sgd",
               field_of("recall_at_threshold_90"), "Recall at that threshold",
               0.4799852425751706, headline="SGD recall at 90 % precision"),
        Metric("binary.sgd.fpr_at_threshold_90", "binary.sgd", field_of("fpr_at_threshold_90"),
               "False-positive rate where the ROC curve reaches that recall"),
        Metric("binary.sgd.roc_auc", "binary.sgd", field_of("roc_auc"),
               "Area under the SGD's ROC curve", 0.9604938554008616,
               headline="SGD detector ROC AUC"),
        Metric("binary.forest.roc_auc", "binary.forest", field_of("roc_auc"),
               "Area under the random forest's ROC curve", 0.9983436731328145,
               headline="Random forest ROC AUC"),
        Metric("binary.forest.precision", "binary.forest", field_of("precision"),
               "Precision of the forest's cross-validated predictions"),
        Metric("binary.forest.recall", "binary.forest", field_of("recall"),
               "Recall of the forest's cross-validated predictions"),
        Metric("binary.forest.recall_at_sgd_fpr_90", "binary.roc_comparison",
               field_of("forest_recall"),
               "The forest's recall at the SGD's {target_precision:.0%}-precision"
               " false-positive rate"),
    ),
    figures=(
        FigureSpec("precision_recall_vs_threshold",
                   "Precision and recall of the {positive}-detector against the decision"
                   " threshold; red: the lowest threshold reaching {target_precision:.0%}"
                   " precision.", ("binary.sgd",), precision_recall_vs_threshold, size="wide"),
        FigureSpec("precision_vs_recall",
                   "Precision against recall; red: the {target_precision:.0%}-precision point.",
                   ("binary.sgd",), precision_vs_recall),
        FigureSpec("roc_curve",
                   "ROC curve of the {positive}-detector; the dashed diagonal is a random"
                   " classifier.", ("binary.sgd",), sgd_roc_curve),
        FigureSpec("roc_curve_comparison",
                   "ROC curves of the SGD and the random forest; red: their recall at the SGD's"
                   " {target_precision:.0%}-precision false-positive rate.",
                   ("binary.sgd", "binary.forest", "binary.roc_comparison"),
                   roc_curve_comparison),
    ),
    facts=_facts,
    seeds=_seeds,
)


# -- the experiments: each returns plain data --------------------------------------------------
def detector_training_data(data: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """The chapter's X_train and y_train_5."""
    return data.X_train, is_positive(data.y_train)


def manual_folds() -> StratifiedKFold:
    """The hand-written loop's folds: shuffled, with the chapter's seed."""
    return StratifiedKFold(n_splits=CV_FOLDS, shuffle=True,
                           random_state=reseeded(MANUAL_FOLDS_SEED))


SGD_FOLDS = SECTION.cross_validation(
    "binary.sgd", sgd_classifier, detector_training_data, CV_FOLDS,
    methods=("predict", "decision_function"), cost=2)
MANUAL_FOLDS = SECTION.cross_validation(
    "binary.manual_kfold", sgd_classifier, detector_training_data, manual_folds, cost=3)
FOREST_FOLDS = SECTION.cross_validation(
    "binary.forest", forest_classifier, detector_training_data, CV_FOLDS,
    methods=("predict_proba",), cost=3, threads=FOREST_TREES)


@SECTION.experiment("binary.sgd.fit", cost=3)
def sgd_detector_fit(data: Inputs) -> Fitted[DetectorFit]:
    """The chapter's `sgd_clf.fit(X_train, y_train_5)`, asked about the first digit."""
    sgd = sgd_classifier().fit(*detector_training_data(data))
    return Fitted(DetectorFit(
        predict_first_digit=bool(sgd.predict([data.some_digit])[0]),
        decision_first_digit=float(sgd.decision_function([data.some_digit])[0]),
    ), sgd)


@SECTION.experiment("binary.sgd", depends_on=("binary.sgd.fit", *SGD_FOLDS.tasks), cost=0.05)
def sgd_detector(data: Inputs, fit: DetectorFit, *fold_results: FoldResult) -> SgdDetectorResult:
    """The chapter's 5-detector: its fit, its cross-validation, the 90 %-precision threshold,
    the ROC curve; everything derived from the fit's and the fold tasks' outputs."""
    y_train_5 = is_positive(data.y_train)
    score = fit.decision_first_digit
    folds = join_folds(fold_results)
    y_pred, y_scores = folds.predictions, folds.decision_scores

    precisions, recalls, thresholds = precision_recall_curve(y_train_5, y_scores)
    first_90 = np.argmax(precisions >= TARGET_PRECISION)
    if first_90 == len(thresholds):  # only the curve's closing point, precision 1 by definition
        repeat = current_repeat()
        raise ReportgenError(
            f"on {len(y_train_5)} training images{f' (repeat {repeat})' if repeat else ''} no"
            f" decision threshold of the SGD 5-detector reaches {TARGET_PRECISION:.0%}"
            " precision, so the chapter's threshold search has no answer; use a larger"
            " --train-size")
    threshold_90 = thresholds[first_90]
    recall_90_precision = recalls[first_90]
    y_pred_90 = y_scores >= threshold_90
    fpr, tpr, _ = roc_curve(y_train_5, y_scores)
    fpr_90 = fpr[np.argmax(tpr >= recall_90_precision)]

    return SgdDetectorResult(
        predict_first_digit=fit.predict_first_digit,
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


@SECTION.experiment("binary.manual_kfold", depends_on=MANUAL_FOLDS.tasks, cost=0.01)
def manual_kfold(data: Inputs, *fold_results: FoldResult) -> ManualKFoldResult:
    """The chapter's hand-written StratifiedKFold loop (shuffled, random_state=42, a clone fitted
    per fold): each fold is a task; the accuracy of each held-out part, and their mean."""
    accuracies = join_folds(fold_results).fold_accuracy
    return ManualKFoldResult(fold_accuracy=accuracies, accuracy=float(np.mean(accuracies)))


@SECTION.experiment("binary.never5", cost=0.3)
def never5(data: Inputs) -> Never5Result:
    """The never-5 baseline's accuracy, and the share of non-5s that explains it."""
    y_train_5 = is_positive(data.y_train)
    baseline = Never5Classifier()
    # what cv=3 means for it (KFold: it is no ClassifierMixin), reshuffled in a repeat
    folds = splitter_for(CV_FOLDS, y_train_5, classifier=is_classifier(baseline))
    scores = cross_val_score(baseline, data.X_train, y_train_5, cv=folds, scoring="accuracy")
    return Never5Result(
        cv_accuracy=[float(s) for s in scores], share_not_5=float(1 - np.mean(y_train_5))
    )


@SECTION.experiment("binary.forest", depends_on=FOREST_FOLDS.tasks, cost=0.01)
def forest(data: Inputs, *fold_results: FoldResult) -> ForestResult:
    """RandomForest probabilities by cross_val_predict; the positive class's one is the score."""
    y_train_5 = is_positive(data.y_train)
    y_probas = join_folds(fold_results).probabilities
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


@SECTION.experiment("binary.roc_comparison", depends_on=("binary.sgd", "binary.forest"),
                    cost=0.01)
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
