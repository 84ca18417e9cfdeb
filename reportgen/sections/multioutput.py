"""Multioutput classification: KNN learns to remove noise from digit images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from reportgen.engine.profiles import Inputs
from reportgen.engine.registry import Fitted
from reportgen.engine.repeats import reseeded
from reportgen.figures import single_image, subplots
from reportgen.sections.api import FigureSpec, Metric, Section, field_of

NOISE_SEED = 42  # the chapter's np.random.seed(42), the last seeding before its randint calls
CHAPTER_NOISE_HIGH = 100  # randint(0, 100) on 0..255 pixels
# KNN predicts its 784 outputs with a class-probability array per output for every image it is
# given: all 10,000 test digits at once took 12 GB. In batches of this many the peak stays
# small; each image's prediction depends on nothing else, so the numbers are the same.
PREDICT_BATCH = 250


def predict_in_batches(model, X: np.ndarray, batch: int = PREDICT_BATCH) -> np.ndarray:
    """`model.predict(X)`, a batch of rows at a time, to bound the memory predict allocates."""
    return np.concatenate([model.predict(X[start:start + batch])
                           for start in range(0, len(X), batch)])


def noise_high(pixel_max: int) -> int:
    """The chapter's noise range, scaled to the dataset's pixel range (100 for 0..255 images)."""
    return CHAPTER_NOISE_HIGH if pixel_max == 255 else max(2, round(100 * pixel_max / 255))


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2)))


@dataclass
class DenoiseResult:
    """The chapter's denoising: it cleans the first test digit and judges it by eye."""

    noise_high: int
    noisy_digit: np.ndarray  # (h, w) the first test digit with noise
    clean_digit: np.ndarray  # (h, w) its clean original
    cleaned_digit: np.ndarray  # (h, w) what KNN made of the noisy one
    rmse_noisy_first: float  # pixel RMSE to the clean digit, before cleaning
    rmse_cleaned_first: float  # ... and after


@dataclass
class DenoisingModel:
    """What the fit keeps for a section that asks more of it (the test set's scoring of every
    test digit): the fitted KNN and the noisy test images it was asked about."""

    knn: KNeighborsClassifier
    noisy_test: np.ndarray


def noisy_digit_example(denoise: DenoiseResult):
    fig, axes = subplots(1, 2, figsize=(6, 3))
    for ax, image, title in zip(axes, (denoise.noisy_digit, denoise.clean_digit),
                                ("noisy input", "clean target"), strict=True):
        ax.imshow(image, cmap="binary", interpolation="nearest")
        ax.set_title(title, fontsize=12)
        ax.axis("off")
    fig.tight_layout()
    return fig


def cleaned_digit(denoise: DenoiseResult):
    return single_image(denoise.cleaned_digit)


def _facts(results, spec) -> dict:
    denoise = results["multioutput.knn"]
    return {
        "pixel_max": spec.pixel_max,
        "noise_max": denoise.noise_high - 1,  # randint's upper bound is exclusive
        "noise_seed": NOISE_SEED,
        "rmse_noisy_first": denoise.rmse_noisy_first,
    }


def _seeds() -> dict[str, int]:
    return {"noise (np.random.seed)": NOISE_SEED}


SECTION = Section(
    id="multioutput",
    title="Multioutput classification: cleaning digits",
    order=60,
    metrics=(
        Metric("multioutput.knn.rmse_cleaned_first", "multioutput.knn",
               field_of("rmse_cleaned_first"), "Pixel RMSE of the cleaned first test digit"),
    ),
    figures=(
        FigureSpec("noisy_digit_example",
                   "The first test digit with noise added (left) and its clean original"
                   " (right).", ("multioutput.knn",), noisy_digit_example),
        FigureSpec("cleaned_digit", "What KNN made of the noisy digit.", ("multioutput.knn",),
                   cleaned_digit, size="small"),
    ),
    facts=_facts,
    seeds=_seeds,
)


@SECTION.experiment("multioutput.knn", cost=11)
def denoise(data: Inputs) -> Fitted[DenoiseResult]:
    """KNN maps noisy images to clean ones; the chapter cleans the first test digit (scoring
    every test digit is the test section's, on this fit's model)."""
    high = noise_high(data.features.value_max)
    n_pixels = data.X_train.shape[1]
    # the chapter's np.random.seed(42) then np.random.randint: the same stream in repeat 0
    rng = np.random.RandomState(reseeded(NOISE_SEED))
    noise = rng.randint(0, high, (len(data.X_train), n_pixels))
    X_train_mod = data.X_train + noise
    noise = rng.randint(0, high, (len(data.X_test), n_pixels))
    X_test_mod = data.X_test + noise
    y_train_mod, y_test_mod = data.X_train, data.X_test

    knn_clf = KNeighborsClassifier().fit(X_train_mod, y_train_mod)
    cleaned = knn_clf.predict(X_test_mod[:1])[0]  # the chapter's knn_clf.predict([X_test_mod[0]])
    shape = data.features.shape
    return Fitted(DenoiseResult(
        noise_high=high,
        noisy_digit=X_test_mod[0].reshape(shape),
        clean_digit=y_test_mod[0].reshape(shape),
        cleaned_digit=cleaned.reshape(shape),
        rmse_noisy_first=rmse(X_test_mod[0], y_test_mod[0]),
        rmse_cleaned_first=rmse(cleaned, y_test_mod[0]),
    ), DenoisingModel(knn_clf, X_test_mod))
