"""Render the report: a version's files (metrics.json, render.json, figures/) -> Jinja2
templates -> one self-contained HTML file -> PDF by WeasyPrint.

The HTML is made from the files alone, whether a build has just written them or they were
archived long ago: that is what lets `reportgen render` redo any version with newer templates.
"""

from __future__ import annotations

import base64
import math
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlparse

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
    UndefinedError,
)

from reportgen.compare import stored_status
from reportgen.engine.repeats import split_name
from reportgen.errors import ReportgenError
from reportgen.report.model import (
    BUILT_IN_SUBTITLE,
    BUILT_IN_TITLE,
    PARTIALS,
    RENDER_DATA,
    RENDER_SCHEMA,
    RENDER_SHAPE,
)
from reportgen.storage import atomic_write
from reportgen.thresholds import passed_count


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
    """×0.37; a ratio below 0.01 keeps two significant digits (×0.00013), not ×0.00."""
    if value is None:
        return "—"
    return f"×{value:.2g}" if 0 < value < 0.01 else f"×{value:.2f}"


def fmt_bytes(value) -> str:
    """Memory as people read it: 1.87 GiB, 512 MiB; "—" where it was not measured."""
    if value is None:
        return "—"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= size:
            return f"{value / size:.2f} {unit}" if unit == "GiB" else f"{value / size:.0f} {unit}"
    return f"{value} B"


def fmt_brief(value, digits: int = 4) -> str:
    """A metric in one table cell: a matrix by its shape, a long list by its length, anything
    else as `num` shows it."""
    if isinstance(value, list) and value and isinstance(value[0], list):
        return f"{len(value)}×{len(value[0])} matrix"
    if isinstance(value, list) and len(value) > BRIEF_LIST:
        return f"{len(value)} values"
    return fmt_number(value, digits)


BRIEF_LIST = 4  # per-fold lists (3 values) fit a cell; per-class scores (10) do not


def _spread_decimals(std: float, digits: int) -> int:
    """Decimals that show a spread with two significant digits of its std (0.998330 ±
    0.000036, not 0.9983 ± 3.6016e-05; 3 370 ± 41), never fewer than `digits` below 1."""
    if std <= 0 or not math.isfinite(std):
        return digits
    decimals = min(max(1 - math.floor(math.log10(std)), 0), 10)
    return max(decimals, digits) if std < 1 else decimals


def fmt_spread(spread: dict | None, digits: int = 4) -> str:
    """A metric's repeats in one cell: "0.9962 ± 0.0011" (mean ± std, the mean to the std's
    decimals); "± 0" where every repeat gave the same value; "—" without repeats."""
    if not spread or not isinstance(spread.get("std"), float):
        return "—"
    decimals = _spread_decimals(spread["std"], digits)
    std = fmt_number(spread["std"], decimals) if spread["std"] else "0"
    return f"{fmt_number(spread['mean'], decimals)} ± {std}"


def fmt_interval(spread: dict | None, digits: int = 4) -> str:
    """A metric's 95 % interval, "low … high", to the decimals its spread is shown with."""
    if not spread or not isinstance(spread.get("ci_low"), float):
        return "—"
    decimals = _spread_decimals(spread["std"], digits)
    return f"{fmt_number(spread['ci_low'], decimals)} … {fmt_number(spread['ci_high'], decimals)}"


def fmt_status(status) -> str:
    """A threshold's status in any release's form: PASS, FAIL, WARN, MISSING; True/False from
    versions made before severities; None: not checked."""
    if status is None:
        return "not checked"
    if isinstance(status, bool):
        return "PASS" if status else "FAIL"
    return str(status)


