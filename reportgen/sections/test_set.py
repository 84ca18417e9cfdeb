"""The test set: the chapter's final models, scored once on the images it never touches.

The chapter judges every model by cross-validation on its 60,000 training images and leaves the
10,000 test images alone. Here each of its final models, fitted on the whole training set as the
chapter builds it, is scored once on the test set, next to its cross-validated estimate: the
generalization gap.

The section is declared as data (`FINAL_MODELS`): per model, its test metric, the experiment
that gives its test-set outputs, how they are scored, and the cross-validated metric it is
compared with, read through that section's own `Metric`. Where the chapter already fits a model
on the whole training set (the SGD 5-detector, the SVC, the multiclass SGD, the multilabel KNN),
the outputs come from that very fit (`on_model`: in its task, only when this section runs); the
random forest and the scaled SGD, which the chapter only cross-validates, are fitted once here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.preprocessing import StandardScaler

from reportgen.engine.profiles import Inputs
from reportgen.engine.threads import fit
from reportgen.figures import subplots
from reportgen.sections import binary, multiclass, multilabel, multioutput
from reportgen.sections.api import FigureSpec, Metric, Section, field_of
from reportgen.sections.prose import class_label, estimator_call
from reportgen.sections.shared import (
    CV_FOLDS,
    DIGITS,
    FOREST_TREES,
    POSITIVE_DIGIT,
    forest_classifier,
    is_positive,
    multilabel_targets,
    sgd_classifier,
)
from reportgen.statistics import (
    CONFIDENCE,
    MCNEMAR,
    SIGNIFICANCE,
    TEST_SAMPLE_NOISE,
    Interval,
    PairedDifference,
    bootstrap,
    exact_binomial,
    mcnemar,
    paired_bootstrap,
    resampled_macro_f1,
    resampled_mean,
    resampled_roc_auc,
)


@dataclass
class TestOutputs:
    """A final model's outputs for every test image (labels, scores or label pairs)."""

    values: np.ndarray


def _detector(score: Callable) -> Callable[[np.ndarray, np.ndarray], float]:
    """A binary score of the detector's target (`y == POSITIVE_DIGIT`)."""
    return lambda y_test, outputs: float(score(is_positive(y_test), outputs))


def _multilabel_f1(y_test: np.ndarray, outputs: np.ndarray) -> float:
    return float(f1_score(multilabel_targets(y_test), outputs, average="macro"))


def _accuracy(y_test: np.ndarray, outputs: np.ndarray) -> float:
    return float(accuracy_score(y_test, outputs))


# -- each score's interval from the test sample (reportgen.statistics names the methods) ---
def _precision_interval(y_test: np.ndarray, outputs: np.ndarray) -> Interval:
    """Precision is a proportion: the true positives among the images called positive."""
    truth, said = is_positive(y_test), np.asarray(outputs, dtype=bool)
    return exact_binomial(np.count_nonzero(truth & said), np.count_nonzero(said))


def _recall_interval(y_test: np.ndarray, outputs: np.ndarray) -> Interval:
    """Recall is a proportion: the positives found among the positive images."""
    truth, said = is_positive(y_test), np.asarray(outputs, dtype=bool)
    return exact_binomial(np.count_nonzero(truth & said), np.count_nonzero(truth))


def _accuracy_interval(y_test: np.ndarray, outputs: np.ndarray) -> Interval:
    return exact_binomial(np.count_nonzero(outputs == y_test), len(y_test))


def _roc_auc_interval(y_test: np.ndarray, outputs: np.ndarray) -> Interval:
    return bootstrap(resampled_roc_auc(is_positive(y_test), outputs), len(y_test))


def _multilabel_f1_interval(y_test: np.ndarray, outputs: np.ndarray) -> Interval:
    return bootstrap(resampled_macro_f1(multilabel_targets(y_test), outputs), len(y_test))


@dataclass(frozen=True)
class FinalModel:
    """One final model of the chapter on the test set: its metric (and what it says), the
    experiment giving its test outputs, how they are scored against the test labels, the
    cross-validated metric it is compared with (None where the chapter does not cross-validate
    the model: the SVC), and the score's interval from the test sample."""

    metric: str
    label: str
    description: str
    outputs: str
    score: Callable[[np.ndarray, np.ndarray], float]
    cross_validated: Metric | None
    interval: Callable[[np.ndarray, np.ndarray], Interval]


