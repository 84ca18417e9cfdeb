"""The Jinja environment: reportgen's templates, a version's own partials, the filters; and the
one way an SVG figure becomes part of the self-contained HTML."""

from __future__ import annotations

import base64
from importlib import resources
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from reportgen.report.filters import FILTERS


def templates_dir() -> Path:
    """The top-level templates/ folder, installed as the package `reportgen.templates`."""
    return Path(str(resources.files("reportgen.templates")))


def environment(version_partials: Path | None = None) -> SandboxedEnvironment:
    """The Jinja environment: reportgen's templates, and the partials a version brought along
    (of its sections from outside the package) as version/<id>.html.j2, with the few formatting
    filters templates may use."""
    loaders: list = [FileSystemLoader(str(templates_dir()))]
    if version_partials is not None:
        loaders.append(PrefixLoader({"version": FileSystemLoader(str(version_partials))}))
    # Sandboxed: a version's partial comes from its archive, which may come from anyone (a pull
    # request's reports/): rendering it must not run code.
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def render_html(template: str, context: dict, version_partials: Path | None = None) -> str:
    env = environment(version_partials)
    from reportgen.report.labels import label_cells

    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    # Each body cell names its column (data-label): the stylesheet's stacked rows on a narrow
    # screen show it beside the value.
    return label_cells(env.get_template(template).render(**context, inline_css=css))


def svg_data_url(svg: bytes) -> str:
    """The one way an SVG becomes an inline image in HTML."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
