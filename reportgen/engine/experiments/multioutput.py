"""Multioutput classification: KNN learns to remove noise from digit images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from reportgen.engine.profiles import Inputs
from reportgen.engine.registry import experiment

NOISE_SEED = 42  # the chapter's np.random.seed(42), the last seeding before its randint calls
CHAPTER_NOISE_HIGH = 100  # randint(0, 100) on 0..255 pixels


def noise_high(pixel_max: int) -> int:
    """The chapter's noise range, scaled to the dataset's pixel range (100 for 0..255 images)."""
    return CHAPTER_NOISE_HIGH if pixel_max == 255 else max(2, round(100 * pixel_max / 255))


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2)))


@dataclass
class DenoiseResult:
    noise_high: int
    noisy_digit: np.ndarray  # (h, w) the first test digit with noise
    clean_digit: np.ndarray  # (h, w) its clean original
    cleaned_digit: np.ndarray  # (h, w) what KNN made of the noisy one
    rmse_noisy_first: float  # pixel RMSE to the clean digit, before cleaning
    rmse_cleaned_first: float  # ... and after
    eval_size: int
    rmse_noisy: float  # the same, averaged over the first eval_size test digits
    rmse_cleaned: float


@experiment("multioutput.knn", cost=11)
def denoise(data: Inputs) -> DenoiseResult:
    high = noise_high(data.pixel_max)
    n_pixels = data.X_train.shape[1]
    rng = np.random.RandomState(NOISE_SEED)  # same stream as np.random.seed(42); np.random.randint
    noise = rng.randint(0, high, (len(data.X_train), n_pixels))
    X_train_mod = data.X_train + noise
    noise = rng.randint(0, high, (len(data.X_test), n_pixels))
    X_test_mod = data.X_test + noise
    y_train_mod, y_test_mod = data.X_train, data.X_test

    knn_clf = KNeighborsClassifier().fit(X_train_mod, y_train_mod)
    n = data.denoise_eval_size
    cleaned = knn_clf.predict(X_test_mod[:n])
    shape = data.image_shape
    return DenoiseResult(
        noise_high=high,
        noisy_digit=X_test_mod[0].reshape(shape),
        clean_digit=y_test_mod[0].reshape(shape),
        cleaned_digit=cleaned[0].reshape(shape),
        rmse_noisy_first=rmse(X_test_mod[0], y_test_mod[0]),
        rmse_cleaned_first=rmse(cleaned[0], y_test_mod[0]),
        eval_size=n,
        rmse_noisy=rmse(X_test_mod[:n], y_test_mod[:n]),
        rmse_cleaned=rmse(cleaned, y_test_mod[:n]),
    )