def environment(version_partials: Path | None = None) -> Environment:
    """The Jinja environment: reportgen's templates, and the partials a version brought along
    (of its sections from outside the package) as version/<id>.html.j2, with the few formatting
    filters templates may use."""
    loaders: list = [FileSystemLoader(str(templates_dir()))]
    if version_partials is not None:
        loaders.append(PrefixLoader({"version": FileSystemLoader(str(version_partials))}))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=fmt_number, pct=fmt_percent, secs=fmt_seconds, signed=fmt_signed,
                       ratio=fmt_ratio, printed=fmt_printed, brief=fmt_brief,
                       bytes=fmt_bytes, spread=fmt_spread, interval=fmt_interval,
                       status=fmt_status)
    return env


def render_html(template: str, context: dict, version_partials: Path | None = None) -> str:
    env = environment(version_partials)
    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    return env.get_template(template).render(**context, inline_css=css)


def svg_data_url(svg: bytes) -> str:
    """The one way an SVG becomes an inline image in HTML."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


# -- a version's files -> the template context ----------------------------------------------------
def _read_json(path: Path, shape: dict) -> dict:
    """A JSON file of a version (or of a build being staged), of the shape `shape` names."""
    from reportgen.archive import read_json

    if not path.exists():
        raise ReportgenError(f"{path} is missing: this version was made before reportgen kept"
                             " its render data; build it anew to render it")
    return read_json(path, shape)


def inline_figure(folder: Path, relative: str) -> str:
    try:
        return svg_data_url((folder / relative).read_bytes())
    except OSError as exc:
        raise ReportgenError(f"{folder / relative}: {exc.strerror}; restore the version's"
                             " figures from git or build anew") from None


def report_context(document: dict, data: dict, folder: Path) -> dict:
    """The templates' context: `metrics.json` and `render.json` combined, figures inlined."""
    metrics, published = document["metrics"], document["published"]
    experiments = document["timings"]["experiments"]
    thresholds = [_threshold_of_any_release(t) for t in document.get("thresholds", [])]
    repeats = (document.get("repeats") or {}).get("metrics", {})
    figures = {
        figure["id"]: {"number": number, "caption": figure["caption"], "file": figure["file"],
                       "src": inline_figure(folder, figure["file"])}
        for number, figure in enumerate(data["figures"], start=1)
    }
    sections = []
    for entry in data["sections"]:
        names = {metric["name"] for metric in entry["metrics"]}
        sections.append({
            **entry,
            "published": [{**row, "spread": repeats.get(row["metric"])}
                          for row in published if row["metric"] in names],
            "has_published": any(metric["published"] for metric in entry["metrics"]),
            "metrics": [{**metric, "value": metrics[metric["name"]],
                         "spread": repeats.get(metric["name"])}
                        for metric in entry["metrics"]],
        })
    benchmarks, projection = data["benchmarks"], data.get("projection")
    if benchmarks:
        in_run = [{"peak_rss": None, "baseline_peak_rss": None, "run": None, **row}
                  for row in benchmarks.get("in_run") or []]  # older versions have no peaks
        benchmarks = {**benchmarks, "in_run": in_run}
        if benchmarks.get("chart"):
            benchmarks = {**benchmarks, "chart": inline_figure(folder, benchmarks["chart"])}
    if projection:
        projection = _projection_of_any_release(projection, len(experiments))
        for chart in ("chart", "timeline_chart"):
            if projection.get(chart):
                projection = {**projection, chart: inline_figure(folder, projection[chart])}
    return {
        "version": data["version"],
        "created_utc": data["created_utc"],
        "chapter": data.get("chapter") or {"title": BUILT_IN_TITLE, "subtitle": BUILT_IN_SUBTITLE},
        "dataset": document["dataset"],
        "profile": document["profile"],
        "is_chapter_run": bool(published),
        "has_published_values": any(section["has_published"] for section in sections),
        "m": metrics,
        "figures": figures,
        "sections": sections,
        "headlines": [{**h, "value": metrics[h["metric"]], "spread": repeats.get(h["metric"])}
                      for h in data["headlines"]],
        "robustness": _robustness(document, data, thresholds, folder),
        "published_summary": {"total": len(published),
                              "agree": sum(row["agrees"] for row in published),
                              "book_releases": document.get("book_releases")},
        "thresholds": thresholds,
        "thresholds_passed": passed_count(thresholds),
        "timings": [
            {"experiment": name, "seconds": t["seconds"], "cached": t["cached"],
             "peak_rss": t.get("peak_rss_bytes"), "warnings": document["warnings"].get(name, [])}
            for name, t in experiments.items() if split_name(name)[1] == 0
        ],
        "repeat_timings": _repeat_timings(experiments, document["warnings"]),
        "task_count": len(experiments),
        "peak_rss": max((t.get("peak_rss_bytes") or 0 for t in experiments.values()),
                        default=0) or None,
        "wall_seconds": document["timings"]["wall_seconds"],
        "compute_seconds": sum(t["seconds"] for t in experiments.values()),
        "computed_count": sum(not t["cached"] for t in experiments.values()),
        "cached_count": sum(t["cached"] for t in experiments.values()),
        "jobs": document["timings"]["jobs"],
        "scheduler": document["timings"].get("scheduler", "local processes"),
        "provenance": data["provenance"],
        "seeds": data["seeds"],
        "changes": _changes_of_any_release(data["changes"]),
        "previous_id": data["previous_id"],
        "benchmarks": benchmarks,
        "projection": projection,
    }


