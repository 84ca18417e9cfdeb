"""A version's files (metrics.json, render.json, figures/) -> the templates' context: plain data,
figures inlined, every older version's gaps filled (`compat`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from reportgen.engine.repeats import split_name
from reportgen.errors import ReportgenError
from reportgen.record import RENAMED_METRICS, TaskTiming, VersionRecord
from reportgen.report.compat import (
    changes_of_any_release,
    facts_of_any_release,
    projection_of_any_release,
)
from reportgen.report.jinja import svg_data_url
from reportgen.report.model import BUILT_IN_SUBTITLE, BUILT_IN_TITLE
from reportgen.thresholds import passed_count

# A build whose tasks take less compute than this gets its projection onto more cores as one
# line: at this size the table and charts would say only that there is nothing to gain.
PROJECTION_WORTH_SECONDS = 60.0


def read_version_json(path: Path, shape: dict) -> dict:
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


def _names_as_rendered(data: dict) -> dict[str, str]:
    """Today's metric name -> the name the version's render data (and its templates) use: a
    version made before a metric was renamed renders it under its former name."""
    rendered = {metric["name"] for entry in data["sections"] for metric in entry["metrics"]}
    return {new: old for old, new in RENAMED_METRICS.items() if old in rendered}


def report_context(record: VersionRecord, data: dict, folder: Path) -> dict:
    """The templates' context: the version record and `render.json` combined, as plain data,
    figures inlined."""
    former = _names_as_rendered(data)
    metrics = {former.get(name, name): value for name, value in record.metrics.items()}
    published = [{**asdict(row), "metric": former.get(row.metric, row.metric)}
                 for row in record.published]
    experiments = record.timings.experiments
    thresholds = [{**asdict(t), "metric": former.get(t.metric, t.metric),
                   "bound_metric": former.get(t.bound_metric, t.bound_metric)}
                  for t in record.thresholds or []]
    repeats = {former.get(name, name): asdict(spread)
               for name, spread in (record.repeats.metrics if record.repeats else {}).items()}
    figures = {
        figure["id"]: {"number": number, "caption": figure["caption"], "file": figure["file"],
                       "src": inline_figure(folder, figure["file"]),
                       "size": figure.get("size")}  # None: drawn before figures had sizes
        for number, figure in enumerate(data["figures"], start=1)
    }
    notes = difference_notes(published, data["sections"])
    note_of = {m["metric"]: note["number"] for note in notes for m in note["metrics"]}
    sections = []
    for entry in data["sections"]:
        names = {metric["name"] for metric in entry["metrics"]}
        sections.append({
            "speed_settings": [],  # versions made before speed settings had none
            "code": [],  # nor the code that ran
            "from_chapter": entry["id"] != "test",  # the built-in test set, before it was said
            **entry,
            "facts": facts_of_any_release(entry["id"], entry.get("facts") or {}),
            "published": [{**row, "spread": repeats.get(row["metric"]),
                           "note": note_of.get(row["metric"]), "elements": _elements(row)}
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
        projection = projection_of_any_release(projection, len(experiments))
        projection = {**projection, "worth_seconds": PROJECTION_WORTH_SECONDS,
                      "worth_drawing": projection["total_seconds"] >= PROJECTION_WORTH_SECONDS}
        for chart in ("chart", "timeline_chart"):
            if projection.get(chart):
                projection = {**projection, chart: inline_figure(folder, projection[chart])}
    return {
        "version": data["version"],
        "created_utc": data["created_utc"],
        "chapter": {"spec": None,  # versions made before render.json named their spec
                    **(data.get("chapter") or {"title": BUILT_IN_TITLE,
                                               "subtitle": BUILT_IN_SUBTITLE})},
        # what a sample and a feature are called: "images"/"pixels", or "rows"/"features"
        "dataset": {**asdict(record.dataset), "samples": record.dataset.nouns[0],
                    "units": record.dataset.nouns[1]},
        "profile": record.profile.to_json(),
        "is_chapter_run": bool(published),
        "has_published_values": any(section["has_published"] for section in sections),
        "m": metrics,
        # what the chapter printed, by metric (a partial marks where this run differs)
        "printed": {row["metric"]: row["published"] for row in published},
        "figures": figures,
        "sections": sections,
        "headlines": [{**h, "value": metrics[h["metric"]], "spread": repeats.get(h["metric"])}
                      for h in data["headlines"]],
        "robustness": _robustness(record, data, thresholds, folder, former),
        "difference_notes": notes,
        "published_summary": {"total": len(published),
                              "agree": sum(row["agrees"] for row in published),
                              "book_releases": (asdict(record.book_releases)
                                                if record.book_releases else None)},
        "thresholds": thresholds,
        "thresholds_passed": passed_count(record.thresholds or []),
        "timings": [
            {"experiment": name, "seconds": t.seconds, "cached": t.cached,
             "peak_rss": t.peak_rss_bytes, "threads": t.threads or 1,
             "warnings": record.warnings.get(name, [])}
            for name, t in experiments.items() if split_name(name)[1] == 0
        ],
        "repeat_timings": _repeat_timings(experiments, record.warnings),
        "task_count": len(experiments),
        "peak_rss": max((t.peak_rss_bytes or 0 for t in experiments.values()),
                        default=0) or None,
        "wall_seconds": record.timings.wall_seconds,
        "compute_seconds": sum(t.seconds for t in experiments.values()),
        "computed_count": sum(not t.cached for t in experiments.values()),
        "cached_count": sum(t.cached for t in experiments.values()),
        "jobs": record.timings.jobs,
        "scheduler": record.timings.scheduler,
        "provenance": data["provenance"],
        "seeds": data["seeds"],
        "changes": changes_of_any_release(data["changes"]),
        "previous_id": data["previous_id"],
        "benchmarks": benchmarks,
        "projection": projection,
    }


def _elements(row: dict) -> list[dict] | None:
    """A printed vector's elements side by side, each marked whether this run reproduces it at
    the printed digits (the report marks the ones that differ); None for any other value."""
    from reportgen.metrics import element_agreement

    agreement = element_agreement(row.get("ours"), row["published"])
    if agreement is None:
        return None
    return [{"book": b, "ours": r, "agrees": agrees}
            for b, r, agrees in zip(row["published"], row["ours_rounded"], agreement,
                                    strict=True)]


def difference_notes(published: list[dict], sections: list[dict]) -> list[dict]:
    """Each distinct reason a printed value differs, once, numbered, with the values it
    explains (metric and section): the rows of the sections point to their note instead of
    repeating it."""
    section_of = {metric["name"]: entry["id"] for entry in sections for metric in entry["metrics"]}
    notes: dict[str, dict] = {}
    for row in published:
        if row["agrees"]:
            continue
        why = row.get("why") or "the cause was not measured"
        note = notes.setdefault(why, {"number": len(notes) + 1, "why": why, "metrics": []})
        note["metrics"].append({"metric": row["metric"], "section": section_of.get(row["metric"])})
    return list(notes.values())


def _robustness(record: VersionRecord, data: dict, thresholds: list[dict], folder: Path,
                former: dict[str, str]) -> dict | None:
    """The robustness section's data, for a version with repeats: how they were made, which
    experiments did not need them, each claim at the chapter's seed and in every repeat, and
    the headline and threshold metrics' spread (with the figure of it)."""
    from reportgen.false_alarms import FEWEST_REPEATS, MIN_BLOCK, largest_block, measure
    from reportgen.report.model import cv_claims, robustness_rows, varies

    repeats = record.repeats
    if not repeats:
        return None
    chart = (data.get("robustness") or {}).get("chart")
    today = {old: new for new, old in former.items()}
    rows = [{**row, "metric": former.get(row["metric"], row["metric"])} for row in
            robustness_rows(record, [today.get(h["metric"], h["metric"])
                                     for h in data["headlines"]])]
    return {
        "count": repeats.count,
        "seeds": repeats.seeds,
        "interval": repeats.interval,
        "deterministic": repeats.deterministic,
        # claims on a test-sample interval are checked on the chapter's run only
        "claims": [t for t in thresholds if t["repeat_count"] or t["missing"]],
        "every_repeat": sum(t["repeats_holding"] == t["repeat_count"] for t in thresholds
                            if not t["missing"] and t["repeat_count"]),
        "metrics": rows,
        "constant": [row["metric"] for row in rows if not varies(row)],
        "chart": inline_figure(folder, chart) if chart else None,
        "cv_claims": cv_claims(record),
        "false_alarms": (measure(record).as_dict() if largest_block(record) >= MIN_BLOCK
                         else None),
        "fewest_repeats": FEWEST_REPEATS,  # that the A/A check can use
    }


def _repeat_timings(experiments: dict[str, TaskTiming], warnings: dict) -> list[dict]:
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
        row["seconds"] += t.seconds
        row["computed"] += not t.cached
        row["peak_rss"] = max(row["peak_rss"] or 0, t.peak_rss_bytes or 0) or None
        row["warnings"] += bool(warnings.get(name))
    return [rows[repeat] for repeat in sorted(rows)]
