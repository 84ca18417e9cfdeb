"""Everything written after the run is a publisher of the version.

A build writes the version's data (its record as metrics.json, its figures, the render data);
then each publisher turns that version into an output, into the folder being staged (so what
it writes is archived and checked like every other file), and `reportgen render` runs the same
publishers again, with today's code, into another folder. The chapter edition and the build
record are the built-in publishers; another package adds one by an entry point in the group
`reportgen.publishers` (an MLflow or notebook export is a small package, not an edit of
reportgen), as asv's `OutputPublisher` and pytest's plugins do:

    [project.entry-points."reportgen.publishers"]
    mlflow = "reportgen_mlflow:MlflowPublisher"

A publisher has a `name` and `publish(publication, out) -> list[Path]`; it reads the version
through `Publication` (its typed record, its files) and writes only under `out`. One that fails
fails the build in one line naming it, and nothing is archived.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from reportgen.errors import ReportgenError

if TYPE_CHECKING:
    from reportgen.record import VersionRecord

ENTRY_POINTS = "reportgen.publishers"


@dataclass
class Publication:
    """One version, as the publishers see it: its folder (staged or archived: read it, never
    write into it but through `out`), its record (None for a release matrix, which has its own
    data, matrix.json), and whether PDFs are wanted."""

    folder: Path
    record: VersionRecord | None
    pdf: bool = True
    preview: bool = False  # a `build --preview`: looked at, never archived (an export may skip)

    @property
    def version_id(self) -> str:
        return self.record.version if self.record and self.record.version else self.folder.name

    @cached_property
    def documents(self) -> dict[str, str]:
        """The version's HTML documents by file stem (report, record), rendered once from its
        files for every publisher that needs them (`report.render.render_documents`)."""
        from reportgen.report.render import render_documents

        return render_documents(self.folder)


@runtime_checkable
class Publisher(Protocol):
    name: str

    def publish(self, publication: Publication, out: Path) -> list[Path]:
        """Write this output of the version under `out`; the files written."""


@dataclass(frozen=True)
class Document:
    """One of the version's HTML documents (and its PDF, laid out from the version's files)."""

    name: str
    stem: str  # the file stem: report.html, report.pdf

    def publish(self, publication: Publication, out: Path) -> list[Path]:
        from reportgen.report.render import write_documents

        html = publication.documents.get(self.stem)
        if html is None:  # a release matrix has a report and no build record
            return []
        return write_documents({self.stem: html}, publication.folder, out, publication.pdf)


# The chapter edition a teacher hands to students, and the build record (how it was built and
# checked) apart from it.
BUILT_IN: tuple[Publisher, ...] = (Document("chapter edition", "report"),
                                   Document("build record", "record"))


def installed() -> list[Publisher]:
    """The built-in publishers, then every one an installed package declares (by entry point
    name); one that cannot be loaded is one line naming its entry point."""
    found = list(BUILT_IN)
    for point in sorted(metadata.entry_points(group=ENTRY_POINTS), key=lambda p: p.name):
        try:
            loaded = point.load()
            publisher = loaded() if isinstance(loaded, type) else loaded
        except Exception as exc:  # a third party's import error, whatever it is
            raise ReportgenError(f"the publisher {point.name} ({point.value}, entry point group"
                                 f" {ENTRY_POINTS}) cannot be loaded ({type(exc).__name__}:"
                                 f" {exc}); fix or uninstall the package that declares it"
                                 ) from None
        if not isinstance(publisher, Publisher):
            raise ReportgenError(f"the publisher {point.name} ({point.value}) has no `name`"
                                 " and `publish(publication, out)`; see reportgen.publishers")
        found.append(publisher)
    return found


def publish(publication: Publication, out: Path,
            publishers: list[Publisher] | None = None) -> list[Path]:
    """Run every publisher on the version, into `out`; the files written, in order. A
    reportgen error passes as it is; any other failure of a publisher is one line naming it."""
    written: list[Path] = []
    for publisher in installed() if publishers is None else publishers:
        try:
            files = list(publisher.publish(publication, out) or [])
        except (ReportgenError, KeyboardInterrupt):
            raise  # already one line (a partial that fails), or the user's interrupt
        except OSError as exc:
            if publisher in BUILT_IN:
                raise  # a full disk: said in one line by the command
            raise _failed(publisher, publication, exc) from None
        except Exception as exc:
            raise _failed(publisher, publication, exc) from None
        for path in map(Path, files):
            if not path.is_absolute() and not path.exists():
                path = out / path  # named relative to the folder it was given
            if not path.resolve().is_relative_to(Path(out).resolve()) or not path.is_file():
                raise ReportgenError(f"the publisher {publisher.name} says it wrote {path},"
                                     f" which is not a file under {out}: a publisher writes"
                                     " only under the folder it is given")
            written.append(path)
    return written


def _failed(publisher: Publisher, publication: Publication, exc: BaseException
            ) -> ReportgenError:
    return ReportgenError(f"the publisher {publisher.name} failed on {publication.version_id}"
                          f" ({type(exc).__name__}: {exc}); fix or uninstall the package that"
                          " provides it")


def render_archived(version, out_dir: Path, pdf: bool = True) -> list[Path]:
    """Publish an archived version (`archive.Version`) again into `out_dir`, never into the
    archive: its files are checked against its manifest first, then every publisher
    (`reportgen.publishers`) writes its output with today's code and templates."""
    from reportgen.archive import refuse_inside_archive
    from reportgen.report.render import chapter_files
    from reportgen.storage import staged_folder, writable_folder

    out_dir = Path(out_dir)
    refuse_inside_archive(out_dir, f"--out {out_dir}")
    if version.kind == "matrix":
        from reportgen.report.matrix import needed_files

        needed = needed_files(version.path)
    else:
        needed = chapter_files(version.path)
    problems = [f"{name} {problem}" for name in needed
                if (problem := version.problem_with(name))]
    if problems:
        raise ReportgenError(f"{version.id} cannot be rendered: {'; '.join(problems)} (against"
                             " its manifest); restore the version from git")
    record = None if version.kind == "matrix" else version.record()
    publication = Publication(version.path, record, pdf)
    writable_folder(out_dir, f"--out {out_dir}")
    with staged_folder(out_dir) as staging:  # a publisher that fails leaves --out as it was
        written = publish(publication, staging)
    return [out_dir / path.relative_to(staging) for path in written]
