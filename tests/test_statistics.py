"""What the test sample alone can say: intervals and paired comparisons (reportgen.statistics)."""

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import f1_score, roc_auc_score

from reportgen.statistics import (
    BOOTSTRAP_RESAMPLES,
    bootstrap,
    corrected_cv_interval,
    exact_binomial,
    mcnemar,
    paired_bootstrap,
    resampled_macro_f1,
    resampled_mean,
    resampled_roc_auc,
)


def test_a_proportion_gets_the_exact_binomial_interval():
    """Clopper-Pearson: with no success in n, the high end is 1 − (α/2)^(1/n)."""
    interval = exact_binomial(0, 10)
    assert interval.low == 0 and interval.high == pytest.approx(1 - 0.025 ** (1 / 10))
    nine = exact_binomial(9000, 10000)
    assert nine.low < 0.9 < nine.high and nine.high - nine.low == pytest.approx(0.0118, abs=5e-4)
    assert nine.method.startswith("exact binomial")


def test_a_precision_of_no_positive_call_has_no_information():
    assert (exact_binomial(0, 0).low, exact_binomial(0, 0).high) == (0.0, 1.0)


def test_the_resampled_scores_are_scikit_learns():
    rng = np.random.default_rng(1)
    positive = rng.random(500) < 0.2
    scores = np.round(rng.random(500) + positive, 1)  # ties, as a forest's probabilities have
    truth, predicted = rng.random((500, 2)) < 0.5, rng.random((500, 2)) < 0.5
    rows = rng.integers(0, 500, (4, 500))
    assert resampled_roc_auc(positive, scores)(rows) == pytest.approx(
        [roc_auc_score(positive[r], scores[r]) for r in rows], abs=1e-12)
    assert resampled_macro_f1(truth, predicted)(rows) == pytest.approx(
        [f1_score(truth[r], predicted[r], average="macro") for r in rows], abs=1e-12)


def test_the_bootstrap_is_the_same_to_the_bit_every_time():
    rng = np.random.default_rng(2)
    positive = rng.random(800) < 0.1
    scores = rng.random(800) + 0.5 * positive
    first = bootstrap(resampled_roc_auc(positive, scores), 800)
    assert first == bootstrap(resampled_roc_auc(positive, scores), 800)
    assert first.low < roc_auc_score(positive, scores) < first.high
    assert str(BOOTSTRAP_RESAMPLES) in first.method


def test_mcnemar_counts_only_the_images_one_model_gets_right():
    a = np.array([True] * 10 + [True] * 50 + [False] * 40)
    b = np.array([False] * 10 + [True] * 50 + [False] * 40)
    assert mcnemar(a, b) == pytest.approx(2 * 0.5 ** 10)  # 10 against 0
    assert mcnemar(a, a) == 1.0
    assert mcnemar(a, b) == mcnemar(b, a)


def test_a_paired_test_sees_what_two_overlapping_intervals_hide():
    """Two models on the same 10,000 images: b gets right every image a does and 60 more.
    Their own intervals overlap; the paired comparison, which sees that the images they
    disagree on all go one way, is far beyond test-sample noise."""
    rng = np.random.default_rng(3)
    a = rng.random(10000) < 0.9
    b = a.copy()
    b[np.flatnonzero(~a)[:60]] = True
    ia, ib = exact_binomial(a.sum(), 10000), exact_binomial(b.sum(), 10000)
    assert ib.low < ia.high  # the two intervals overlap
    assert mcnemar(b, a) < 1e-15
    paired = paired_bootstrap(resampled_mean(b.astype(float) - a), 10000, b.mean() - a.mean())
    assert paired.interval.low > 0 and paired.p_value < 0.001
    assert paired.difference == pytest.approx(0.006)


def test_a_paired_bootstrap_of_no_difference_is_within_noise():
    rng = np.random.default_rng(4)
    positive = rng.random(2000) < 0.1
    scores = rng.random(2000) + 0.5 * positive
    noise = rng.permutation(scores)  # another model, of no skill
    auc, same = resampled_roc_auc(positive, scores), resampled_roc_auc(positive, scores)
    paired = paired_bootstrap(lambda idx: auc(idx) - same(idx), 2000, 0.0)
    assert paired.interval.low == paired.interval.high == 0 and paired.p_value == 1.0
    other = resampled_roc_auc(positive, noise)
    beyond = paired_bootstrap(lambda idx: auc(idx) - other(idx), 2000,
                              roc_auc_score(positive, scores) - roc_auc_score(positive, noise))
    assert beyond.interval.low > 0
    assert beyond.p_value == pytest.approx(2 / (BOOTSTRAP_RESAMPLES + 1)) == beyond.smallest_p


def test_the_exact_interval_is_scipys_beta_quantiles():
    k, n = 37, 120
    interval = exact_binomial(k, n)
    assert interval.low == pytest.approx(stats.beta.ppf(0.025, k, n - k + 1))
    assert interval.high == pytest.approx(stats.beta.ppf(0.975, k + 1, n - k))


def test_the_corrected_cv_interval_widens_the_naive_one_by_the_fold_overlap():
    """Bouckaert & Frank: the variance of the mean of kr fold scores is (1/(kr) + 1/(k−1))·S²,
    not S²/(kr); with 5 repeats of 3 folds, √(1 + 15/2) ≈ 2.9 times wider."""
    folds = [[0.95, 0.96, 0.94], [0.95, 0.97, 0.93], [0.96, 0.95, 0.94], [0.94, 0.96, 0.95],
             [0.95, 0.95, 0.96]]
    result = corrected_cv_interval(folds)
    naive, corrected = (result["naive_high"] - result["naive_low"],
                        result["high"] - result["low"])
    assert corrected / naive == pytest.approx((1 + 15 / 2) ** 0.5)
    scores = np.ravel(folds)
    low, high = stats.t.interval(0.95, 14, loc=scores.mean(),
                                 scale=scores.std(ddof=1) / np.sqrt(15))
    assert (result["naive_low"], result["naive_high"]) == pytest.approx((low, high))
    assert result["folds"] == 3 and result["repeats"] == 5
