"""The archive under reports/: numbered versions that only grow and describe themselves.

A build fills a hidden staging folder (`.staging-vNNNN-PID`) and is renamed into place whole, so
an interrupted or failed build leaves no version behind. The building process holds a lock on a
file inside its staging folder for as long as it runs: a staging folder whose lock can be taken
belongs to a build that is gone (killed with SIGKILL, say) and is removed by the next build or
`reportgen list`. Sequence numbers are claimed under the archive's lock, so two builds at once
get two numbers. A version is never overwritten, and no command writes into any archive but
through `new_version` (`refuse_inside_archive` guards every other output folder).

Every archive file is read here (`read_json` with a shape check), so a damaged or
hand-edited version is one line naming its file, never a traceback.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen import interrupts
from reportgen.errors import ReportgenError
from reportgen.shapes import ANY, INT, NUMBER, STR, Each, Maybe
from reportgen.shapes import problem as shape_problem
from reportgen.storage import atomic_write

if TYPE_CHECKING:
    from reportgen.record import VersionRecord

VERSION_RE = re.compile(r"^v(?P<seq>\d{4,})-(?P<stamp>\d{8}T\d{6}Z)-(?P<rest>.+)$")
STAGING_RE = re.compile(r"^\.staging-v(?P<seq>\d{4,})-(?P<pid>\d+)$")
MANIFEST = "manifest.json"
BUILDER_LOCK = ".builder.lock"  # inside a staging folder, locked by the build that fills it


@dataclass(frozen=True)
class Headline:
    """One headline metric of a version, valued from its verified metrics.json."""

    metric: str
    label: str
    value: object


@dataclass(frozen=True)
class Damaged:
    """A version folder whose manifest cannot be read: every command that does not need it
    skips it, saying this one line; one that names it gets the line as its error."""

    id: str
    path: Path
    problem: str

    @property
    def seq(self) -> int:
        return int(VERSION_RE.match(self.id)["seq"])


@dataclass(frozen=True)
class Version:
    id: str
    path: Path
    manifest: dict

    @property
    def seq(self) -> int:
        return int(VERSION_RE.match(self.id)["seq"])

    @property
    def kind(self) -> str:
        """"chapter" (a build of the chapter) or "matrix" (the chapter across releases)."""
        return self.manifest.get("kind", "chapter")

    def problem_with(self, name: str) -> str | None:
        """Why file `name` no longer matches the manifest, or None when it does."""
        path = self.path / name
        if not path.is_file():
            return "missing"
        if _sha256(path) != self.manifest.get("files", {}).get(name):
            return "changed since the build"
        return None

    @property
    def scikit_learn(self) -> str | None:
        """The scikit-learn release that computed a chapter version: in its manifest, or (for
        versions built before it was recorded there) in its render.json's provenance."""
        if "scikit_learn" in self.manifest:
            return self.manifest["scikit_learn"]
        try:
            data = json.loads((self.path / "render.json").read_text(encoding="utf-8"))
            return str(data["provenance"]["libraries"]["scikit-learn"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def headlines(self) -> list[Headline]:
        """The manifest's headline metrics with their values from the digest-checked
        metrics.json; a manifest whose headline says another value was changed since the
        build (nothing checks the manifest itself) and is refused in one line."""
        metrics = self.record().metrics
        labels = self.manifest.get("headline_labels", {})
        found = []
        for name, claimed in self.manifest.get("headlines", {}).items():
            value = metrics.get(name)
            if name not in metrics or json.dumps(claimed) != json.dumps(value):
                raise ReportgenError(
                    f"{self.path / MANIFEST}: headline {name} = {claimed!r}, but metrics.json"
                    f" says {value!r}: the manifest was changed since the build; restore"
                    f" {self.id} from git or build anew")
            found.append(Headline(name, labels.get(name, name), value))
        return found

    def record(self) -> VersionRecord:
        """What the version measured (its metrics.json, decoded), refused if the file no longer
        matches the manifest's digest or is not a version record."""
        if self.kind == "matrix":
            raise ReportgenError(f"{self.id} is a release matrix, not a build of the chapter:"
                                 f" `reportgen show {self.id}` summarises it, and its report"
                                 " compares the releases")
        return read_record(self.path / "metrics.json", self)

    def read_json(self, name: str, shape: dict[str, tuple[type, ...]]) -> dict:
        """One JSON file of the version: checked against the manifest, then against `shape`
        (key -> the types its value may have; keys ending in "?" are optional)."""
        problem = self.problem_with(name)
        if problem:
            raise ReportgenError(f"{self.path / name}: {problem} (its sha256 is not the"
                                 f" manifest's); restore {self.id} from git or build anew")
        return read_json(self.path / name, shape)


class Archive:
    def __init__(self, root: Path, warn: Callable[[str], None] = lambda message: None):
        """`warn` hears one line for each damaged version skipped (once per archive)."""
        self.root = Path(root)
        self._warn = warn
        self._warned: set[str] = set()

    # -- reading -------------------------------------------------------------------------------
    def _scan(self) -> tuple[list[Version], list[Damaged]]:
        """Every complete version, and every version folder whose manifest is damaged; oldest
        first."""
        if self.root.exists() and not self.root.is_dir():
            raise ReportgenError(f"--reports-dir {self.root} is not a folder: give the archive's"
                                 " folder (reports/ by default)")
        if not self.root.is_dir():
            return [], []
        found, damaged = [], []
        for path in self.root.iterdir():
            if _is_version(path):
                try:
                    found.append(Version(path.name, path, read_json(path / MANIFEST,
                                                                    MANIFEST_SHAPE)))
                except ReportgenError as exc:
                    damaged.append(Damaged(path.name, path, str(exc)))
        return sorted(found, key=lambda v: v.seq), sorted(damaged, key=lambda d: d.seq)

    def versions(self) -> list[Version]:
        """Every intact version, oldest first; a damaged one is skipped with its one line (to
        `warn`), so it blocks no command that does not need it."""
        versions, damaged = self._scan()
        for version in damaged:
            if version.id not in self._warned:
                self._warned.add(version.id)
                self._warn(f"skipped {version.id}: {version.problem}")
        return versions

    def damaged(self) -> list[Damaged]:
        """The version folders whose manifest cannot be read, oldest first."""
        return self._scan()[1]

    def resolve(self, ref: str, kind: str | None = None) -> Version:
        """A version by id, unique prefix, sequence number or `latest` (the newest of `kind`,
        "chapter" or "matrix", when one is given); one-line errors else."""
        if "/" in ref or "\\" in ref or ref.startswith(".") or ref in ("", ".."):
            raise ReportgenError(f"{ref!r} is not a version id: give an id from `reportgen list`")
        versions, damaged = self.versions(), self.damaged()
        if not versions and not damaged:
            raise ReportgenError(f"no versions in {self.root}: run `reportgen build` first")
        if ref == "latest":  # the newest folder, if damaged, is the one asked for
            if damaged and (not versions or damaged[-1].seq > versions[-1].seq):
                raise ReportgenError(damaged[-1].problem)
            of_kind = [v for v in versions if kind is None or v.kind == kind]
            if not of_kind:
                raise ReportgenError(f"no {kind} versions in {self.root}")
            return of_kind[-1]
        every: list[Version | Damaged] = [*versions, *damaged]
        if ref.isdigit():
            matches = [v for v in every if v.seq == int(ref)]
        else:
            matches = [v for v in every if v.id == ref] or [
                v for v in every if v.id.startswith(ref)
            ]
        if len(matches) == 1 and isinstance(matches[0], Damaged):
            raise ReportgenError(matches[0].problem)
        if len(matches) != 1:
            what = "no version matches" if not matches else f"{len(matches)} versions match"
            raise ReportgenError(
                f"{what} {ref!r} in {self.root}; `reportgen list` shows the ids"
            )
        return matches[0]

    def previous(self, dataset: str, profile: str, before_seq: int | None = None,
                 scikit_learn: str | None = None) -> Version | None:
        """The newest chapter version of the same dataset and profile (before a sequence
        number), computed by the same scikit-learn release when one is given (a version that
        does not record its release is not taken): a build with another release is compared
        by the matrix, not reported as this build's changes."""
        candidates = [
            v for v in self.versions()
            if v.kind == "chapter" and v.manifest["dataset"] == dataset
            and v.manifest["profile"] == profile
            and (before_seq is None or v.seq < before_seq)
            and (scikit_learn is None or v.scikit_learn == scikit_learn)
        ]
        return candidates[-1] if candidates else None

    # -- writing -------------------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = _open_no_follow(self.root / ".lock")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the lock

    def _staging_folders(self) -> Iterator[tuple[Path, int]]:
        """The staging folders of builds; a symbolic link is never one (a build's folder is
        always made here, and following a link would write outside the archive)."""
        if self.root.is_dir():
            for path in self.root.iterdir():
                match = STAGING_RE.match(path.name)
                if match and path.is_dir() and not path.is_symlink():
                    yield path, int(match["seq"])

    def clear_abandoned(self) -> list[Path]:
        """Remove the staging folders of builds that are no longer running; returns them.
        An archive this process may not write to (read-only, someone else's) is left as it
        is: reading it needs no tidying."""
        if not self.root.is_dir() or not self._writable():
            return []
        removed = []
        with self.locked():
            for path, _ in self._staging_folders():
                if not _build_running(path):  # not a version, never was
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path)
        return removed

    def _writable(self) -> bool:
        """Whether this process can take the archive's lock (a read-only mount, or another
        user's archive, cannot be written: only read)."""
        try:
            os.close(_open_no_follow(self.root / ".lock"))
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                return False
            raise
        return True

    def _taken_numbers(self) -> set[int]:
        taken = {v.seq for group in self._scan() for v in group}  # a damaged one's too
        for path, seq in self._staging_folders():
            if _build_running(path):
                taken.add(seq)
            else:
                shutil.rmtree(path, ignore_errors=True)
        return taken

    @contextmanager
    def new_version(self, slug: str, when: datetime | None = None) -> Iterator[Staging]:
        """Stage a new version; it becomes visible only if the block completes.

        `slug` says what the version is from (dataset, profile, commit), e.g. "mnist-full-9e1434d".
        """
        when = when or datetime.now(UTC)
        with self.locked():
            taken = self._taken_numbers()
            seq = max(taken, default=0) + 1
            staging_path = self.root / f".staging-v{seq:04d}-{os.getpid()}"
            staging_path.mkdir()
            builder = open(staging_path / BUILDER_LOCK, "w")  # held until the block ends
            fcntl.flock(builder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        version_id = f"v{seq:04d}-{when.strftime('%Y%m%dT%H%M%SZ')}-{slug}"
        staging = Staging(version_id, staging_path, when)
        try:
            yield staging
            self._publish(staging)
        finally:
            builder.close()
            shutil.rmtree(staging_path, ignore_errors=True)

    def _publish(self, staging: Staging) -> None:
        if staging.manifest is None:
            raise RuntimeError(f"version {staging.id} was not described: call"
                               " Staging.describe() before the new_version block ends")
        (staging.path / BUILDER_LOCK).unlink()
        files = {
            str(path.relative_to(staging.path)): _sha256(path)
            for path in sorted(staging.path.rglob("*")) if path.is_file()
        }
        manifest = {**staging.manifest, "version": staging.id, "files": files}
        (staging.path / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n",
                                             encoding="utf-8")
        final = self.root / staging.id
        with self.locked():
            if final.exists():
                raise ReportgenError(f"version {staging.id} exists already; versions are never"
                                     " overwritten")
            os.rename(staging.path, final)
        interrupts.finished(final.name)

    def verify(self, version: Version) -> list[str]:
        """Files whose content no longer matches the manifest, and files the manifest does not
        list (written into the version since the build); empty when intact."""
        names = version.manifest.get("files", {})
        problems = ((name, version.problem_with(name)) for name in names)
        extra = sorted(str(path.relative_to(version.path)) for path in version.path.rglob("*")
                       if not path.is_dir() and path != version.path / MANIFEST)
        found = [f"{name}: {problem}" for name, problem in problems if problem] + [
            f"{name}: not in the manifest" for name in extra if name not in names]
        if version.kind == "chapter" and not version.problem_with("metrics.json"):
            try:
                version.headlines()  # the manifest's own numbers, against metrics.json
            except ReportgenError as exc:
                found.append(str(exc))
        return found

    def write_index(self, html: str) -> Path:
        path = self.root / "index.html"
        atomic_write(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
        return path


@dataclass
class Staging:
    """A version being built: its id is known, its folder is hidden until published."""

    id: str
    path: Path
    created: datetime
    manifest: dict | None = None

    def describe(self, **fields) -> None:
        self.manifest = {"created_utc": self.created.strftime("%Y-%m-%dT%H:%M:%SZ"), **fields}


def _build_running(staging: Path) -> bool:
    """Whether a live process holds the staging folder's builder lock (the kernel drops a
    lock when its process dies, however it died)."""
    try:
        fd = os.open(staging / BUILDER_LOCK, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:  # no lock file (a folder from an older reportgen, or half made), a link
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _open_no_follow(path: Path) -> int:
    """Open (creating) a lock file, refusing a symbolic link planted in its place."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ReportgenError(f"{path} is a symbolic link; reportgen never writes through"
                                 " one out of the archive: remove it") from None
        raise


# -- what is an archive, and where nothing but a build may write --------------------------------
def _is_version(path: Path) -> bool:
    return bool(VERSION_RE.match(path.name)) and (path / MANIFEST).is_file()


def _is_version_copy(path: Path) -> bool:
    """A version under any name (copied, renamed): a folder whose manifest.json is one a
    build wrote. Only output folders are asked this; listing needs the version's own name."""
    manifest = path / MANIFEST
    try:
        if not manifest.is_file() or manifest.stat().st_size > 1 << 24:
            return False
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and {"version", "files"} <= data.keys()


def _is_archive(path: Path) -> bool:
    """A folder holding versions (or a build's staging folder)."""
    try:
        return any(_is_version(child) or STAGING_RE.match(child.name)
                   for child in path.iterdir())
    except OSError:
        return False


def refuse_inside_archive(path: Path, what: str, may_be_archive: bool = False) -> Path:
    """Refuse an output folder that is, or lies inside, any archive: a version (or a copy of
    one under another name), a staging folder, or a folder holding versions (whichever
    --reports-dir it belongs to; symbolic links followed). `may_be_archive`: the folder itself
    may be an archive (--reports-dir)."""
    resolved = Path(path).resolve()
    for folder in (resolved, *resolved.parents):
        inside = folder != resolved
        if (_is_version(folder) or _is_version_copy(folder) or STAGING_RE.match(folder.name)
                or ((inside or not may_be_archive) and _is_archive(folder))):
            where = "is" if folder == resolved else "lies inside"
            raise ReportgenError(f"{what} {where} the archive {folder}; archived versions are"
                                 " never written to: choose a folder outside it")
    return path


# -- reading archive files: one place, every shape checked (reportgen.shapes) ----------------


MANIFEST_SHAPE = {"dataset": STR, "profile": STR, "files": Each(STR), "version?": STR,
                  "headlines?": Each(ANY), "headline_labels?": Each(STR),
                  "thresholds?": {"passed": INT, "total": INT},
                  "build_seconds?": Maybe(NUMBER), "sections?": [STR],
                  "previous?": Maybe(STR), "repeats?": INT, "kind?": STR,
                  "scikit_learn?": STR,
                  "releases?": [STR]}


def read_record(path: Path, version: Version | None = None) -> VersionRecord:
    """The version record a metrics.json holds (of an archived `version`: checked against its
    manifest first); a damaged, edited or newer file is one line naming it."""
    from reportgen.record import RecordError, VersionRecord

    name = path.relative_to(version.path).as_posix() if version is not None else path.name
    if version is not None and (problem := version.problem_with(name)):
        raise ReportgenError(f"{path}: {problem} (its sha256 is not the manifest's); restore"
                             f" {version.id} from git or build anew")
    try:
        return VersionRecord.from_json(_load(path), path)
    except RecordError as exc:
        raise ReportgenError(str(exc)) from None


def _load(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise ReportgenError(f"{path} is damaged ({reason}): restore its version from git, or"
                             " move the version's folder out of the archive") from None


def read_json(path: Path, shape: dict) -> dict:
    """A JSON object of the archive of the shape `shape` describes (see above)."""
    data = _load(path)
    problem = shape_problem(data, shape)
    if problem:
        raise ReportgenError(f"{path} is not what reportgen wrote ({problem}): restore its"
                             " version from git, or move the version's folder out of the"
                             " archive")
    return data


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
