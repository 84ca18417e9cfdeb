"""What the test sample alone can say about a score: intervals and paired comparisons.

A model scored once on 10,000 test images gives one number; another 10,000 images from the
same source would give another. These are the field's references for one fixed test set, all
computed by scipy (the formulas, one line each, are in docs/statistics.md):

- a proportion (accuracy, precision, recall): the exact binomial (Clopper–Pearson) interval of
  k successes in n trials (`scipy.stats.binomtest(k, n).proportion_ci(method="exact")`);
- any other score (ROC AUC, macro F1): the percentile bootstrap over test images
  (`scipy.stats.bootstrap`), BOOTSTRAP_RESAMPLES resamples drawn from BOOTSTRAP_SEED, so the
  same outputs always give the same interval, to the bit;
- two classifiers' accuracies on the same images: McNemar's exact test, a binomial test of the
  images only one of them gets right (Dietterich 1998: the test with acceptable type I error
  when each model is fitted once), and the paired bootstrap interval of the difference;
- two ROC AUCs on the same images: the paired bootstrap (both scored on the same resamples)
  for the difference's interval and its p-value.

The null of all of them is *test-sample noise*: that the difference, or the distance of a
cross-validated estimate from the test value, is what another draw of test images could undo.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
SIGNIFICANCE = 1 - CONFIDENCE  # a p-value below it: beyond test-sample noise
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261202  # fixed: the interval is a function of the outputs, not of the run
BOOTSTRAP_BATCH = 100  # resamples evaluated at once: 100 x 10,000 indices, 8 MB
TEST_SAMPLE_NOISE = "test-sample noise"
EXACT_BINOMIAL = "exact binomial (Clopper-Pearson)"
BOOTSTRAP = f"percentile bootstrap over test images ({BOOTSTRAP_RESAMPLES} resamples, seed" \
            f" {BOOTSTRAP_SEED})"
PAIRED_BOOTSTRAP = f"paired bootstrap over test images ({BOOTSTRAP_RESAMPLES} resamples, seed" \
                   f" {BOOTSTRAP_SEED})"
MCNEMAR = "McNemar's exact test"  # the binomial test of the images only one model gets right


@dataclass(frozen=True)
class Interval:
    """A 95 % interval of a score from its test sample, and how it was computed."""

    low: float
    high: float
    method: str
    confidence: float = CONFIDENCE

    def holds(self, value: float) -> bool:
        """Whether `value` lies in the interval (test-sample noise could give it)."""
        return self.low <= value <= self.high

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PairedDifference:
    """Model a's score less model b's on the same test images: the difference, its interval,
    and the two-sided p-value of "no difference" with the test that gave it."""

    difference: float
    interval: Interval
    p_value: float
    test: str
    smallest_p: float | None = None  # the test's resolution (a bootstrap's 2/(B + 1))

    def as_dict(self) -> dict:
        return {"difference": self.difference, **self.interval.as_dict(),
                "p_value": self.p_value, "test": self.test, "null": TEST_SAMPLE_NOISE,
                "smallest_p": self.smallest_p}


def exact_binomial(successes: int, trials: int) -> Interval:
    """The exact binomial interval of a proportion; (0, 1) when there are no trials (a precision
    of a detector that says "positive" for no image)."""
    if trials == 0:
        return Interval(0.0, 1.0, f"{EXACT_BINOMIAL}: no trials")
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(
        confidence_level=CONFIDENCE, method="exact")
    return Interval(float(ci.low), float(ci.high), EXACT_BINOMIAL)


def seeded(function: Callable, seed: int) -> dict:
    """The keyword that seeds a scipy resampling function, as a dict to pass on: scipy 1.15
    renamed random_state to rng, and the release environments may have either."""
    keyword = "rng" if "rng" in inspect.signature(function).parameters else "random_state"
    return {keyword: np.random.default_rng(seed)}


def _resampled(statistic: Callable[[np.ndarray], np.ndarray], n: int):
    """scipy's bootstrap of `statistic`, a function of the resampled image indices (an array of
    shape (resamples, n): one score per row), over the indices 0..n-1."""
    options = {"n_resamples": BOOTSTRAP_RESAMPLES, "confidence_level": CONFIDENCE,
               "method": "percentile", "vectorized": True, "batch": BOOTSTRAP_BATCH}
    options.update(seeded(stats.bootstrap, BOOTSTRAP_SEED))
    return stats.bootstrap((np.arange(n),), lambda idx, axis=-1: statistic(idx),
                           **options)


UNDEFINED = ("some resamples hold a single class, where the score is undefined: no interval"
             " (a test set too small or too skewed for the bootstrap)")


def bootstrap(statistic: Callable[[np.ndarray], np.ndarray], n: int) -> Interval:
    """The percentile bootstrap interval of a score of n test images; where a resample's score
    is undefined (ROC AUC of a resample without positives), the whole range [0, 1], said so,
    never a number made from the others."""
    result = _resampled(statistic, n)
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if not (np.isfinite(low) and np.isfinite(high)):
        return Interval(0.0, 1.0, f"{BOOTSTRAP}: {UNDEFINED}")
    return Interval(low, high, BOOTSTRAP)


def paired_bootstrap(difference: Callable[[np.ndarray], np.ndarray], n: int,
                     observed: float) -> PairedDifference:
    """The paired bootstrap of a difference of two models' scores on the same resamples: its
    interval, and the two-sided p-value 2·min(share ≤ 0, share ≥ 0) of the resampled
    differences, each share counted with the observed one ((k + 1) / (B + 1))."""
    result = _resampled(difference, n)
    resampled = np.asarray(result.bootstrap_distribution)
    if not np.all(np.isfinite(resampled)):
        return PairedDifference(float(observed), Interval(-1.0, 1.0,
                                                          f"{PAIRED_BOOTSTRAP}: {UNDEFINED}"),
                                1.0, "paired bootstrap")
    below = (np.count_nonzero(resampled <= 0) + 1) / (resampled.size + 1)
    above = (np.count_nonzero(resampled >= 0) + 1) / (resampled.size + 1)
    interval = Interval(float(result.confidence_interval.low),
                        float(result.confidence_interval.high), PAIRED_BOOTSTRAP)
    return PairedDifference(float(observed), interval, float(min(1.0, 2 * min(below, above))),
                            "paired bootstrap", smallest_p=2 / (resampled.size + 1))


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> float:
    """McNemar's exact two-sided p-value: of the images exactly one model gets right, is a's
    share different from a half?"""
    only_a = int(np.count_nonzero(correct_a & ~correct_b))
    only_b = int(np.count_nonzero(~correct_a & correct_b))
    if only_a + only_b == 0:
        return 1.0
    return float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)


def resampled_roc_auc(positive: np.ndarray, scores: np.ndarray
                      ) -> Callable[[np.ndarray], np.ndarray]:
    """ROC AUC of each resample (rows of image indices), by ranks: the Mann-Whitney statistic
    with tied scores at their average rank, which is what roc_auc_score computes."""
    def auc(idx: np.ndarray) -> np.ndarray:
        ranks = stats.rankdata(scores[idx], axis=-1)
        is_positive = positive[idx]
        n_pos = is_positive.sum(axis=-1)
        n_neg = is_positive.shape[-1] - n_pos
        rank_sum = np.where(is_positive, ranks, 0).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):  # a single class: nan, said above
            return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return auc


def resampled_mean(per_image: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The mean of a per-image value in each resample (an accuracy, a difference of two)."""
    return lambda idx: per_image[idx].mean(axis=-1)


