"""pytest checks a chapter's claims: one test per threshold of its spec, and the gate.

Installed with reportgen (entry point `pytest11`), so `pytest` in a project with
`[tool.reportgen]` collects the project's thresholds spec like a test file; any spec named on
the command line (`pytest reportgen/thresholds.toml`) is collected too. What is checked:

- by default the newest version in the project's archive (`reports/`) of the chapter's
  dataset, of `--claims-profile` if given;
- `--claims-version ID` (an id, a number or `latest`): that archived version;
- `--claims-build PROFILE` (`quick`, `full`): a fresh build of the chapter, into a temporary
  folder, archiving nothing; with no archived version this is what runs, with `quick`.

A claim that fails fails its test; a claim of severity "warn" passes with a warning; a claim
that could not be checked (its metric missing, no bound for the profile unless `optional`)
fails; a claim about another dataset, or one whose section the version did not build, is
skipped with its reason. The last test, `gate`, is the build's and `check`'s gate: it fails
when the version checked nothing.
"""

from __future__ import annotations

import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from reportgen.errors import ReportgenError

if TYPE_CHECKING:  # the plugin loads in every pytest run: it imports reportgen only when used
    from reportgen.record import VersionRecord
    from reportgen.thresholds import Outcome, Threshold

SPEC_OPTION = "reportgen claims"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(SPEC_OPTION, "reportgen: a chapter's claims (thresholds spec)")
    group.addoption("--claims-version", default=None, metavar="VERSION",
                    help="check this archived version (id, number or latest) [default: the"
                         " newest of the chapter's dataset]")
    group.addoption("--claims-profile", default=None, metavar="PROFILE",
                    help="check the newest archived version of this profile")
    group.addoption("--claims-build", default=None, metavar="PROFILE",
                    help="check a fresh build of this profile (nothing is archived)")
    group.addoption("--claims-reports-dir", default=None, metavar="PATH",
                    help="the archive to read [default: reports/ beside pyproject.toml]")
    group.addoption("--no-claims", action="store_true",
                    help="do not collect the project's thresholds spec")


class ClaimWarning(UserWarning):
    """A claim of severity "warn" that does not hold."""


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix != ".toml" or parent.config.getoption("--no-claims"):
        return None
    if _is_project_spec(file_path) or _named_spec(file_path, parent.config):
        return ClaimsFile.from_parent(parent, path=file_path)
    return None


def _is_project_spec(path: Path) -> bool:
    """Whether `path` is the thresholds spec a reportgen project names. A pyproject.toml is
    never one, and a folder whose pyproject cannot be read is no reportgen project's: pytest
    in projects that do not use reportgen is left alone."""
    from reportgen.chapter import find_project

    if path.name == "pyproject.toml":
        return False
    try:
        project = find_project(path.parent)
    except ReportgenError:
        return False
    return project.path is not None and project.thresholds is not None \
        and project.thresholds.resolve() == path.resolve()


