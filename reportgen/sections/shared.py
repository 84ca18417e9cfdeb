"""The built-in chapter's shared estimators and constants: what more than one section uses.

Sections depend on this module, never on each other's helpers, so each section module can be
read (and changed) on its own; the cache key follows what each experiment uses from here.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import SGDClassifier

from reportgen.engine.repeats import reseeded

POSITIVE_DIGIT = 5  # the chapter's 5-detector: its positive class
CV_FOLDS = 3  # the chapter's cv=3, everywhere
LARGE_FROM = 7  # the multilabel "large" label: 7, 8 or 9
FOREST_TREES = 100  # the chapter's n_estimators=100
# The most threads a fit can use with the same numbers (engine.threads): the one-versus-rest
# SGD fits one binary SGD per digit; the forest one tree per seed drawn beforehand.
DIGITS = 10


def sgd_classifier() -> SGDClassifier:
    """The chapter's SGD, for the 5-detector and (in multiclass) for all ten digits."""
    return SGDClassifier(max_iter=1000, tol=1e-3, random_state=reseeded(42))


def forest_classifier() -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=FOREST_TREES, random_state=reseeded(42))


def is_positive(y: np.ndarray) -> np.ndarray:
    """The chapter's y_train_5: the detector's target."""
    return y == POSITIVE_DIGIT


def multilabel_targets(y: np.ndarray) -> np.ndarray:
    """The chapter's y_multilabel: [large, odd] per image."""
    return np.c_[y >= LARGE_FROM, y % 2 == 1]
