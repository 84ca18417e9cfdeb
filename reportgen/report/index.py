"""reports/index.html: every version with its headline numbers, and a trend chart."""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.ticker import MaxNLocator

from reportgen.archive import Archive, Headline, Version
from reportgen.errors import ReportgenError
from reportgen.figures import figure_svg, plt
from reportgen.report.jinja import render_html, svg_data_url
from reportgen.report.matrix import read_matrix
from reportgen.thresholds import passed_count


@dataclass(frozen=True)
class Summary:
    """What `list` and the archive's index say of a version, every number from a file its
    manifest's digest verifies: headlines, thresholds passed of those checked (a matrix's: the
    newest release's), and a matrix's releases."""

    headlines: tuple[Headline, ...]
    passed: int
    total: int
    releases: tuple[str, ...] = ()


def summarise(version: Version) -> Summary:
    """The version in brief, from its digest-checked metrics.json (a matrix: matrix.json);
    one line when a file does not verify."""
    if version.kind == "matrix":
        data = read_matrix(version)
        newest = [t["statuses"][-1] for t in data["thresholds"]]
        return Summary((), newest.count("PASS"), len(newest),
                       tuple(r["label"] for r in data["releases"]))
    thresholds = version.record().thresholds or []
    return Summary(tuple(version.headlines()), passed_count(thresholds), len(thresholds))


def verified(versions: list[Version]) -> dict[str, Summary | None]:
    """Each version's summary from its digest-checked files (`summarise`); None for one
    whose files do not verify: the index shows no number of it rather than an unchecked one."""
    summaries: dict[str, Summary | None] = {}
    for v in versions:
        try:
            summaries[v.id] = summarise(v)
        except ReportgenError:
            summaries[v.id] = None
    return summaries


def _headline_values(summary: Summary | None) -> dict[str, object]:
    return {h.metric: h.value for h in summary.headlines} if summary else {}


def headline_columns(versions: list[Version]) -> list[tuple[str, str]]:
    """(metric, label) of every headline the versions recorded, first seen first."""
    labels = {name: label for v in versions
              for name, label in v.manifest.get("headline_labels", {}).items()}
    names = dict.fromkeys(name for v in versions for name in v.manifest.get("headlines", {}))
    return [(name, labels.get(name, name)) for name in names]


def trend_chart(versions: list[Version], summaries: dict[str, Summary | None]) -> str | None:
    """Headline metrics and build time against version number, as an inline SVG data URL
    (chapter builds only: a release matrix has no headline of its own)."""
    versions = [v for v in versions if v.kind == "chapter"]
    if len(versions) < 2:
        return None
    groups: dict[str, list[Version]] = {}
    for v in versions:
        groups.setdefault(f"{v.manifest['dataset']} / {v.manifest['profile']}", []).append(v)
    panels = headline_columns(versions) + [("build_seconds", "Build time (s)")]
    n_cols = 3
    n_rows = (len(panels) + n_cols - 1) // n_cols
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(11, 2.75 * n_rows), sharex=True,
                             squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (metric, label) in zip(axes.flat, panels, strict=False):
        for group, members in groups.items():
            xs = [v.seq for v in members]
            if metric == "build_seconds":
                ys = [v.manifest.get("build_seconds") for v in members]
            else:
                ys = [_headline_values(summaries[v.id]).get(metric) for v in members]
            ax.plot(xs, ys, marker="o", label=group)
        ax.set_title(label, fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # versions are whole numbers
        ax.tick_params(labelsize=8)
        ax.grid(True, alpha=0.4)
    for ax in axes.flat[max(0, len(panels) - n_cols):len(panels)]:
        ax.set_xlabel("version", fontsize=8)
        ax.xaxis.set_tick_params(labelbottom=True)
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return svg_data_url(figure_svg(fig))


def index_rows(versions: list[Version], columns: list[tuple[str, str]],
               summaries: dict[str, Summary | None]) -> list[dict]:
    rows = []
    for v in reversed(versions):
        m = v.manifest
        summary = summaries[v.id]
        values = _headline_values(summary)
        passed, total = (summary.passed, summary.total) if summary else (0, 0)
        rows.append({
            "id": v.id, "short_id": f"v{v.seq:04d}", "created_utc": m["created_utc"],
            "dataset": m["dataset"], "profile": m["profile"], "commit": m["commit"][:7],
            "dirty": m.get("dirty", False), "kind": v.kind,
            "releases": ", ".join(m.get("releases", [])),
            "headlines": [values.get(name) for name, _ in columns],
            "thresholds_passed": passed,
            "thresholds_total": total,
            "thresholds_failed": total > passed,
            "wall_seconds": m.get("build_seconds"),
            "has_pdf": "report.pdf" in m.get("files", {}),
            "data_file": "matrix.json" if v.kind == "matrix" else "metrics.json",
        })
    return rows


def write_index(archive: Archive):
    """Under the archive's lock, so that of two builds at once the later index lists both."""
    with archive.locked():
        versions = archive.versions()
        columns = headline_columns(versions)
        summaries = verified(versions)
        rows = index_rows(versions, columns, summaries)
        html = render_html("index.html.j2", {
            "versions": rows,
            "any_dirty": any(row["dirty"] for row in rows),
            "headline_labels": [label for _, label in columns],
            "trend": trend_chart(versions, summaries),
        })
        return archive.write_index(html)