def pytest_sessionstart(session: pytest.Session) -> None:
    """A project whose pyproject names a spec that is not there: one line, before any test
    (its claims would otherwise go unchecked while the other tests pass)."""
    from reportgen.chapter import find_project

    if session.config.getoption("--no-claims"):
        return
    try:
        project = find_project(Path(session.config.rootpath))
    except ReportgenError:
        return
    if project.path is not None and project.thresholds is not None \
            and not project.thresholds.is_file():
        raise pytest.UsageError(
            f"{project.path} names the thresholds spec {project.thresholds}, which is not"
            " there: write it, correct the path, or run pytest with --no-claims")


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Say what each spec's claims were checked on: an archived version's numbers are that
    version's, not this checkout's."""
    for path, checked in config.stash.get(_CHECKED, {}).items():
        if isinstance(checked, Checked):
            terminalreporter.write_line(f"reportgen: the claims of {path} were checked on"
                                        f" {checked.what}{checked.note}")


def _named_spec(path: Path, config: pytest.Config) -> bool:
    """A .toml named on the command line that holds [[threshold]] tables."""
    named = {Path(arg.split("::")[0]).resolve() for arg in config.args}
    if path.resolve() not in named:
        return False
    try:
        return "threshold" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True  # let the collector say what is wrong with it


@dataclass
class Checked:
    """What the spec is checked against, made once per spec and session."""

    what: str  # "v0003-..." or "a fresh quick build"
    record: VersionRecord
    spec: list[Threshold]
    outcomes: dict[str, Outcome]  # by threshold id: those checked
    skipped: dict[str, str]  # by threshold id: why it is not checked on this version
    nothing: str  # why no threshold applies ("" when some do)
    note: str = ""  # what the summary adds (an archived version built from other code)


class ClaimsFile(pytest.File):
    def collect(self):
        try:
            ids = _threshold_ids(self.path)
        except ReportgenError as exc:
            raise self.CollectError(str(exc)) from None
        for threshold_id in ids:
            yield ClaimItem.from_parent(self, name=threshold_id)
        yield GateItem.from_parent(self, name="gate")

    def checked(self) -> Checked:
        """The version's outcomes, once per spec and session (a failure to get them, each
        claim's test reports in one line)."""
        cache = self.config.stash.setdefault(_CHECKED, {})
        if self.path not in cache:
            cache[self.path] = _check(self.path, self.config)
        result = cache[self.path]
        if isinstance(result, ReportgenError):
            raise result
        return result


_CHECKED = pytest.StashKey[dict]()


