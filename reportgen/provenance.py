"""Where a build came from: code commit, libraries, machine. Recorded in every version."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from reportgen import __version__

LIBRARIES = ("scikit-learn", "numpy", "scipy", "matplotlib", "jinja2", "weasyprint", "joblib")


@dataclass(frozen=True)
class Provenance:
    reportgen: str
    commit: str  # full hash, or "unknown" outside a git checkout
    dirty: bool  # uncommitted changes in the code's checkout
    python: str
    libraries: dict
    platform: str
    cpu_count: int

    @property
    def short_commit(self) -> str:
        return self.commit[:7] if self.commit != "unknown" else "nogit"

    def as_dict(self) -> dict:
        return {**asdict(self), "short_commit": self.short_commit}


def _git(*args: str) -> str | None:
    source = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run(["git", "-C", str(source), *args], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def cpu_count() -> int:
    """The cores this process may use (its affinity, not the machine's total)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores or 1


def blas() -> str:
    """The BLAS numpy computes with and the CPU kernel it chose: dot products can differ in
    their last bits from one CPU to another, so a version says which one it ran on."""
    import numpy  # noqa: F401  (loads the BLAS threadpoolctl describes)
    from threadpoolctl import threadpool_info

    found = [f"{info['internal_api']} {info['version']}"
             + (f", {info['architecture']} kernels" if info.get("architecture") else "")
             for info in threadpool_info() if info.get("user_api") == "blas"]
    return "; ".join(sorted(set(found))) or "unknown"  # whatever order they were loaded in


def collect() -> Provenance:
    commit = _git("rev-parse", "HEAD") or "unknown"
    status = _git("status", "--porcelain", "--untracked-files=no") if commit != "unknown" else ""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["BLAS"] = blas()
    return Provenance(
        reportgen=__version__,
        commit=commit,
        dirty=bool(status),
        python=sys.version.split()[0],
        libraries=versions,
        platform=platform.platform(),
        cpu_count=cpu_count(),
    )
