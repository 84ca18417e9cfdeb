"""Render the report: a version's files (metrics.json, render.json, figures/) -> Jinja2
templates -> one self-contained HTML file -> PDF by WeasyPrint.

The HTML is made from the files alone, whether a build has just written them or they were
archived long ago: that is what lets `reportgen render` redo any version with newer templates.
The parts: `filters` (formatting), `jinja` (the environment), `context` (files -> plain data),
`compat` (older versions), `pdf` (WeasyPrint, own files only); this module puts them together.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from jinja2 import TemplateNotFound, UndefinedError
from jinja2.exceptions import SecurityError

from reportgen.errors import ReportgenError
from reportgen.report.context import read_version_json, report_context
from reportgen.report.jinja import render_html
from reportgen.report.model import PARTIALS, RENDER_DATA, RENDER_SCHEMA, RENDER_SHAPE
from reportgen.report.pdf import write_pdf
from reportgen.storage import atomic_write

__all__ = ["DOCUMENTS", "render_documents", "render_version", "write_pdf"]

# A chapter version's documents (file stem -> template): the chapter edition a teacher hands to
# students, and the build record (how it was built and checked) apart from it.
DOCUMENTS = {"report": "report.html.j2", "record": "record.html.j2"}


def render_version(folder: Path) -> str:
    """The chapter edition's HTML (a matrix: its report), from the version's files alone."""
    return render_documents(folder)["report"]


def render_documents(folder: Path) -> dict[str, str]:
    """Every HTML document of a version (or of a build being staged), by file stem, from its
    files alone: a chapter version's edition and build record, a release matrix's report."""
    from reportgen.archive import read_record
    from reportgen.matrix import MATRIX_DATA

    if (folder / MATRIX_DATA).is_file():  # a release matrix has a report of its own
        from reportgen.report.matrix import render_matrix

        return {"report": render_matrix(folder)}

    data = read_version_json(folder / RENDER_DATA, RENDER_SHAPE)
    if data.get("schema") != RENDER_SCHEMA:
        raise ReportgenError(f"{folder / RENDER_DATA} has render schema {data.get('schema')};"
                             f" this reportgen renders schema {RENDER_SCHEMA}")
    record = read_record(folder / "metrics.json")
    try:
        context = report_context(record, data, folder)
        return {stem: render_html(template, context, folder / PARTIALS)
                for stem, template in DOCUMENTS.items()}
    except TemplateNotFound as exc:
        raise ReportgenError(f"no template {exc.name}: {folder.name} was made by a reportgen"
                             " that has it, or lost its partials/ folder; restore the version"
                             " from git") from None
    except SecurityError as exc:
        raise ReportgenError(f"a template of {folder.name} tried what the report's templates"
                             f" may not ({exc}); its partials/ were not written by reportgen"
                             ) from None
    except Exception as exc:
        if (failure := PartialFailure.of(exc, folder / PARTIALS)) is not None:
            raise failure from None
        if isinstance(exc, UndefinedError):
            raise ReportgenError(f"reportgen's templates need data {folder.name} does not"
                                 f" hold ({exc}): the version was made by an older reportgen;"
                                 " build it anew") from None
        if isinstance(exc, KeyError | TypeError | AttributeError | ValueError | IndexError):
            # Both files passed their digests and top-level shape, so a part deeper down was
            # edited by hand or written by another tool: what it is, in one line.
            raise ReportgenError(f"{folder.name}'s metrics.json or {RENDER_DATA} is not what"
                                 f" reportgen wrote ({type(exc).__name__}: {exc}); restore"
                                 " the version from git or build it anew") from None
        raise


class PartialFailure(ReportgenError):
    """A section's own partial raised while rendering (`{{ 1 / 0 }}`, a name its facts do not
    give): which partial, its line, and the error. The message names the version's copy; a
    build names the source file instead (`in_source`), since its staging folder is gone by
    the time the user reads it."""

    def __init__(self, partial: str, line: int, error: str, folder: Path) -> None:
        self.partial, self.line, self.error = partial, line, error
        super().__init__(f"the partial {PARTIALS}/{partial} of {folder.parent.name} fails at"
                         f" line {line} ({error}) with this reportgen; build the version anew"
                         " with the section's current partial")

    @classmethod
    def of(cls, exc: Exception, partials: Path) -> PartialFailure | None:
        """The failure, if a template frame is in one of the version's partials (the deepest
        such: a partial that hands a macro what its facts do not give fails in the macro)."""
        frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
                  if frame.filename.endswith(".j2")
                  and Path(frame.filename).parent.resolve() == partials.resolve()]
        if not frames:
            return None
        kind = ("names what its facts, metrics or figures do not give"
                if isinstance(exc, UndefinedError) else "raises")
        return cls(Path(frames[-1].filename).name, frames[-1].lineno or 0,
                   f"{kind}: {type(exc).__name__}: {exc}", partials)

    def in_source(self, source: Path) -> ReportgenError:
        return ReportgenError(f"{source}:{self.line}: the partial {self.error}; fix the"
                              " partial (nothing was archived)")


def write_documents(documents: dict[str, str], folder: Path, out_dir: Path, pdf: bool
                    ) -> list[Path]:
    """Each document as <stem>.html (and <stem>.pdf, laid out from `folder`'s files) in
    `out_dir`; the files written, HTML first."""
    written = []
    for stem, html in documents.items():
        path = out_dir / f"{stem}.html"
        atomic_write(path, lambda tmp, html=html: tmp.write_text(html, encoding="utf-8"))
        written.append(path)
    if pdf:
        for stem, html in documents.items():
            write_pdf(html, folder, out_dir / f"{stem}.pdf")
            written.append(out_dir / f"{stem}.pdf")
    return written


def chapter_files(folder: Path) -> list[str]:
    """The files a chapter version's report is rendered from."""
    from reportgen.report.model import figure_files

    data = read_version_json(folder / RENDER_DATA, RENDER_SHAPE)
    try:
        partials = [f"{PARTIALS}/{entry['template'].removeprefix('version/')}"
                    for entry in data["sections"] if entry["template"].startswith("version/")]
        return ["metrics.json", RENDER_DATA, *(str(path) for path in figure_files(data)),
                *partials]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ReportgenError(f"{folder / RENDER_DATA} is not what reportgen wrote (its"
                             f" figures: {type(exc).__name__}: {exc}); restore the version"
                             " from git or build it anew") from None
