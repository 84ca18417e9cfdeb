"""The result cache: one entry per experiment and inputs, written atomically, verified on read.

The key hashes everything a result depends on: the dataset's checksum, the profile's sizes,
the experiment's code, the versions of the libraries that compute it, and the keys of the results
it depends on. Change any of these and the entry is simply not found.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import joblib
import numpy as np
import scipy
import sklearn

from reportgen.engine.registry import Experiment
from reportgen.engine.results_io import CorruptResult, result_from_bytes, result_to_bytes
from reportgen.storage import atomic_write, cache_root

LIBRARY_VERSIONS = {
    "scikit-learn": sklearn.__version__,
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "joblib": joblib.__version__,
}


def result_key(
    experiment: Experiment, dataset_checksum: str, profile: dict, dependency_keys: list[str]
) -> str:
    material = {
        "experiment": experiment.name,
        "dataset": dataset_checksum,
        "profile": {k: v for k, v in profile.items() if k != "name"},
        "code": experiment.code_digest(),
        "libraries": LIBRARY_VERSIONS,
        "depends_on": dependency_keys,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


class ResultCache:
    def __init__(self, root: Path | None = None):
        self.root = root or cache_root() / "results"

    def path(self, experiment: Experiment, key: str) -> Path:
        return self.root / experiment.name / f"{key[:32]}.npz"

    def get(self, experiment: Experiment, key: str, log=lambda message: None):
        """The stored (result, seconds, warnings, peak_rss), or None; a corrupt entry is
        reported and removed."""
        path = self.path(experiment, key)
        if not path.exists():
            return None
        try:
            result, extra = result_from_bytes(path.read_bytes(), experiment.result_type)
            if extra.get("key") != key:
                raise CorruptResult("stored under another key")
        except CorruptResult as exc:
            log(f"cached {experiment.name} at {path} is corrupt ({exc}); recomputing")
            path.unlink(missing_ok=True)
            return None
        return (result, float(extra["seconds"]), list(extra.get("warnings", [])),
                extra.get("peak_rss"))

    def put(
        self, experiment: Experiment, key: str, result, seconds: float, warnings: list[str],
        peak_rss: int | None = None,
    ) -> None:
        """Store a result with what it cost (time, peak memory) and the warnings it raised."""
        extra = {"key": key, "seconds": seconds, "warnings": warnings, "peak_rss": peak_rss}
        raw = result_to_bytes(result, extra=extra)
        atomic_write(self.path(experiment, key), lambda tmp: tmp.write_bytes(raw))