DETECTOR = f"SGD {POSITIVE_DIGIT}-detector"
FINAL_MODELS = (
    FinalModel("test.sgd.precision", f"{DETECTOR} precision",
               "Precision of the SGD {positive}-detector's predict() on the test set",
               "test.sgd.predictions", _detector(precision_score),
               binary.SECTION.metric("binary.sgd.precision"), _precision_interval),
    FinalModel("test.sgd.recall", f"{DETECTOR} recall",
               "Recall of the SGD {positive}-detector's predict() on the test set",
               "test.sgd.predictions", _detector(recall_score),
               binary.SECTION.metric("binary.sgd.recall"), _recall_interval),
    FinalModel("test.sgd.roc_auc", f"{DETECTOR} ROC AUC",
               "ROC AUC of the SGD detector's decision scores on the test set",
               "test.sgd.decision_scores", _detector(roc_auc_score),
               binary.SECTION.metric("binary.sgd.roc_auc"), _roc_auc_interval),
    FinalModel("test.forest.roc_auc", "Random forest ROC AUC",
               "ROC AUC of the random forest's positive-class probability on the test set",
               "test.forest", _detector(roc_auc_score),
               binary.SECTION.metric("binary.forest.roc_auc"), _roc_auc_interval),
    FinalModel("test.svc.accuracy", "SVC accuracy", "Accuracy of the SVC on the test set",
               "test.svc.predictions", _accuracy, None, _accuracy_interval),
    FinalModel("test.sgd_multiclass.accuracy", "Multiclass SGD accuracy",
               "Accuracy of the multiclass SGD (raw pixels) on the test set",
               "test.sgd_multiclass.predictions", _accuracy,
               multiclass.SECTION.metric("multiclass.sgd.cv_accuracy_mean"), _accuracy_interval),
    FinalModel("test.sgd_scaled.accuracy", "Scaled multiclass SGD accuracy",
               "Accuracy of the scaled multiclass SGD on the test set (scaler fitted on the"
               " training images)", "test.sgd_scaled", _accuracy,
               multiclass.SECTION.metric("multiclass.sgd_scaled.cv_accuracy_mean"),
               _accuracy_interval),
    FinalModel("test.knn_multilabel.f1_macro", "Multilabel KNN macro F1",
               "Macro F1 of the multilabel KNN's [large, odd] labels on the test set",
               "test.knn_multilabel.predictions", _multilabel_f1,
               multilabel.SECTION.metric("multilabel.knn.f1_macro"), _multilabel_f1_interval),
)
FINAL = {model.metric: model for model in FINAL_MODELS}


@dataclass(frozen=True)
class Comparison:
    """An ordering the chapter's story implies, asked of the same test images: model a's score
    less model b's, with the paired test of its kind ("accuracy": McNemar's exact test and a
    paired bootstrap interval; "roc_auc": the paired bootstrap for both)."""

    metric: str  # the difference's metric
    label: str
    a: FinalModel
    b: FinalModel
    kind: str

    def run(self, y_test: np.ndarray, outputs_a: np.ndarray, outputs_b: np.ndarray,
            difference: float) -> PairedDifference:
        """The paired test on the test images; `difference` is the two test metrics' own."""
        n = len(y_test)
        if self.kind == "accuracy":
            correct_a, correct_b = outputs_a == y_test, outputs_b == y_test
            paired = paired_bootstrap(resampled_mean(correct_a.astype(float) - correct_b), n,
                                      difference)
            return PairedDifference(difference, paired.interval, mcnemar(correct_a, correct_b),
                                    MCNEMAR)
        positive = is_positive(y_test)
        auc_a, auc_b = resampled_roc_auc(positive, outputs_a), resampled_roc_auc(positive,
                                                                                  outputs_b)
        return paired_bootstrap(lambda idx: auc_a(idx) - auc_b(idx), n, difference)


COMPARISONS = (
    Comparison("test.forest_vs_sgd.roc_auc_difference",
               f"Random forest − {DETECTOR}, ROC AUC", FINAL["test.forest.roc_auc"],
               FINAL["test.sgd.roc_auc"], "roc_auc"),
    Comparison("test.sgd_scaled_vs_sgd.accuracy_difference",
               "Scaled − raw multiclass SGD, accuracy", FINAL["test.sgd_scaled.accuracy"],
               FINAL["test.sgd_multiclass.accuracy"], "accuracy"),
    Comparison("test.svc_vs_sgd_scaled.accuracy_difference",
               "SVC − scaled multiclass SGD, accuracy", FINAL["test.svc.accuracy"],
               FINAL["test.sgd_scaled.accuracy"], "accuracy"),
)
OUTPUTS = tuple(dict.fromkeys(model.outputs for model in FINAL_MODELS))
CROSS_VALIDATED = tuple(dict.fromkeys(model.cross_validated.experiment for model in FINAL_MODELS
                                      if model.cross_validated is not None))


