"""Release environments: one isolated Python environment per set of pinned library releases.

The chapter's numbers depend on the scikit-learn release that computes them (and sometimes on
numpy's), so reportgen runs the chapter in an environment per release: made once under the
cache (`<cache>/environments/<name>`), with the pinned releases, their binary wheels only, and
this same reportgen in it (checked: the environment's reportgen must have this one's code
digest), then reused. It is made by uv when uv is installed (a dependency of reportgen: fast,
and its resolver picks a wheel for this Python) and by venv + pip otherwise.

An environment is made in a hidden staging folder beside its final place and renamed into
place whole once it has been verified, so a failed or interrupted creation leaves nothing
half-made. Every failure is one line: a release with no wheel for this Python, no package index
reachable with no cached environment, an environment broken since it was made.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from reportgen.errors import ReportgenError
from reportgen.interrupts import run_child
from reportgen.places import cache_root

# The libraries an environment pins; everything else is what the resolver picks for them.
PINNABLE = ("scikit-learn", "numpy")
MARKER = "reportgen-environment.json"  # written last: an environment without it is not one
RELEASE_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(\.post[0-9]+)?$")  # ASCII digits, X.Y.Z
MINOR_RE = re.compile(r"^[0-9]+\.[0-9]+$")
MAX_MINORS = 30  # the most minor releases one --releases range may span
STAGING_PREFIX = ".staging-"
INSTALL_TIMEOUT = 1800  # seconds: a slow index, not a hung one
PROBE_TIMEOUT = 300

# What an environment's Python prints about itself: the versions and code that decide numbers.
_PROBE = (
    "import json; from reportgen.engine.cache import code_fingerprint as f;"
    " print(json.dumps({'code': f()['code'], 'libraries': f()['libraries']}))"
)


@dataclass(frozen=True)
class Pins:
    """The releases an environment is made with: scikit-learn's, and numpy's where asked."""

    scikit_learn: str
    numpy: str | None = None

    def __post_init__(self) -> None:
        for library, release in (("scikit-learn", self.scikit_learn), ("numpy", self.numpy)):
            if release is not None and not RELEASE_RE.match(release):
                shown = release if len(release) <= 40 else release[:37] + "..."
                raise ReportgenError(f"{shown!r} is not a {library} release: give one like"
                                     " 1.5.2 (see `pip index versions " + library + "`)")

    @property
    def releases(self) -> dict[str, str]:
        return {name: release for name, release in
                (("scikit-learn", self.scikit_learn), ("numpy", self.numpy)) if release}

    @property
    def label(self) -> str:
        """What a reader calls it: "scikit-learn 1.5.2" or "scikit-learn 1.5.2, numpy 2.0.2"."""
        return ", ".join(f"{name} {release}" for name, release in self.releases.items())

    @property
    def name(self) -> str:
        """Its folder name: the Python it runs on and the pins, e.g. py3.11-scikit-learn-1.5.2."""
        python = f"py{sys.version_info.major}.{sys.version_info.minor}"
        return "-".join([python] + [f"{n}-{r}" for n, r in self.releases.items()])

    def requirements(self) -> list[str]:
        return [f"{name}=={release}" for name, release in self.releases.items()]


@dataclass(frozen=True)
class ReleaseEnvironment:
    """A verified environment: where it is, what it pins, and the versions found in it."""

    path: Path
    pins: Pins
    libraries: dict[str, str]
    manager: str

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def reportgen(self, *args: str) -> list[str]:
        """The command that runs this reportgen inside the environment."""
        return [str(self.python), "-P", "-m", "reportgen", *args]  # -P: not the cwd's copy


def environments_root() -> Path:
    return cache_root() / "environments"


def supported_range() -> str:
    """The scikit-learn releases this reportgen declares it works with (its pyproject's
    requirement), e.g. ">=1.5"; "" when installed without metadata."""
    try:
        requirements = metadata.requires("reportgen") or []
    except metadata.PackageNotFoundError:
        return ""
    for requirement in requirements:
        found = re.match(r"^scikit-learn\s*([<>=!~][^;]*)", requirement)
        if found:
            return found.group(1).replace(" ", "")
    return ""


def release_tuple(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", release.split(".post")[0]))


def _refuse_unsupported(pins: Pins) -> None:
    """A release below the declared range cannot have this reportgen installed beside it: say
    so, rather than leave it to the resolver's paragraph."""
    lower = re.search(r">=\s*([\d.]+)", supported_range())
    if lower and release_tuple(pins.scikit_learn) < release_tuple(lower.group(1)):
        raise ReportgenError(f"scikit-learn {pins.scikit_learn} is older than the releases this"
                             f" reportgen supports (scikit-learn{supported_range()}, its"
                             " pyproject.toml); choose a release in that range")


