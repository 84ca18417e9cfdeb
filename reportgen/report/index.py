"""reports/index.html: every version with its headline numbers, and a trend chart."""

from __future__ import annotations

from matplotlib.ticker import MaxNLocator

from reportgen.archive import Archive, Version
from reportgen.figures import plt, svg_data_url
from reportgen.report.model import HEADLINES
from reportgen.report.render import render_html


def trend_chart(versions: list[Version]) -> str | None:
    """Headline metrics and build time against version number, as an inline SVG data URL."""
    if len(versions) < 2:
        return None
    groups: dict[str, list[Version]] = {}
    for v in versions:
        groups.setdefault(f"{v.manifest['dataset']} / {v.manifest['profile']}", []).append(v)
    panels = [(name, label) for name, label in HEADLINES] + [("build_seconds", "Build time (s)")]
    fig, axes = plt.subplots(2, 3, figsize=(11, 5.5), sharex=True)
    for ax, (metric, label) in zip(axes.flat, panels, strict=True):
        for group, members in groups.items():
            xs = [v.seq for v in members]
            if metric == "build_seconds":
                ys = [v.manifest.get("build_seconds") for v in members]
            else:
                ys = [v.manifest["headlines"].get(metric) for v in members]
            ax.plot(xs, ys, marker="o", label=group)
        ax.set_title(label, fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # versions are whole numbers
        ax.tick_params(labelsize=8)
        ax.grid(True, alpha=0.4)
    for ax in axes[-1]:
        ax.set_xlabel("version", fontsize=8)
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return svg_data_url(fig)


def index_rows(versions: list[Version]) -> list[dict]:
    rows = []
    for v in reversed(versions):
        m = v.manifest
        thresholds = m.get("thresholds", {})
        rows.append({
            "id": v.id, "short_id": f"v{v.seq:04d}", "created_utc": m["created_utc"],
            "dataset": m["dataset"], "profile": m["profile"], "commit": m["commit"][:7],
            "dirty": m.get("dirty", False),
            "headlines": [m["headlines"].get(name) for name, _ in HEADLINES],
            "thresholds_passed": thresholds.get("passed", 0),
            "thresholds_total": thresholds.get("total", 0),
            "thresholds_failed": thresholds.get("total", 0) > thresholds.get("passed", 0),
            "wall_seconds": m.get("build_seconds"),
            "has_pdf": "report.pdf" in m.get("files", {}),
        })
    return rows


def write_index(archive: Archive):
    """Under the archive's lock, so that of two builds at once the later index lists both."""
    with archive.locked():
        versions = archive.versions()
        rows = index_rows(versions)
        html = render_html("index.html.j2", {
            "versions": rows,
            "any_dirty": any(row["dirty"] for row in rows),
            "headline_labels": [label for _, label in HEADLINES],
            "trend": trend_chart(versions),
        })
        return archive.write_index(html)