@dataclass
class TestSetResult:
    n_train: int
    n_test: int
    scores: dict  # test metric name -> its value (the comparisons' differences too)
    # One row per model: {"metric", "label", "test", "low", "high", "interval_method",
    # "cross_validated", "cv_metric", "gap", "gap_within_sample_noise"}; cross_validated is None
    # where the chapter does not cross-validate the model (the SVC).
    rows: list[dict]
    intervals: dict  # metric name -> Interval.as_dict() / PairedDifference.as_dict()
    # One row per comparison: {"metric", "label", "a", "b", "difference", "low", "high",
    # "method", "p_value", "test", "null", "beyond_sample_noise"}
    comparisons: list[dict]


def gap_figure(result: TestSetResult):
    """Cross-validated estimate (hollow) and test-set value (filled) with its interval from
    the test sample, one line per model."""
    rows = result.rows
    fig, ax = subplots(figsize=(8, 0.45 * len(rows) + 1.4))
    ys = np.arange(len(rows))[::-1]
    for y, row in zip(ys, rows, strict=True):
        if row["cross_validated"] is not None:
            ax.plot([row["cross_validated"], row["test"]], [y, y], color="0.6", linewidth=2,
                    zorder=1)
            ax.scatter([row["cross_validated"]], [y], s=60, facecolors="white",
                       edgecolors="C0", linewidths=2, zorder=2)
        ax.errorbar([row["test"]], [y], xerr=[[row["test"] - row["low"]],
                                              [row["high"] - row["test"]]],
                    fmt="o", markersize=7.5, color="C3", ecolor="C3", elinewidth=2, capsize=5,
                    zorder=3)
    ax.scatter([], [], s=60, facecolors="white", edgecolors="C0", linewidths=2,
               label="cross-validated on the training set")
    ax.errorbar([], [], xerr=[[], []], fmt="o", color="C3", capsize=5,
                label=f"test set ({CONFIDENCE:.0%} interval)")
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
        "gaps_beyond_sample_noise": [row for row in compared
                                     if not row["gap_within_sample_noise"]],
        "gaps_compared": len(compared),
        "interval_methods": list(dict.fromkeys(row["interval_method"] for row in result.rows)),
        "comparisons": result.comparisons,
        "confidence": CONFIDENCE,
        "significance": SIGNIFICANCE,
        "null": TEST_SAMPLE_NOISE,
        "cv_folds": CV_FOLDS,
        "positive": class_label(spec, POSITIVE_DIGIT),
        "n_train": result.n_train,
        "n_test": result.n_test,
        "rows": result.rows,
        "denoise_eval_size": results["test.denoise"].eval_size,
        "forest_call": estimator_call(forest_classifier(), "n_estimators"),
        "sgd_call": estimator_call(sgd_classifier(), "max_iter", "tol"),
    }


def _score_of(name: str) -> Callable[[TestSetResult], float]:
    return lambda result: result.scores[name]


def _interval_of(name: str) -> Callable[[TestSetResult], dict]:
    return lambda result: result.intervals[name]


SECTION = Section(
    id="test",
    title="The test set",
    order=70,
    from_chapter=False,
    metrics=(*(Metric(model.metric, "test.scores", _score_of(model.metric), model.description,
                      interval=_interval_of(model.metric))
               for model in FINAL_MODELS),
             *(Metric(c.metric, "test.scores", _score_of(c.metric),
                      f"{c.a.label} less {c.b.label} on the same test images",
                      interval=_interval_of(c.metric))
               for c in COMPARISONS),
             Metric("test.denoise.rmse_noisy", "test.denoise", field_of("rmse_noisy"),
                    "Pixel RMSE of the noisy test digits to the clean ones"),
             Metric("test.denoise.rmse_cleaned", "test.denoise", field_of("rmse_cleaned"),
                    "Pixel RMSE of the KNN-cleaned test digits to the clean ones")),
    figures=(
        FigureSpec("generalization_gap",
                   "Each final model's cross-validated estimate on the {n_train:,} training images"
                   " (hollow) and its score on the {n_test:,} test images (filled), with the"
                   " score's 95 % interval from the test sample (each method is named under the"
                   " table).",
                   ("test.scores",), gap_figure, size="wide"),
    ),
    facts=_facts,
)


# -- the test-set outputs of the chapter's own fits, in their tasks ---------------------------
@SECTION.experiment("test.sgd.predictions", on_model="binary.sgd.fit")
def sgd_predictions(data: Inputs, sgd) -> TestOutputs:
    return TestOutputs(sgd.predict(data.X_test))


@SECTION.experiment("test.sgd.decision_scores", on_model="binary.sgd.fit")
def sgd_decision_scores(data: Inputs, sgd) -> TestOutputs:
    return TestOutputs(sgd.decision_function(data.X_test))


@SECTION.experiment("test.svc.predictions", on_model="multiclass.svc", cost=3)
def svc_predictions(data: Inputs, svc) -> TestOutputs:
    return TestOutputs(svc.predict(data.X_test))


