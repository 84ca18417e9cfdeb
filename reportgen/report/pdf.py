"""HTML -> PDF with WeasyPrint, which may read nothing but the version's own files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from reportgen.errors import ReportgenError
from reportgen.storage import atomic_write


class ExternalResourceError(ReportgenError):
    """The report asked for something outside its own build folder."""


def _own_files_only(build_dir: Path):
    """A WeasyPrint URL fetcher that serves data: URLs and files inside the build, nothing else."""
    from weasyprint.urls import URLFetcher

    root = build_dir.resolve()

    class BuildOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if path.is_relative_to(root):
                    return super().fetch(url, headers)
            raise ExternalResourceError(f"the report may not load {url}")

    return BuildOnlyFetcher(fail_on_errors=True, allowed_protocols=("data", "file"))


def write_pdf(html: str, build_dir: Path, path: Path) -> None:
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    document = HTML(string=html, base_url=str(build_dir.resolve()) + "/",
                    url_fetcher=_own_files_only(build_dir))
    try:
        atomic_write(path, lambda tmp: document.write_pdf(tmp))
    except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint: stop the build
        cause = exc.__cause__
        raise ExternalResourceError(str(cause) if cause else str(exc)) from None
