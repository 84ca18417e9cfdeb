"""The release matrix report: its figures (drawn from `matrix.json`, never from a fit), its
template context, and its HTML, from the files of a matrix version alone (so `render` of an
archived matrix gives the same bytes)."""

from __future__ import annotations

import math
from pathlib import Path

from reportgen.archive import read_json
from reportgen.errors import ReportgenError
from reportgen.figures import figure_svg, release_grid
from reportgen.matrix import MATRIX_DATA, MATRIX_SCHEMA, totals
from reportgen.metrics import matrix_difference
from reportgen.shapes import ANY, INT, NUMBER, STR, Each, Maybe

_LIST = (list,)
MATRIX_SHAPE = {
    "schema": INT, "dataset": {"name": STR}, "profile": {"name": STR}, "repeats": INT,
    "releases": [{"label": STR, "pins": Each(STR), "environment": STR,
                  "libraries": Each(STR)}],
    "published": [{"metric": STR, "agrees": [Maybe((bool,))], "values": _LIST,
                   "published": ANY, "reproduced_by": [STR],
                   "newest_reproducing": Maybe(STR), "first_not_reproducing": Maybe(STR)}],
    "changes": [{"from": STR, "to": STR, "unchanged": INT, "beyond_noise": INT,
                 "metrics": [{"metric": STR, "verdict": STR, "method": STR, "old": ANY,
                              "new": ANY, "p_value": Maybe(NUMBER),
                              "max_abs_change": Maybe(NUMBER), "elements": INT,
                              "elements_changed": Maybe(INT),
                              "relative_change": Maybe(NUMBER)}]}],
    "thresholds": [{"id": STR, "claim": STR, "statuses": [Maybe(STR)], "values": _LIST}],
    "timings": [{"task": STR, "seconds": [Maybe(NUMBER)]}],
    "warnings": [INT], "warning_rows?": [{"task": STR, "counts": [INT], "example": STR}],
    "sections?": Maybe([STR]), "created_utc?": STR, "version?": STR,
    "provenance?": Each(ANY), "figures?": Each(STR),
}

# Timings: one run per release on a shared machine. The project's brief reports the same command
# taking up to 1.7 times as long on another day (not measured by reportgen), so a smaller ratio
# is not flagged as the release's doing.
TIMING_FLAG = 1.7

REPRODUCED_COLOURS = {"reproduced": "#66bb6a", "differs": "#ef9a9a", "not run": "#eeeeee"}
CHANGE_COLOURS = {"unchanged": "#eeeeee", "within seed noise": "#fff59d",
                  "beyond seed noise": "#ef5350", "noise not measured": "#ffb74d"}
STATUS_COLOURS = {"PASS": "#66bb6a", "WARN": "#ffb74d", "FAIL": "#ef5350",
                  "MISSING": "#bdbdbd", "NOT CHECKED": "#bdbdbd", "not run": "#eeeeee"}
TIMING_COLOURS = {f"≥{TIMING_FLAG}× faster": "#81c784",
                  f"within {TIMING_FLAG}×": "#eeeeee",
                  f"≥{TIMING_FLAG}× slower": "#ef9a9a", "not run": "#ffffff"}


def short(label: str) -> str:
    """A release's column label: "1.5.2" (and "+np 2.0.2" when numpy is pinned too)."""
    return label.replace("scikit-learn ", "").replace(", numpy ", " +np ")


def change_state(verdict: str | None) -> str:
    return {None: "unchanged", "significant": "beyond seed noise",
            "within noise": "within seed noise", "unknown": "noise not measured"}[verdict]


def _relative(row: dict) -> str:
    change = row.get("relative_change")
    return "" if change is None else (f"{change:.0e}" if change < 0.01 else f"{change:.0%}")


FIGURES = ("reproduced", "changes", "thresholds", "timings")  # each drawn where it has rows