def ensure_environment(pins: Pins, log: Callable[[str], None] = lambda m: None,
                       manager: str | None = None) -> ReleaseEnvironment:
    """The environment for `pins`: reused when it exists and still holds this reportgen and
    the pinned releases; else made anew (atomically). `manager` forces "uv" or "venv"."""
    _refuse_unsupported(pins)
    root = environments_root()
    clear_abandoned()
    final = root / pins.name
    if (final / MARKER).is_file() and not final.is_symlink():
        marker = _read_marker(final)
        if not marker:
            raise ReportgenError(f"the environment {pins.name} is damaged (its {MARKER} is not"
                                 f" what reportgen wrote); remove it with `reportgen env remove"
                                 f" {pins.name}` and try again")
        try:
            return _verified(final, pins, marker["manager"])
        except _Stale as stale:
            log(f"environment {pins.name} {stale}; making it anew")
            _remove_folder(final)
        except ReportgenError as broken:
            raise ReportgenError(f"{broken}; remove it with `reportgen env remove {pins.name}`"
                                 " and try again") from None
    elif final.exists() or final.is_symlink():
        raise ReportgenError(f"{final} is not an environment reportgen made (a link, or no"
                             f" {MARKER}); remove it with `reportgen env remove {pins.name}`")
    return _create(root, pins, log, manager or ("uv" if _uv() else "venv"))


class _Stale(Exception):
    """An environment that works but holds another reportgen: made anew, not refused."""