def resampled_macro_f1(truth: np.ndarray, predicted: np.ndarray
                       ) -> Callable[[np.ndarray], np.ndarray]:
    """Macro F1 of multilabel predictions in each resample: per label 2TP / (2TP + FP + FN),
    0 where a label has neither (as f1_score's zero_division), averaged over the labels."""
    truth, predicted = truth.astype(bool), predicted.astype(bool)
    tp, fp, fn = truth & predicted, ~truth & predicted, truth & ~predicted

    def f1(idx: np.ndarray) -> np.ndarray:
        counts = [a[idx].sum(axis=-2) for a in (tp, fp, fn)]  # (resamples, labels)
        denominator = 2 * counts[0] + counts[1] + counts[2]
        per_label = np.where(denominator > 0, 2 * counts[0] / np.maximum(denominator, 1), 0.0)
        return per_label.mean(axis=-1)
    return f1


CORRECTED_CV = ("corrected repeated k-fold t-interval (Nadeau & Bengio 2003; Bouckaert & Frank"
                " 2004): mean ± t(0.975, kr−1)·√((1/(kr) + 1/(k−1))·S²)")
NAIVE_CV = "naive t-interval of the kr fold scores: mean ± t(0.975, kr−1)·√(S²/(kr))"


def corrected_cv_interval(folds_by_repeat: list[list[float]]) -> dict:
    """The mean of r repeats of k-fold scores with the naive t-interval, which treats the kr
    scores as independent, and the corrected one, which adds the test-to-training size ratio
    of a fold (1/(k−1)) to the variance: the folds share their training images, so the naive
    variance is too small and its "significant" verdicts too many (Nadeau & Bengio 2003;
    Bouckaert & Frank 2004). S² is the sample variance of the kr scores (scipy's t quantile)."""
    scores = np.asarray(folds_by_repeat, dtype=float)
    repeats, k = scores.shape
    n = repeats * k
    mean, variance = float(scores.mean()), float(scores.var(ddof=1))
    quantile = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1))
    naive = quantile * float(np.sqrt(variance / n))
    corrected = quantile * float(np.sqrt((1 / n + 1 / (k - 1)) * variance))
    return {"mean": mean, "folds": k, "repeats": repeats,
            "naive_low": mean - naive, "naive_high": mean + naive, "naive_method": NAIVE_CV,
            "low": mean - corrected, "high": mean + corrected, "method": CORRECTED_CV}