def draw_figures(data: dict) -> dict[str, bytes]:
    """Every figure of the matrix report, as SVG bytes by file name."""
    columns = [short(r["label"]) for r in data["releases"]]
    figures = {}
    if data["published"]:
        figures["reproduced.svg"] = figure_svg(release_grid(
            [row["metric"] for row in data["published"]], columns,
            [["not run" if a is None else "reproduced" if a else "differs"
              for a in row["agrees"]] for row in data["published"]], REPRODUCED_COLOURS))
    changed = sorted({m["metric"] for step in data["changes"] for m in step["metrics"]})
    if changed:
        steps = [{m["metric"]: m for m in step["metrics"]} for step in data["changes"]]
        figures["changes.svg"] = figure_svg(release_grid(
            changed, [f"{short(s['from'])}→{short(s['to'])}" for s in data["changes"]],
            [[change_state(step[name]["verdict"] if name in step else None) for step in steps]
             for name in changed], CHANGE_COLOURS,
            [[_relative(step[name]) if name in step else "" for step in steps]
             for name in changed]))
    if data["thresholds"]:
        figures["thresholds.svg"] = figure_svg(release_grid(
            [row["id"] for row in data["thresholds"]], columns,
            [[status or "not run" for status in row["statuses"]] for row in data["thresholds"]],
            STATUS_COLOURS))
    if data["timings"]:
        figures["timings.svg"] = figure_svg(release_grid(
            [row["task"] for row in data["timings"]], columns,
            [[timing_state(row["seconds"][0], s) for s in row["seconds"]]
             for row in data["timings"]], TIMING_COLOURS,
            [["" if s is None else f"{s:.0f} s" if s >= 10 else f"{s:.1f} s"
              for s in row["seconds"]] for row in data["timings"]]))
    return figures


def timing_state(oldest: float | None, seconds: float | None) -> str:
    if seconds is None or oldest is None:
        return "not run"
    if oldest > 0 and seconds / oldest >= TIMING_FLAG:
        return f"≥{TIMING_FLAG}× slower"
    if seconds > 0 and oldest / seconds >= TIMING_FLAG:
        return f"≥{TIMING_FLAG}× faster"
    return f"within {TIMING_FLAG}×"


def matrix_context(data: dict, folder: Path) -> dict:
    """What the template shows: the data, the summary counts, rows ready to print, and the
    figures inlined from the version's own files."""
    from reportgen.report.context import inline_figure

    labels = [r["label"] for r in data["releases"]]
    sums = totals(data)
    steps = []
    for step in data["changes"]:
        rows = [{**row, "state": change_state(row["verdict"])} for row in step["metrics"]]
        steps.append({**step, "metrics": rows})
    published = [{**row, "cells": [{"value": v, "agrees": a}
                                   for v, a in zip(row["values"], row["agrees"], strict=True)]}
                 for row in data["published"]]
    timings = [{**row, "states": [timing_state(row["seconds"][0], s) for s in row["seconds"]]}
               for row in data["timings"]]
    return {
        "matrix": data, "labels": labels, "columns": [short(label) for label in labels],
        "totals": sums, "steps": steps, "published": published, "timings": timings,
        "published_differing": [row for row in published if not all(row["agrees"])],
        "timing_flag": TIMING_FLAG,
        "figures": {**dict.fromkeys(FIGURES), **{
            name: inline_figure(folder, path) for name, path in data.get("figures", {}).items()}},
        "chapter_run": bool(data["published"]),
        "answer": _answer(data),
        "warning_rows": data.get("warning_rows", []),
    }


def _inconsistency(data: dict) -> str | None:
    """What in a matrix.json of the right shape does not fit together (a row with a value per
    release too few, a number that is not finite), or None."""
    releases = len(data["releases"])
    rows = ([("published", row["metric"], row[key]) for row in data["published"]
             for key in ("agrees", "values")]
            + [("thresholds", row["id"], row[key]) for row in data["thresholds"]
               for key in ("statuses", "values")]
            + [("timings", row["task"], row["seconds"]) for row in data["timings"]]
            + [("warnings", "", data["warnings"])])
    for part, name, values in rows:
        if len(values) != releases:
            return f"{part} {name} has {len(values)} values for {releases} releases".replace(
                "  ", " ")
    if len(data["changes"]) != max(releases - 1, 0):
        return f"{len(data['changes'])} steps between {releases} releases"
    numbers = [s for row in data["timings"] for s in row["seconds"] if s is not None] + [
        row[key] for step in data["changes"] for row in step["metrics"]
        for key in ("max_abs_change", "relative_change", "p_value") if row[key] is not None]
    if not all(math.isfinite(number) for number in numbers):
        return "a number that is not finite"
    return None