def _create(root: Path, pins: Pins, log: Callable[[str], None], manager: str) -> ReleaseEnvironment:
    staging = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        # Named with this process's id, so that a later run can tell an abandoned one.
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-{pins.name}-",
                                        dir=root))
        log(f"making the environment for {pins.label} with {manager} (once; it is reused)")
        _make(staging, pins, manager)
        environment = _verified(staging, pins, manager, log)
        marker = {"pins": pins.releases, "libraries": environment.libraries, "manager": manager,
                  "python": sys.version.split()[0],
                  "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        (staging / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
        final = root / pins.name
        try:
            os.rename(staging, final)
        except OSError:  # another process made it meanwhile: use theirs
            if not (final / MARKER).is_file():
                raise
        return _verified(final, pins, manager)
    except _Stale as stale:
        raise ReportgenError(f"the environment made for {pins.label} {stale}: install"
                             " reportgen from its source folder, or remove the environment"
                             f" (`reportgen env remove {pins.name}`)") from None
    except OSError as exc:
        raise ReportgenError(f"cannot make the environment for {pins.label} under {root}:"
                             f" {exc.strerror or exc}; free some space, or set"
                             " $REPORTGEN_CACHE to a folder you can write to") from None
    finally:
        if staging is not None:
            _remove_folder(staging)


def _uv() -> str | None:
    """The uv executable: the one the `uv` wheel installed beside this Python, else PATH's."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def _base_python() -> str:
    """The interpreter environments are made from: this one's base, not its virtualenv."""
    return getattr(sys, "_base_executable", None) or sys.executable


def this_reportgen() -> list[str]:
    """What installs this same reportgen elsewhere: its source folder (editable when this one
    is), else its release from the package index."""
    # Every reportgen distribution on the path: in its source folder, the `reportgen.egg-info`
    # of an editable install comes first when that folder is on the path (pytest's rootdir),
    # and only the installed one knows where it came from.
    distributions = list(metadata.distributions(name="reportgen"))
    for distribution in distributions:
        direct = distribution.read_text("direct_url.json")
        if direct:
            info = json.loads(direct)
            url = urlparse(info.get("url", ""))
            if url.scheme == "file":
                source = unquote(url.path)
                return ["-e", source] if info.get("dir_info", {}).get("editable") else [source]
    return [f"reportgen=={metadata.version('reportgen')}"]


def _make(folder: Path, pins: Pins, manager: str) -> None:
    wheels_only = ["scikit-learn", "numpy", "scipy"]
    packages = [*pins.requirements(), *this_reportgen()]
    if manager == "uv":
        uv = _uv()
        if uv is None:
            raise ReportgenError("uv is not installed: `pip install uv`, or use venv")
        _call([uv, "venv", "--quiet", "--relocatable", "--python", _base_python(), str(folder)],
              pins)
        _call([uv, "pip", "install", "--quiet", "--python", str(folder / "bin" / "python"),
               *(f"--only-binary={name}" for name in wheels_only), *packages], pins)
    else:
        _call([_base_python(), "-m", "venv", str(folder)], pins)
        _call([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet",
               "--disable-pip-version-check", f"--only-binary={','.join(wheels_only)}",
               *packages], pins)


_NO_WHEEL = ("no wheels", "no matching distribution", "no solution found", "unsatisfiable",
             "could not find a version", "not found in the package registry", "no versions of")
_NO_INDEX = ("failed to fetch", "error sending request", "dns error", "connection refused",
             "could not connect", "network is unreachable", "temporary failure in name",
             "failed to establish", "connecterror", "timed out", "offline")


def _call(command: list[str], pins: Pins) -> None:
    """Run one step of making an environment; its failure as one line that says which."""
    try:
        done = run_child(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                         stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONNOUSERSITE": "1"})
    except subprocess.TimeoutExpired:
        raise ReportgenError(f"making the environment for {pins.label} took more than"
                             f" {INSTALL_TIMEOUT} s ({Path(command[0]).name}); is the package"
                             " index slow or unreachable?") from None
    except OSError as exc:
        raise ReportgenError(f"cannot run {command[0]}: {exc.strerror or exc}") from None
    if done.returncode == 0:
        return
    text = (done.stderr or done.stdout).strip()
    lower = text.lower()
    detail = _first_reason(text)
    if "no space left on device" in lower or "disk quota exceeded" in lower:
        raise ReportgenError(f"no space left on the device making the environment for"
                             f" {pins.label} under {environments_root()}; free some space or"
                             " set $REPORTGEN_CACHE, and try again (nothing half-made was kept)")
    if any(sign in lower for sign in _NO_INDEX):
        raise ReportgenError(f"no package index reachable to make the environment for"
                             f" {pins.label}, and none is cached ({detail}); connect to PyPI"
                             " (or set UV_INDEX_URL / PIP_INDEX_URL) and try again")
    if any(sign in lower for sign in _NO_WHEEL):
        raise ReportgenError(f"{pins.label}: no such release with a wheel for Python"
                             f" {sys.version_info.major}.{sys.version_info.minor} on this"
                             f" platform ({detail}); choose another release")
    raise ReportgenError(f"making the environment for {pins.label} failed ({detail})")


def _first_reason(text: str) -> str:
    """The line of an error that says what went wrong, shortened for one line: the deepest
    "Caused by" of uv's chain (the root cause), the last line of a Python traceback (the
    exception; its first only says that a traceback follows), else the first line."""
    lines = [line.strip(" ×╰─▶│") for line in text.splitlines() if line.strip(" ×╰─▶│")]
    useful = [line for line in lines if not line.lower().startswith(("hint", "help", "note"))]
    causes = [line.removeprefix("Caused by:").strip() for line in useful
              if line.startswith("Caused by:")]
    if not causes and "Traceback (most recent call last):" in useful:
        causes = useful[-1:]
    reason = (causes[-1:] or useful or lines or ["no message"])[0]
    reason = reason.removeprefix("error: ").removeprefix("ERROR: ")
    return reason if len(reason) <= 200 else reason[:197] + "..."


def _verified(folder: Path, pins: Pins, manager: str,
              log: Callable[[str], None] = lambda m: None) -> ReleaseEnvironment:
    """The environment in `folder`, once its Python has shown the pinned releases and this
    reportgen's code; a broken one is one line, one with another reportgen is `_Stale`."""
    from reportgen.engine.cache import code_fingerprint

    python = folder / "bin" / "python"
    try:
        done = run_child([str(python), "-c", _PROBE], capture_output=True, text=True,
                         timeout=PROBE_TIMEOUT, stdin=subprocess.DEVNULL, cwd=folder,
                         env={**os.environ, "PYTHONNOUSERSITE": "1"})
        found = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        done, found = None, None
    if not isinstance(found, dict) or not isinstance(found.get("libraries"), dict):
        why = _first_reason(done.stderr) if done is not None and done.stderr else "it does not run"
        raise ReportgenError(f"the environment {folder.name} for {pins.label} is broken ({why})")
    libraries = found["libraries"]
    for name, release in pins.releases.items():
        if libraries.get(name) != release:
            raise ReportgenError(f"the environment {folder.name} has {name}"
                                 f" {libraries.get(name)}, not the pinned {release}")
    if found.get("code") != code_fingerprint()["code"]:
        raise _Stale("holds another reportgen (its code differs from this one's)")
    return ReleaseEnvironment(folder, pins, libraries, manager)


def _read_marker(folder: Path) -> dict:
    """An environment's marker, or {} when it is missing or not what reportgen wrote."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    def strings(value) -> bool:
        return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in value.items())
    valid = (isinstance(marker, dict) and strings(marker.get("pins"))
             and strings(marker.get("libraries")) and marker.get("manager") in ("uv", "venv"))
    return marker if valid else {}


def list_environments() -> list[dict]:
    """Every environment under the cache: its name, pins, library versions, size on disk."""
    root = environments_root()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(STAGING_PREFIX):
            continue
        marker = {} if folder.is_symlink() or not folder.is_dir() else _read_marker(folder)
        found.append({"name": folder.name, "path": str(folder), "complete": bool(marker),
                      "pins": marker.get("pins", {}), "libraries": marker.get("libraries", {}),
                      "manager": marker.get("manager"), "created_utc": marker.get("created_utc"),
                      "bytes": _size(folder) if marker else 0})
    return found


def remove_environment(name: str) -> Path:
    """Remove one environment by its name (as `list_environments` gives it)."""
    if not name or "/" in name or name.startswith(".") or name in ("..",):
        raise ReportgenError(f"{name!r} is not an environment name: see `reportgen env list`")
    folder = environments_root() / name
    if not folder.exists() and not folder.is_symlink():
        raise ReportgenError(f"no environment {name!r} under {environments_root()}; see"
                             " `reportgen env list`")
    try:  # a link or a stray file in an environment's place goes too, never what it points to
        if folder.is_symlink() or not folder.is_dir():
            folder.unlink()
        else:
            shutil.rmtree(folder)
    except OSError as exc:
        raise ReportgenError(f"could not remove {folder} ({exc.strerror or exc}); it may be"
                             " half removed: `reportgen env remove` it again once you can write"
                             " there") from None
    return folder


def process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_STAGING_RE = re.compile(rf"^{re.escape(STAGING_PREFIX)}(\d+)-(.+)-[^-]+$")


def _staging_folders() -> list[tuple[Path, re.Match | None]]:
    """Every staging folder under the environments, with its name parsed (None: not one
    `_create` names: the creating process's id, the environment's name, mkdtemp's suffix)."""
    root = environments_root()
    if not root.is_dir():
        return []
    return [(folder, _STAGING_RE.match(folder.name)) for folder in sorted(root.iterdir())
            if folder.name.startswith(STAGING_PREFIX) and folder.is_dir()]


def clear_abandoned() -> list[Path]:
    """Remove the staging folders of creations whose process is gone (killed mid-install);
    one still being filled by a running process is left alone."""
    removed = []
    for folder, found in _staging_folders():
        if found is None or not process_running(int(found.group(1))):
            _remove_folder(folder)
            removed.append(folder)
    return removed


def being_made() -> list[tuple[str, int]]:
    """The environments a running process is making now: each one's name and that process."""
    return [(found.group(2), int(found.group(1))) for _, found in _staging_folders()
            if found is not None and process_running(int(found.group(1)))]


def _remove_folder(folder: Path) -> None:
    """Clean-up on a failure path: best effort, never an error of its own."""
    if folder.is_symlink():
        folder.unlink()
    else:
        shutil.rmtree(folder, ignore_errors=True)


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:
            pass
    return total


def newest_patches(first: str, last: str, python: str | None = None) -> list[str]:
    """The newest patch release, with a wheel for this Python, of every minor release of
    scikit-learn from `first` to `last` (e.g. "1.5" and "1.9"), asked of the package index
    through uv's resolver; a minor release with no such wheel is left out."""
    if not (MINOR_RE.match(first) and MINOR_RE.match(last)):
        raise ReportgenError(f"--releases {first[:20]}:{last[:20]} is not a range of minor"
                             " releases: give FIRST:LAST, e.g. 1.5:1.9")
    start, stop = release_tuple(first), release_tuple(last)
    if start[0] != stop[0] or start > stop or stop[1] - start[1] >= MAX_MINORS:
        raise ReportgenError(f"--releases {first}:{last} is not a range of at most {MAX_MINORS}"
                             " minor releases of one major release, e.g. 1.5:1.9")
    uv = _uv()
    if uv is None:
        raise ReportgenError("finding releases needs uv (`pip install uv`); or name them with"
                             " --scikit-learn")
    python = python or f"{sys.version_info.major}.{sys.version_info.minor}"
    found = []
    for minor in range(start[1], stop[1] + 1):
        requirement = f"scikit-learn>={start[0]}.{minor},<{start[0]}.{minor + 1}"
        try:
            done = run_child(
                [uv, "pip", "compile", "-", "--quiet", "--no-deps", "--no-header",
                 "--no-annotate", "--python-version", python, "--only-binary=scikit-learn"],
                input=requirement + "\n", capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportgenError(f"cannot ask the package index for scikit-learn releases"
                                 f" ({exc})") from None
        pinned = re.search(r"^scikit-learn==(\S+)", done.stdout, re.MULTILINE)
        if pinned:
            found.append(pinned.group(1))
        elif any(sign in done.stderr.lower() for sign in _NO_INDEX):
            raise ReportgenError(f"no package index reachable to list scikit-learn releases"
                                 f" ({_first_reason(done.stderr)}); name them with"
                                 " --scikit-learn, or connect to PyPI")
    if not found:
        raise ReportgenError(f"no scikit-learn release from {first} to {last} has a wheel for"
                             f" Python {python}")
    return found
