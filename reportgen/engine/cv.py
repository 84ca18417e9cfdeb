"""Cross-validation as tasks: one task per fold fit, and a cheap step that joins their outputs.

The chapter calls cross_val_score, cross_val_predict and cross_val_predict(method=
"decision_function") on the same estimator and folds: three times the same fits. Here each fold
is fitted once, as its own task (so the folds of one experiment run side by side, on this
machine or a cluster), and accuracy, predictions and scores are derived from that one fit.
Tests prove the numbers equal sklearn's separate calls, to the bit.

A section declares a cross-validation with `Section.cross_validation(...)`; its fold tasks are
registered experiments named `<name>.fold<i>`, and the experiment that needs them lists
`cv.tasks` in its `depends_on` and joins their results with `join_folds`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv

from reportgen.engine.registry import Experiment
from reportgen.engine.repeats import UNSHUFFLED_SPLIT_SEED, current_repeat, reseeded
from reportgen.engine.threads import fit

METHODS = ("predict", "decision_function", "predict_proba")


@dataclass(frozen=True)
class CrossValidation:
    """One cross-validated computation of the chapter: which estimator, on which training data,
    with which folds, asked for which outputs.

    `estimator()` makes a fresh unfitted estimator; `training_data(inputs)` returns the (X, y)
    the chapter cross-validates (scaled images, the 5-detector's target...); `folds` is a number
    (sklearn's default folds for it: StratifiedKFold for a classifier) or a function returning a
    splitter (the chapter's shuffled StratifiedKFold).
    """

    name: str
    estimator: Callable[[], object]
    training_data: Callable[[object], tuple[np.ndarray, np.ndarray]]
    folds: int | Callable[[], object] = 3
    methods: tuple[str, ...] = ("predict",)

    def __post_init__(self) -> None:
        unknown = set(self.methods) - set(METHODS)
        if unknown or not self.methods:
            raise ValueError(f"{self.name}: methods must be among {METHODS},"
                             f" got {self.methods}")

    @property
    def n_folds(self) -> int:
        return self.folds if isinstance(self.folds, int) else self.folds().get_n_splits()

    @property
    def tasks(self) -> tuple[str, ...]:
        """The names of the fold tasks, in fold order."""
        return tuple(f"{self.name}.fold{i}" for i in range(self.n_folds))

    def splitter(self, y: np.ndarray, estimator: object):
        return splitter_for(self.folds if isinstance(self.folds, int) else self.folds(), y,
                            classifier=is_classifier(estimator))

    def call(self) -> str:
        """The scikit-learn calls the fold tasks stand for, as a reader would write them: the
        same folds, a clone of the estimator fitted on each, every output joined in order."""
        def name(function: Callable) -> str:
            return getattr(function, "__name__", repr(function))

        folds = self.folds if isinstance(self.folds, int) else f"{name(self.folds)}()"
        lines = ["# one task per fold, joined in the folds' order:",
                 f"X, y = {name(self.training_data)}(data)"]
        lines += [f"cross_val_predict({name(self.estimator)}(), X, y, cv={folds}"
                  + ("" if method == "predict" else f', method="{method}"') + ")"
                  for method in self.methods]
        return "\n".join(lines)

    def settings(self, index: int) -> str:
        """What the fold's cache key knows besides code: which fold of which split, which
        outputs (the splitter's repr carries its seed)."""
        folds = self.folds if isinstance(self.folds, int) else repr(self.folds())
        return f"fold {index} of {folds}; methods {self.methods}"


def splitter_for(folds: int | object, y: np.ndarray, classifier: bool):
    """sklearn's splitter for `folds` (what `cv=folds` means to cross_val_score); in a repeat
    other than the chapter's, an unshuffled one is shuffled with the repeat's seed, so every
    repeat draws its own split (a shuffled splitter reseeds itself through `reseeded`)."""
    splitter = check_cv(folds, y, classifier=classifier)
    if current_repeat() and getattr(splitter, "shuffle", True) is False:
        splitter = type(splitter)(n_splits=splitter.get_n_splits(), shuffle=True,
                                  random_state=reseeded(UNSHUFFLED_SPLIT_SEED))
    return splitter


@dataclass
class FoldResult:
    """What one fold's fit says about its held-out images (positions in the training data)."""

    test_index: np.ndarray
    accuracy: float | None  # of predict on the held-out images: cross_val_score's "accuracy"
    predict: np.ndarray | None
    decision_function: np.ndarray | None
    predict_proba: np.ndarray | None


def fit_fold(data: object, cv: CrossValidation, index: int) -> FoldResult:
    """Fit fold `index` of `cv` once and ask it everything the chapter asks of it."""
    X, y = cv.training_data(data)
    estimator = cv.estimator()
    train_index, test_index = list(cv.splitter(y, estimator).split(X, y))[index]
    fitted = fit(clone(estimator), X[train_index], y[train_index])  # predictions: one thread
    X_held_out = X[test_index]
    outputs = {method: getattr(fitted, method)(X_held_out) if method in cv.methods else None
               for method in METHODS}
    predicted = outputs["predict"]
    accuracy = None if predicted is None else float(np.mean(predicted == y[test_index]))
    return FoldResult(test_index=test_index, accuracy=accuracy, **outputs)


@dataclass
class FoldOutputs:
    fold_accuracy: list[float | None]  # cross_val_score(..., scoring="accuracy")
    predictions: np.ndarray | None  # cross_val_predict(...)
    decision_scores: np.ndarray | None  # cross_val_predict(..., method="decision_function")
    probabilities: np.ndarray | None  # cross_val_predict(..., method="predict_proba")


def _joined(folds: Sequence[FoldResult], method: str) -> np.ndarray | None:
    parts = [getattr(fold, method) for fold in folds]
    if any(part is None for part in parts):
        return None
    n = sum(len(fold.test_index) for fold in folds)
    joined = np.empty((n,) + parts[0].shape[1:], dtype=parts[0].dtype)
    for fold, part in zip(folds, parts, strict=True):
        joined[fold.test_index] = part
    return joined


def join_folds(folds: Sequence[FoldResult]) -> FoldOutputs:
    """The fold tasks' results (in fold order) as the chapter's three calls would give them."""
    return FoldOutputs(
        fold_accuracy=[fold.accuracy for fold in folds],
        predictions=_joined(folds, "predict"),
        decision_scores=_joined(folds, "decision_function"),
        probabilities=_joined(folds, "predict_proba"),
    )


def fit_folds(estimator, X, y, cv: int = 3, decision_function: bool = False) -> FoldOutputs:
    """Every fold in this process, one after the other: for tests and benchmarks that time the
    fit-once design itself, outside the task engine."""
    methods = ("predict", "decision_function") if decision_function else ("predict",)
    plan = CrossValidation("inline", lambda: estimator, lambda data: (X, y), cv, methods)
    return join_folds([fit_fold(None, plan, i) for i in range(plan.n_folds)])


def cross_validation_tasks(cv: CrossValidation, cost: float = 1.0,
                           threads: int = 1) -> list[Experiment]:
    """One task per fold of `cv`: each fits one fold, reshuffled in every repeat, on up to
    `threads` threads (see engine.threads)."""
    code = tuple(f for f in (fit_fold, cv.estimator, cv.training_data, cv.folds) if callable(f))
    return [Experiment(name, functools.partial(fit_fold, cv=cv, index=index), FoldResult, (),
                       cost, code=code, settings=cv.settings(index), reshuffles=True,
                       threads=threads,
                       shown_as=(f"{cv.name} (cross-validated)", cv.call()))
            for index, name in enumerate(cv.tasks)]
