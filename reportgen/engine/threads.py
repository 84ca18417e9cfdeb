"""The threads a task's fits may use: the scheduling policy gives them (`engine.schedule`), the
fits that can use them with the same numbers take them.

Two of the chapter's estimators fit independent pieces and draw every piece's seed before
fitting them side by side: scikit-learn's one-versus-rest SGD (one binary SGD per class) and the
random forest (one tree per seed). Their numbers do not depend on how many threads fit the
pieces; tests prove it to the bit. An experiment says how many pieces it has (`threads=` on
`Section.experiment` or `Section.cross_validation`: the most threads that can help it; 1, the
default, for anything not proven, KNN among them) and fits inside `task_threads()`.

Predictions always run on one thread, outside that context: a forest's probabilities are sums
over its trees, added in the order the threads finish them (scikit-learn's
`_accumulate_prediction`, read in its source; whether that changes a bit was not measured, one
thread simply rules it out). BLAS stays on one thread in every
task (`engine.schedulers.execute_task`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from joblib import parallel_config

_given = threading.local()  # per thread: a Dask worker runs several tasks at once


def given_threads() -> int:
    """How many threads the running task was given (1 outside a task)."""
    return getattr(_given, "threads", 1)


@contextmanager
def running_with(threads: int) -> Iterator[None]:
    """The engine's side: the task running in this thread was given `threads`."""
    before = given_threads()
    _given.threads = max(1, int(threads))
    try:
        yield
    finally:
        _given.threads = before


@contextmanager
def task_threads() -> Iterator[None]:
    """The fit's side: scikit-learn's parallel loops (an estimator left at n_jobs=None) run on
    the threads the task was given."""
    with parallel_config(backend="threading", n_jobs=given_threads()):
        yield


def fit(estimator, X, y):
    """`estimator.fit(X, y)` on the task's threads; the fitted estimator."""
    with task_threads():
        return estimator.fit(X, y)