@SECTION.experiment("test.sgd_multiclass.predictions", on_model="multiclass.sgd.fit")
def sgd_multiclass_predictions(data: Inputs, sgd) -> TestOutputs:
    return TestOutputs(sgd.predict(data.X_test))


@SECTION.experiment("test.knn_multilabel.predictions", on_model="multilabel.knn.fit", cost=5)
def knn_multilabel_predictions(data: Inputs, knn) -> TestOutputs:
    return TestOutputs(knn.predict(data.X_test))


# How many test digits the denoising score averages over, by profile preset: the quick
# profile's first 500, as the quick profile held it before this moved here (why 500 was chosen
# is not recorded); every other profile scores every test digit.
DENOISE_EVAL_SIZES = {"quick": 500}


def denoise_eval_size(data: Inputs) -> int:
    test_size = len(data.y_test)
    return min(DENOISE_EVAL_SIZES.get(data.profile.preset, test_size), test_size)


@dataclass
class DenoiseScores:
    eval_size: int  # the first test digits scored (`denoise_eval_size`)
    rmse_noisy: float  # pixel RMSE of the noisy digits to the clean ones
    rmse_cleaned: float  # ... of the KNN-cleaned ones


@SECTION.experiment("test.denoise", on_model="multioutput.knn", cost=3)
def denoise_scores(data: Inputs, model: multioutput.DenoisingModel) -> DenoiseScores:
    """The chapter judges its cleaned digit by eye: here the denoising KNN cleans every test
    digit (of the profile's count), scored by pixel RMSE before and after."""
    n = denoise_eval_size(data)
    noisy, clean = model.noisy_test[:n], data.X_test[:n]
    cleaned = multioutput.predict_in_batches(model.knn, noisy)
    return DenoiseScores(eval_size=n, rmse_noisy=multioutput.rmse(noisy, clean),
                         rmse_cleaned=multioutput.rmse(cleaned, clean))


# -- the two models the chapter only cross-validates, fitted once here -------------------------
@SECTION.experiment("test.forest", cost=4, threads=FOREST_TREES)
def forest_on_test(data: Inputs) -> TestOutputs:
    """The chapter only cross-validates the forest: fit it once on all training images; its
    probability of the positive class per test image (on one thread)."""
    forest = fit(forest_classifier(), data.X_train, is_positive(data.y_train))
    return TestOutputs(forest.predict_proba(data.X_test)[:, 1])


@SECTION.experiment("test.sgd_scaled", cost=60, threads=DIGITS)
def scaled_sgd_on_test(data: Inputs) -> TestOutputs:
    """The scaler is fitted on the training images only, then the chapter's SGD on them."""
    scaler = StandardScaler().fit(data.X_train)
    sgd = fit(sgd_classifier(), scaler.transform(data.X_train), data.y_train)
    return TestOutputs(sgd.predict(scaler.transform(data.X_test)))


@SECTION.experiment("test.scores", depends_on=(*OUTPUTS, *CROSS_VALIDATED), cost=1)
def scores(data: Inputs, *results) -> TestSetResult:
    """Score each final model once on the test set, with the score's interval from the test
    sample; pair it with its cross-validated value, read through its section's own metric;
    test each ordering on the same images."""
    by_name = dict(zip((*OUTPUTS, *CROSS_VALIDATED), results, strict=True))
    rows, intervals = [], {}
    for model in FINAL_MODELS:
        outputs = by_name[model.outputs].values
        test, interval = model.score(data.y_test, outputs), model.interval(data.y_test, outputs)
        estimate = model.cross_validated
        cv = None if estimate is None else float(estimate.value(by_name[estimate.experiment]))
        intervals[model.metric] = interval.as_dict()
        rows.append({"metric": model.metric, "label": model.label, "test": test,
                     "low": interval.low, "high": interval.high,
                     "interval_method": interval.method,
                     "cross_validated": cv, "cv_metric": estimate and estimate.name,
                     "gap": None if cv is None else test - cv,
                     "gap_within_sample_noise": None if cv is None else interval.holds(cv)})
    values = {row["metric"]: row["test"] for row in rows}
    comparisons = []
    for comparison in COMPARISONS:
        a, b = comparison.a, comparison.b
        paired = comparison.run(data.y_test, by_name[a.outputs].values,
                                by_name[b.outputs].values, values[a.metric] - values[b.metric])
        intervals[comparison.metric] = paired.as_dict()
        comparisons.append({"metric": comparison.metric, "label": comparison.label,
                            "a": a.label, "b": b.label, **paired.as_dict(),
                            "beyond_sample_noise": paired.p_value < SIGNIFICANCE})
    values.update({row["metric"]: row["difference"] for row in comparisons})
    return TestSetResult(n_train=len(data.y_train), n_test=len(data.y_test), scores=values,
                         rows=rows, intervals=intervals, comparisons=comparisons)
