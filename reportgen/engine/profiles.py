"""Profiles say how much of the dataset a run uses; `Inputs` is that slice, as the chapter
holds it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.data import Dataset, Features
from reportgen.errors import ReportgenError


@dataclass(frozen=True)
class Profile:
    """How many samples a run uses (prefixes of the canonical train/test split). A chapter's
    own sizes (how many test images a slow score averages over) are the chapter's: it reads
    `preset` and keeps them in its code, so they key only its own tasks."""

    name: str  # "full", "quick", or "quick-3000" with --train-size
    train_size: int
    test_size: int
    preset: str = "full"  # the profile of PROFILES it was resolved from

    def sizes(self) -> dict[str, int]:
        return {"train_size": self.train_size, "test_size": self.test_size}

    def as_dict(self) -> dict:
        """The profile, as every task's cache key holds it (the key leaves out the name)."""
        return {"name": self.name, **self.sizes(), "preset": self.preset}


PROFILES = {
    "full": dict(train_size=None, test_size=None),  # the whole split
    "quick": dict(train_size=6_000, test_size=1_000),
}


def resolve_profile(name: str, dataset: Dataset, train_size: int | None = None,
                    minimum_train_size: int = 1) -> Profile:
    """The profile's sizes, fitted to the dataset; `train_size` overrides the training prefix,
    down to the chapter's `minimum_train_size` (its sections', `Chapter.minimum_train_size`)."""
    if name not in PROFILES:
        raise ReportgenError(f"unknown profile {name!r}; choose one of: {', '.join(PROFILES)}")
    spec = dataset.spec
    n_train_max, n_test_max = spec.n_train, spec.n_samples - spec.n_train
    preset, sizes = name, PROFILES[name]
    if train_size is not None:
        if not minimum_train_size <= train_size <= n_train_max:
            noun = spec.features.nouns[0]
            raise ReportgenError(
                f"--train-size must be between {minimum_train_size} and {n_train_max} for"
                f" {spec.name} (the chapter's experiments need at least {minimum_train_size}"
                f" training {noun}), got {train_size}"
            )
        sizes = {**sizes, "train_size": train_size}
        name = f"{name}-{train_size}"
    train = min(sizes["train_size"] or n_train_max, n_train_max)
    test = min(sizes["test_size"] or n_test_max, n_test_max)
    return Profile(name=name, train_size=train, test_size=test, preset=preset)


@dataclass(frozen=True)
class Inputs:
    """The chapter's X_train, y_train, X_test, y_test (features as float64: pixels as OpenML
    serves them), what a sample is (`features`: an image's shape, a table's column names) and
    the run's profile."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    features: Features
    profile: Profile

    @property
    def some_digit(self) -> np.ndarray:
        """The chapter's `some_digit = X[0]`: the first training image."""
        return self.X_train[0]


@dataclass(frozen=True)
class CompactInputs:
    """The profile's samples as the dataset stores them (images as uint8): what is shipped to
    a cluster, for images an eighth of the size of the float64 `Inputs` each worker makes."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    features: Features
    profile: Profile

    def expand(self) -> Inputs:
        return Inputs(
            X_train=self.X_train.astype(np.float64, copy=False),
            y_train=self.y_train,
            X_test=self.X_test.astype(np.float64, copy=False),
            y_test=self.y_test,
            features=self.features,
            profile=self.profile,
        )


def compact_inputs(dataset: Dataset, profile: Profile) -> CompactInputs:
    """The profile's prefixes of the canonical train and test samples."""
    n_train = dataset.spec.n_train
    return CompactInputs(
        X_train=dataset.X[: profile.train_size],
        y_train=dataset.y[: profile.train_size],
        X_test=dataset.X[n_train : n_train + profile.test_size],
        y_test=dataset.y[n_train : n_train + profile.test_size],
        features=dataset.spec.features,
        profile=profile,
    )


def make_inputs(dataset: Dataset, profile: Profile) -> Inputs:
    """The chapter's X_train, y_train, X_test, y_test for this profile."""
    return compact_inputs(dataset, profile).expand()
