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
    # a chapter of a project of its own: that project's folder and the commit of its checkout
    # (what changed between two of its versions is mostly there, not in reportgen)
    project: str | None = None
    project_commit: str | None = None  # "unknown" outside a git checkout
    project_dirty: bool | None = None

    @property
    def short_commit(self) -> str:
        """What a version id names: the project's commit, or reportgen's for its own chapter."""
        commit = self.project_commit if self.project is not None else self.commit
        return commit[:7] if commit and commit != "unknown" else "nogit"

    def as_dict(self) -> dict:
        return {**asdict(self), "short_commit": self.short_commit}


def _git(*args: str, folder: Path | None = None) -> str | None:
    source = folder or Path(__file__).resolve().parent.parent
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


def _checkout(folder: Path | None = None) -> tuple[str, bool]:
    """The commit of the git checkout holding `folder` (reportgen's own by default), and
    whether its tracked files have uncommitted changes."""
    commit = _git("rev-parse", "HEAD", folder=folder) or "unknown"
    status = _git("status", "--porcelain", "--untracked-files=no", folder=folder) \
        if commit != "unknown" else ""
    return commit, bool(status)


def collect(project: Path | None = None) -> Provenance:
    """Where a build comes from; `project`: the folder of the chapter's own project (None for
    the built-in chapter)."""
    commit, dirty = _checkout()
    project_commit, project_dirty = _checkout(Path(project)) if project else (None, None)
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
        dirty=dirty,
        python=sys.version.split()[0],
        libraries=versions,
        platform=platform.platform(),
        cpu_count=cpu_count(),
        project=str(project) if project else None,
        project_commit=project_commit,
        project_dirty=project_dirty,
    )
