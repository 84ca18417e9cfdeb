"""Run inside a release environment (`python -m tests.engine.speed_proof DATA.npz`): whether
the chapter's speed settings and threads change a number on that scikit-learn release.

Prints one JSON object: the release and, per check, whether the numbers are equal to the bit.
Checks: the SVC experiment's kernel cache (the speed setting) against the chapter's `SVC()`,
and against a cache so small that libsvm recomputes nearly every kernel row; every experiment
of the chapter that may split over threads (one fold of each cross-validation), on 1 and on
3 threads.
"""

from __future__ import annotations

import dataclasses
import json
import sys

import numpy as np
import sklearn
from threadpoolctl import threadpool_limits

from reportgen.chapter import built_in
from reportgen.data import get_spec
from reportgen.engine.profiles import Inputs, Profile
from reportgen.engine.schedulers import execute_task
from reportgen.sections.multiclass import SVC_KERNEL_CACHE, svc_classifier


def same(a, b) -> bool:
    """Two results (dataclasses) or fitted SVCs equal, arrays to the bit."""
    if dataclasses.is_dataclass(a):
        a, b = dataclasses.asdict(a), dataclasses.asdict(b)
    else:
        a = {k: getattr(a, k) for k in ("dual_coef_", "support_", "intercept_")}
        b = {k: getattr(b, k) for k in a}
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def proof(X: np.ndarray, y: np.ndarray, n_train: int, threads: bool = True) -> dict:
    with threadpool_limits(1):  # as in every task
        return _proof(X, y, n_train, threads)


def _proof(X: np.ndarray, y: np.ndarray, n_train: int, threads: bool) -> dict:
    X_train, y_train = X[:n_train], y[:n_train]
    checks = {}
    chapter = svc_classifier().fit(X_train, y_train)
    fast = SVC_KERNEL_CACHE.applied(svc_classifier()).fit(X_train, y_train)
    starved = svc_classifier().set_params(cache_size=0.01).fit(X_train, y_train)
    checks["SVC(cache_size=speed setting) = SVC()"] = same(chapter, fast)
    checks["SVC(cache_size=0.01) = SVC()"] = same(chapter, starved)
    inputs = Inputs(X_train, y_train, X[n_train:], y[n_train:],
                    get_spec("mnist").features,
                    Profile("proof", n_train, len(y) - n_train))
    for name, experiment in sorted(built_in().experiments().items()):
        # one fold of each cross-validation: its other folds run the same code on other rows
        another_fold = ".fold" in name and not name.endswith(".fold0")
        if threads and experiment.threads > 1 and not another_fold:
            one, three = (execute_task(experiment, inputs, (), in_worker=False,
                                       threads=threads).result for threads in (1, 3))
            checks[f"{name} on 3 threads = on 1"] = same(one, three)
    return {"scikit-learn": sklearn.__version__, "checks": checks}


if __name__ == "__main__":
    data = np.load(sys.argv[1])
    print(json.dumps(proof(data["X"], data["y"], int(data["n_train"]))))