def _robustness(document: dict, data: dict, thresholds: list[dict], folder: Path) -> dict | None:
    """The robustness section's data, for a version with repeats: how they were made, which
    experiments did not need them, each claim at the chapter's seed and in every repeat, and
    the headline and threshold metrics' spread (with the figure of it)."""
    from reportgen.report.model import robustness_rows, varies

    repeats = document.get("repeats")
    if not repeats:
        return None
    chart = (data.get("robustness") or {}).get("chart")
    rows = robustness_rows(document, [h["metric"] for h in data["headlines"]])
    return {
        "count": repeats["count"],
        "seeds": repeats["seeds"],
        "interval": repeats["interval"],
        "deterministic": repeats["deterministic"],
        "claims": thresholds,
        "every_repeat": sum(t["repeats_holding"] == t["repeat_count"] for t in thresholds
                            if not t["missing"]),
        "metrics": rows,
        "constant": [row["metric"] for row in rows if not varies(row)],
        "chart": inline_figure(folder, chart) if chart else None,
    }


def _repeat_timings(experiments: dict, warnings: dict) -> list[dict]:
    """The tasks of repeats 1..N-1, one row per repeat (the chapter's tasks are listed one by
    one): how many, their time, how many computed, the largest peak, the warnings."""
    rows: dict[int, dict] = {}
    for name, t in experiments.items():
        repeat = split_name(name)[1]
        if repeat == 0:
            continue
        row = rows.setdefault(repeat, {"repeat": repeat, "tasks": 0, "seconds": 0.0,
                                       "computed": 0, "peak_rss": None, "warnings": 0})
        row["tasks"] += 1
        row["seconds"] += t["seconds"]
        row["computed"] += not t["cached"]
        row["peak_rss"] = max(row["peak_rss"] or 0, t.get("peak_rss_bytes") or 0) or None
        row["warnings"] += bool(warnings.get(name))
    return [rows[repeat] for repeat in sorted(rows)]


def _threshold_of_any_release(outcome: dict) -> dict:
    """Stored threshold outcomes from before repeats and severities: as if checked on the
    value with severity fail."""
    return {"on": "value", "checked": "value", "severity": "fail", "repeats_holding": None,
            "repeat_count": None, "chapter_holds": outcome["passed"], **outcome,
            "status": stored_status(outcome)}


def _changes_of_any_release(changes: dict | None) -> dict | None:
    """Changes stored before diffs knew the noise have no verdicts: shown as "—"."""
    if changes is None:
        return None
    rows = [{"verdict": None, "method": None, "p_value": None, **row}
            for row in changes["metrics"]]
    return {"significant": None, **changes, "metrics": rows}


