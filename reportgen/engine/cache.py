"""The result cache: one entry per experiment and inputs, written atomically, verified on read.

The key hashes everything a result depends on: the dataset's checksum, the profile's sizes,
the experiment's code, the versions of the libraries that compute it (and the BLAS kernel), and
the keys of the results it depends on. Change any of these and the entry is simply not found.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from pathlib import Path

import joblib
import numpy as np
import scipy
import sklearn

from reportgen.engine.registry import Experiment
from reportgen.engine.results_io import CorruptResult, result_from_bytes, result_to_bytes
from reportgen.places import cache_root
from reportgen.provenance import blas
from reportgen.storage import atomic_write

# What computes the numbers, in every cache key and every process's fingerprint. The BLAS and
# the CPU kernel it chose are part of it: measured on full MNIST, the 5-detector's decision
# score for the first digit is 2164.2203023926586 with OpenBLAS's Haswell kernels and
# 2164.2203023926595 with its SkylakeX kernels, same code and versions (OPENBLAS_CORETYPE
# picks one), so a result computed on another CPU is not this machine's number.
LIBRARY_VERSIONS = {
    "scikit-learn": sklearn.__version__,
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "joblib": joblib.__version__,
    "BLAS": blas(),
}


@functools.cache
def code_fingerprint() -> dict:
    """What decides this process's numbers beyond the inputs: every source file of reportgen
    and the library versions. Two processes with equal fingerprints compute equal results."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    code = digest.hexdigest()
    summary = ", ".join(f"{name} {version}" for name, version in LIBRARY_VERSIONS.items())
    return {"code": code, "libraries": LIBRARY_VERSIONS,
            "summary": f"reportgen code {code[:12]}, {summary}"}


def fingerprint_difference(theirs: dict | None, here: dict) -> str:
    """How another process's `code_fingerprint` differs from `here`, for one line of an error
    ("scikit-learn 1.6.1 there, 1.9.1 here"); "" when they are equal. None: a reportgen too
    old to tell."""
    if theirs is None:
        return "a reportgen there too old to report its code and library versions"
    libraries = theirs.get("libraries", {})
    differ = [f"{name} {libraries.get(name, 'missing')} there, {version} here"
              for name, version in here["libraries"].items() if libraries.get(name) != version]
    if theirs.get("code") != here["code"]:
        differ.append(f"reportgen code {str(theirs.get('code'))[:12]} there,"
                      f" {here['code'][:12]} here")
    return ", ".join(differ)


def result_key(
    experiment: Experiment, dataset_checksum: str, profile: dict, dependency_keys: list[str],
    code_digest: str | None = None,
) -> str:
    """The cache key of `experiment`'s result (`code_digest`: its `code_digest()`, when the
    caller has it already)."""
    material = {
        "experiment": experiment.name,
        "dataset": dataset_checksum,
        "profile": {k: v for k, v in profile.items() if k != "name"},
        "code": code_digest or experiment.code_digest(),
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
        """The stored (result, seconds, warnings, peak_rss, threads), or None; a corrupt entry
        is reported and removed."""
        path = self.path(experiment, key)
        if not path.exists() and not path.is_symlink():
            return None
        try:
            if path.is_symlink() or not path.is_file():  # never read a device or FIFO
                raise CorruptResult("not a regular file")
            result, extra = result_from_bytes(path.read_bytes(), experiment.result_type)
            if extra.get("key") != key:
                raise CorruptResult("stored under another key")
        except (CorruptResult, OSError) as exc:
            log(f"cached {experiment.name} at {path} is corrupt ({exc}); recomputing")
            _remove(path)
            return None
        return (result, float(extra["seconds"]), list(extra.get("warnings", [])),
                extra.get("peak_rss"), int(extra.get("threads", 1)))

    def put(
        self, experiment: Experiment, key: str, result, seconds: float, warnings: list[str],
        peak_rss: int | None = None, threads: int = 1,
    ) -> None:
        """Store a result with what it cost (time on `threads` threads, peak memory) and the
        warnings it raised."""
        extra = {"key": key, "seconds": seconds, "warnings": warnings, "peak_rss": peak_rss,
                 "threads": threads}
        raw = result_to_bytes(result, extra=extra)
        atomic_write(self.path(experiment, key), lambda tmp: tmp.write_bytes(raw))

    # -- how long each task took when last computed: the runner starts the longest first ------
    def _durations_path(self) -> Path:
        return self.root / "durations.json"

    def durations(self, scope: str) -> dict[str, dict[int, float]]:
        """Seconds each task took when last computed in `scope` (a dataset and profile), by the
        number of threads it ran on (a number alone, as older releases kept it: one thread);
        empty when unknown or unreadable (it only plans work, it never changes a number)."""
        try:
            stored = json.loads(self._durations_path().read_text()).get(scope, {})
            return {name: _by_threads(value) for name, value in stored.items()}
        except (OSError, ValueError, AttributeError, TypeError):
            return {}

    def remember_durations(self, scope: str,
                           measured: dict[str, tuple[int, float]]) -> None:
        """Keep each task's (threads, seconds) of this run beside those of other thread counts."""
        if not measured:
            return
        path = self._durations_path()
        try:
            stored = json.loads(path.read_text())
            if not isinstance(stored, dict):
                stored = {}
        except (OSError, ValueError):
            stored = {}
        known = stored.get(scope, {}) if isinstance(stored.get(scope), dict) else {}
        for name, (threads, seconds) in measured.items():
            try:
                by_threads = _by_threads(known.get(name, {}))
            except (ValueError, TypeError, AttributeError):
                by_threads = {}
            by_threads[int(threads)] = float(seconds)
            known[name] = {str(k): t for k, t in sorted(by_threads.items())}
        stored[scope] = known
        text = json.dumps(stored, indent=1, sort_keys=True)
        atomic_write(path, lambda tmp: tmp.write_text(text))


def _by_threads(value) -> dict[int, float]:
    if isinstance(value, int | float):
        return {1: float(value)}
    return {int(threads): float(seconds) for threads, seconds in value.items()}


def _remove(path: Path) -> None:
    """Remove a corrupt entry, whatever it is (a file, a link, a folder in its place)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
