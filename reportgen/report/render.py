"""Render the report: Jinja2 templates -> one self-contained HTML file -> PDF by WeasyPrint."""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from reportgen.errors import ReportgenError
from reportgen.storage import atomic_write


def templates_dir() -> Path:
    """The top-level templates/ folder, installed as the package `reportgen.templates`."""
    return Path(str(resources.files("reportgen.templates")))


# -- filters: the only formatting the templates do ------------------------------------------------
def fmt_number(value, digits: int = 4) -> str:
    """Numbers as people read them: grouped integers, fixed decimals, lists element-wise."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "[" + ", ".join(fmt_number(v, digits) for v in value) + "]"
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value != 0 and abs(value) < 10 ** -digits:
            return f"{value:.{digits}e}"
        if abs(value) >= 1000:
            return f"{value:,.{min(digits, 2)}f}".replace(",", "\u202f")
        return f"{value:.{digits}f}"
    return str(value)


def fmt_printed(value) -> str:
    """A value as Python prints it (shortest repr), like the chapter's printed outputs."""
    if isinstance(value, list):
        return "[" + ", ".join(fmt_printed(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value)
    return repr(value)


def fmt_percent(value, digits: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f} %"


def fmt_seconds(value) -> str:
    if value is None:
        return "—"
    if value < 0.01:
        return "< 0.01 s"
    if value < 60:
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds:02d} s"


def fmt_signed(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + fmt_number(float(value), digits)


def fmt_ratio(value) -> str:
    return "—" if value is None else f"×{value:.2f}"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=fmt_number, pct=fmt_percent, secs=fmt_seconds, signed=fmt_signed,
                       ratio=fmt_ratio, printed=fmt_printed)
    return env


def render_html(template: str, context: dict) -> str:
    env = environment()
    css = (templates_dir() / "report.css").read_text()
    return env.get_template(template).render(**context, inline_css=css)


# -- PDF ----------------------------------------------------------------------------------------
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