def read_matrix(version) -> dict:
    """An archived matrix's data (`archive.Version`), checked against its manifest, its shape
    and itself; one line naming the file when it is not what reportgen wrote."""
    data = version.read_json(MATRIX_DATA, MATRIX_SHAPE)
    problem = _inconsistency(data)
    if problem:
        raise ReportgenError(f"{version.path / MATRIX_DATA} is not what reportgen wrote"
                             f" ({problem}); restore {version.id} from git or build it anew")
    return data


def _answer(data: dict) -> dict:
    """What the matrix report's first page says: which releases give every printed value (and
    the command that builds the chapter with the newest of them), and at each release boundary
    that changed numbers, which printed values it changed, from what to what."""
    labels = [r["label"] for r in data["releases"]]
    published = data["published"]
    every = [label for i, label in enumerate(labels) if published
             and all(row["agrees"][i] for row in published)]
    command = None
    if every:
        pins = next(r["pins"] for r in data["releases"] if r["label"] == every[-1])
        command = "reportgen build " + " ".join(f"--{name} {release}"
                                                for name, release in pins.items())
    boundaries = []
    for step in data["changes"]:
        if not step["metrics"]:
            continue
        before, after = labels.index(step["from"]), labels.index(step["to"])
        printed = [{"metric": row["metric"],
                    "change": _change(row["values"][before], row["values"][after]),
                    "reproduced_before": row["agrees"][before],
                    "reproduced_after": row["agrees"][after]}
                   for row in published if row["values"][before] != row["values"][after]]
        boundaries.append({"from": step["from"], "to": step["to"],
                           "changed": len(step["metrics"]),
                           "of": len(step["metrics"]) + step["unchanged"],
                           "beyond_noise": step["beyond_noise"], "printed": printed})
    return {"book_releases": every, "command": command, "printed": len(published),
            "boundaries": boundaries}


def _change(before, after, shown: int = 3) -> str:
    """What changed in one value, in a line: a number "0.9669 → 0.9042"; a vector only its
    changed elements ("[0] 0.9669 → 0.9042; [1] ..."); a matrix how many cells, by how much."""
    def number(value) -> str:
        return f"{value:.6g}" if isinstance(value, float) else str(value)

    if isinstance(before, list) and before and isinstance(before[0], list):
        difference = matrix_difference(after, before)
        if difference["cells_differ"] is None:
            return f"a {'×'.join(map(str, difference['shape']))} matrix, of another shape"
        return (f"{difference['cells_differ']} of {difference['cells']} cells, by at most"
                f" {difference['max_abs_diff']}" if difference["cells_differ"]
                else "the same cells")
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        changed = [f"[{i}] {number(b)} → {number(a)}"
                   for i, (b, a) in enumerate(zip(before, after, strict=True)) if a != b]
        more = f"; and {len(changed) - shown} more" if len(changed) > shown else ""
        return "; ".join(changed[:shown]) + more
    return f"{number(before)} → {number(after)}"


def render_matrix(folder: Path) -> str:
    """The matrix report's HTML from the files of a matrix version (or one being staged)."""
    from jinja2 import UndefinedError

    from reportgen.report.jinja import render_html

    data = read_json(folder / MATRIX_DATA, MATRIX_SHAPE)
    if data["schema"] != MATRIX_SCHEMA:
        raise ReportgenError(f"{folder / MATRIX_DATA} has matrix schema {data['schema']}; this"
                             f" reportgen renders schema {MATRIX_SCHEMA}")
    problem = _inconsistency(data)
    if problem:
        raise ReportgenError(f"{folder / MATRIX_DATA} is not what reportgen wrote ({problem});"
                             " restore the version from git or build it anew")
    try:
        return render_html("matrix.html.j2", matrix_context(data, folder))
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, OverflowError,
            UndefinedError) as exc:
        raise ReportgenError(f"{folder.name}'s {MATRIX_DATA} is not what reportgen wrote"
                             f" ({type(exc).__name__}: {exc}); restore the version from git"
                             " or build it anew") from None


def needed_files(folder: Path) -> list[str]:
    """The files a matrix version's report is rendered from: matrix.json and its figures."""
    data = read_json(folder / MATRIX_DATA, MATRIX_SHAPE)
    return [MATRIX_DATA, *data.get("figures", {}).values()]