def _threshold_ids(path: Path) -> list[str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ReportgenError(f"{path} is not a readable thresholds spec ({exc})") from None
    tables = data.get("threshold", [])
    return [str(t.get("id", f"threshold-{i}")) for i, t in enumerate(tables, 1)
            if isinstance(t, dict)]


def _check(path: Path, config: pytest.Config) -> Checked | ReportgenError:
    try:
        return _checked_version(path, config)
    except ReportgenError as exc:
        return exc


def _checked_version(path: Path, config: pytest.Config) -> Checked:
    from reportgen.archive import Archive
    from reportgen.chapter import find_project, load_chapter
    from reportgen.data.datasets import DATASETS
    from reportgen.thresholds import load_spec

    project = find_project(path.parent)
    chapter = load_chapter(project)
    root = project.root or Path(config.rootpath)
    reports = Path(config.getoption("--claims-reports-dir") or root / "reports")
    archive = Archive(reports) if reports.is_dir() else None
    build_profile = config.getoption("--claims-build")
    asked = config.getoption("--claims-version") or config.getoption("--claims-profile")
    if build_profile is not None and asked:
        raise ReportgenError("--claims-build checks a fresh build: give it without"
                             " --claims-version or --claims-profile")
    if asked and archive is None:  # never a fresh build in place of the version asked for
        raise ReportgenError(f"{reports} is no archive, so it holds no version to check:"
                             " give --claims-reports-dir, or --claims-build PROFILE")
    version = None
    if build_profile is None and archive is not None:
        version = _archived(archive, project.dataset, config)
    note = ""
    if version is not None:
        record, what = version.record(), version.id
        note = _code_since(record, chapter)
    else:
        build_profile = build_profile or "quick"
        record = _fresh_build(chapter, path, build_profile)
        what = f"a fresh {build_profile} build"
    built = {v.manifest.get("dataset") for v in archive.versions()} if archive else set()
    # the chapter's metric names (a claim newer than the version is still a claim) and the
    # version's (a chapter's metric since renamed)
    spec = load_spec(path, {*chapter.metrics(), *record.metrics},
                     [*DATASETS, *chapter.dataset_names(), *(built - {None})])
    checked = judge(spec, record, what, archived=version is not None, path=path)
    checked.note = note
    return checked


def _code_since(record: VersionRecord, chapter) -> str:
    """A note when the archived version was built from other code than this checkout's."""
    if record.code is None:
        return ""
    experiments = chapter.experiments()
    changed = sorted(name for name, digest in record.code.digests.items()
                     if name in experiments and experiments[name].code_digest() != digest)
    if not changed:
        return ""
    return (f"; {len(changed)} of its experiments' code has changed since"
            f" ({', '.join(changed[:3])}{', …' if len(changed) > 3 else ''}): pytest"
            " --claims-build quick checks this checkout's code")


def _archived(archive, dataset: str, config: pytest.Config):
    """The version --claims-version names, else the newest of the chapter's dataset (and of
    --claims-profile); None when the archive has none of them."""
    wanted, profile = config.getoption("--claims-version"), config.getoption("--claims-profile")
    if wanted:
        return archive.resolve(wanted, kind="chapter")
    if profile:
        version = archive.previous(dataset, profile)
        if version is None:
            raise ReportgenError(f"{archive.root} holds no {dataset} version of profile"
                                 f" {profile}: build one, or pass --claims-build {profile}")
        return version
    return next((v for v in reversed(archive.versions())
                 if v.kind == "chapter" and v.manifest.get("dataset") == dataset), None)


def judge(spec: list[Threshold], record: VersionRecord, what: str, archived: bool,
          path: Path | str) -> Checked:
    """Every claim of `spec` on the version `record` (`what` names it): its outcome, or why it
    is skipped. An archived version may predate a claim (a section it did not build, a metric
    it lacks): that claim is skipped, saying so; a fresh build must have every metric."""
    from reportgen.thresholds import evaluate, none_apply, not_built

    outcomes = {o.threshold.id: o for o in evaluate(spec, record)}
    skipped = {t.id: f"{t.id}: {what} ran no section {', '.join(sections)}"
                     + ("; build anew (--claims-build) to check the claim" if archived else "")
               for t, sections in not_built(spec, record)}
    if archived:
        for o in [o for o in outcomes.values() if o.status == "MISSING"]:
            del outcomes[o.threshold.id]
            skipped[o.threshold.id] = (
                f"{o.threshold.id}: not in the checked version {what}: it has no metric"
                f" {o.missing} (archived before the metric existed); build anew"
                " (--claims-build) to check the claim")
    for t in spec:
        if t.id not in outcomes and t.id not in skipped:
            skipped[t.id] = f"{t.id}: a claim about {t.dataset}; {what} measured" \
                            f" {record.dataset.name}"
    decided = any(o.status in ("PASS", "FAIL", "WARN") for o in outcomes.values())
    return Checked(what, record, spec, outcomes, skipped,
                   "" if decided else none_apply(spec, record, path))


def _fresh_build(chapter, spec_path: Path, profile: str) -> VersionRecord:
    import tempfile

    from reportgen.build import build_report

    with tempfile.TemporaryDirectory(prefix="reportgen-claims-") as folder:
        outcome = build_report(None, profile, chapter=chapter,
                               reports_dir=Path(folder) / "reports",
                               preview=Path(folder) / "preview", pdf=False,
                               thresholds_path=spec_path, benchmarks_dir=None)
    return outcome.record


class ClaimItem(pytest.Item):
    """One claim of the spec, checked on the version."""

    def runtest(self) -> None:
        checked = self.parent.checked()
        outcome = checked.outcomes.get(self.name)
        if outcome is None:
            pytest.skip(checked.skipped[self.name])
        if outcome.status == "WARN":
            warnings.warn(ClaimWarning(outcome.message), stacklevel=1)
            return
        if outcome.status == "NOT CHECKED" and outcome.threshold.optional:
            pytest.skip(outcome.message)
        if not outcome.passed:
            raise ClaimFailed(f"{outcome.message} (checked on {checked.what})")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ClaimFailed | ReportgenError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"claim {self.name}"


class GateItem(ClaimItem):
    """The gate `build` and `check` apply: it fails when nothing was checked."""

    def runtest(self) -> None:
        from reportgen.thresholds import thresholds_gate

        checked = self.parent.checked()
        gate = thresholds_gate([o.stored() for o in checked.outcomes.values()], checked.what,
                               checked.nothing)
        if not gate.passed:
            raise ClaimFailed(gate.problem)

    def reportinfo(self):
        return self.path, None, "the claims' gate"


class ClaimFailed(AssertionError):
    pass