def _projection_of_any_release(projection: dict, tasks: int) -> dict:
    """Versions made before tasks were split into folds lack some of the projection's fields:
    shown as "—" rather than failing to render."""
    measured = projection.get("measured")
    if measured:
        measured = {"scheduler": "local processes", "idle_seconds": None, **measured}
    rows = [{"idle_seconds": None, "bounding_task": None, **row} for row in projection["rows"]]
    return {"tasks": tasks, "timeline_chart": None, **projection, "rows": rows,
            "measured": measured}


def render_version(folder: Path) -> str:
    """The report's HTML, from the files of a version (or of a build being staged) alone."""
    from reportgen.archive import METRICS_SHAPE
    from reportgen.matrix import MATRIX_DATA

    if (folder / MATRIX_DATA).is_file():  # a release matrix has a report of its own
        from reportgen.report.matrix import render_matrix

        return render_matrix(folder)

    data = _read_json(folder / RENDER_DATA, RENDER_SHAPE)
    if data.get("schema") != RENDER_SCHEMA:
        raise ReportgenError(f"{folder / RENDER_DATA} has render schema {data.get('schema')};"
                             f" this reportgen renders schema {RENDER_SCHEMA}")
    document = _read_json(folder / "metrics.json", METRICS_SHAPE)
    try:
        context = report_context(document, data, folder)
        return render_html("report.html.j2", context, folder / PARTIALS)
    except TemplateNotFound as exc:
        raise ReportgenError(f"no template {exc.name}: {folder.name} was made by a reportgen"
                             " that has it, or lost its partials/ folder; restore the version"
                             " from git") from None
    except UndefinedError as exc:
        raise ReportgenError(f"the templates need data {folder.name} does not hold ({exc});"
                             " it was made by an older reportgen: build it anew") from None
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        # Both files passed their digests and top-level shape, so a part deeper down was
        # edited by hand or written by another tool: what it is, in one line.
        raise ReportgenError(f"{folder.name}'s metrics.json or {RENDER_DATA} is not what"
                             f" reportgen wrote ({type(exc).__name__}: {exc}); restore the"
                             " version from git or build it anew") from None


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


def render_archived(version, out_dir: Path, pdf: bool = True) -> list[Path]:
    """Render an archived version (`archive.Version`) into `out_dir`, never into the archive:
    its files are checked against its manifest first, then rendered with today's templates."""
    from reportgen.archive import refuse_inside_archive
    from reportgen.storage import writable_folder

    out_dir = Path(out_dir)
    refuse_inside_archive(out_dir, f"--out {out_dir}")
    if version.kind == "matrix":
        from reportgen.report.matrix import needed_files

        needed = needed_files(version.path)
    else:
        needed = _chapter_files(version.path)
    problems = [f"{name} {problem}" for name in needed
                if (problem := version.problem_with(name))]
    if problems:
        raise ReportgenError(f"{version.id} cannot be rendered: {'; '.join(problems)} (against"
                             " its manifest); restore the version from git")
    html = render_version(version.path)
    writable_folder(out_dir, f"--out {out_dir}")
    written = [out_dir / "report.html"]
    atomic_write(written[0], lambda tmp: tmp.write_text(html, encoding="utf-8"))
    if pdf:
        written.append(out_dir / "report.pdf")
        write_pdf(html, version.path, written[1])
    return written


def _chapter_files(folder: Path) -> list[str]:
    """The files a chapter version's report is rendered from."""
    from reportgen.report.model import figure_files

    data = _read_json(folder / RENDER_DATA, RENDER_SHAPE)
    try:
        partials = [f"{PARTIALS}/{entry['template'].removeprefix('version/')}"
                    for entry in data["sections"] if entry["template"].startswith("version/")]
        return ["metrics.json", RENDER_DATA, *(str(path) for path in figure_files(data)),
                *partials]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ReportgenError(f"{folder / RENDER_DATA} is not what reportgen wrote (its"
                             f" figures: {type(exc).__name__}: {exc}); restore the version"
                             " from git or build it anew") from None
