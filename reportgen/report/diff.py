"""`reportgen diff` in three forms, from the rows `compare.compare_records` computes: text for
a terminal, markdown for a pull-request comment, JSON for other tools."""

from __future__ import annotations

import json
import math

from reportgen.report.filters import (
    fmt_brief,
    fmt_number,
    fmt_p_value,
    fmt_percent,
    fmt_ratio,
    fmt_seconds,
    fmt_signed,
    fmt_status,
)

FORMATS = ("text", "markdown", "json")
TIMING_ROWS = 10  # the markdown form lists the tasks whose time changed most


def _verdict(row: dict) -> str:
    """The verdict, the null it was tested against and how: "significant; null: seed noise;
    paired t-test, p = 0.002"."""
    if row["p_value"] is None:
        return f"{row['verdict']}: {row.get('method') or 'no repeats'}"
    p = fmt_p_value(row["p_value"])
    p = p if p.startswith(("<", "≤")) else f"= {p}"
    if not row.get("null"):  # a diff stored before verdicts named their null
        return f"{row['verdict']} (p {p})"
    return f"{row['verdict']}; null: {row['null']}; {row['test']}, p {p}"


CELLS_LISTED = 6  # a changed list or matrix names this many of its changed elements


def _elements(old, new, at: str = "") -> list[tuple[str, object, object]] | None:
    """The elements of two lists (of any depth) of one shape that differ, each as (its index,
    "[1]" or "[2][0]", old, new); None when their shapes differ."""
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return None
        found: list[tuple[str, object, object]] = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            inner = _elements(a, b, f"{at}[{i}]")
            if inner is None:
                return None
            found += inner
        return found
    if isinstance(old, list) or isinstance(new, list):
        return None
    return [] if old == new else [(at, old, new)]


def _size(value) -> int:
    return sum(map(_size, value)) if isinstance(value, list) else 1


def _delta(row: dict) -> str:
    """The change: a number's difference; a list's or a matrix's changed elements, each
    "[row][column] old → new" (two matrices of one shape: "2×2 matrix -> 2×2 matrix", or
    "5 values -> 5 values", said nothing)."""
    if row["delta"] is not None:
        return fmt_signed(row["delta"])
    old, new = row["old"], row["new"]
    cells = _elements(old, new) if isinstance(new, list) else None
    if not cells:
        return ""
    listed = ", ".join(f"{at} {fmt_number(a)} → {fmt_number(b)}"
                       for at, a, b in cells[:CELLS_LISTED])
    more = f", … ({len(cells)} in all)" if len(cells) > CELLS_LISTED else ""
    unit = "cells" if _is_matrix(new) else "values"
    return f"{len(cells)} of {_size(new)} {unit}: {listed}{more}"


def _is_matrix(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(row, list) for row in value)


def _counts(changes: dict) -> str:
    verdicts = [row["verdict"] for row in changes["metrics"]]
    return (f"{len(verdicts)} changed ({verdicts.count('significant')} significant,"
            f" {verdicts.count('within noise')} within noise, {verdicts.count('unknown')}"
            f" unknown), {changes['unchanged_metrics']} unchanged,"
            f" {len(changes['added_metrics'])} added, {len(changes['removed_metrics'])} removed")


def _repeats(changes: dict) -> str:
    r = changes["repeats"]
    return f"repeats: {r['old']} -> {r['new']}"


def _some(names: list[str], shown: int = 4) -> str:
    more = f", and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def code_lines(code: dict | None) -> list[str]:
    """What changed in the experiments' code, as lines: the experiments whose code digest
    changed, then each name they read that changed (its text before and after)."""
    if code is None:
        return ["code: not compared (a version made before versions recorded their code)"]
    named = [f"{task} {code['digests'][task][0][:7]}→{code['digests'][task][1][:7]}"
             for task in code["experiments"]]
    lines = [f"code: {len(code['experiments'])} experiment(s) changed"
             + (f" ({_some(named, 3)})" if named else "")]
    for row in code["names"]:
        old = row["old"] or "(new)"
        new = row["new"] or "(removed)"
        lines.append(f"  {row['name']}: {old} -> {new}  [{_some(row['experiments'], 3)}]")
    if code["unexplained"]:
        lines.append(f"  reportgen's own code changed for {_some(code['unexplained'], 3)}")
    return lines


def as_text(changes: dict, old_id: str, new_id: str, new_metrics: dict) -> str:
    lines = [f"{old_id} -> {new_id}", _repeats(changes)]
    if changes.get("incomparable"):
        lines.append(f"note: {changes['incomparable']}")
    elif changes["dataset_changed"]:
        lines.append("the dataset's checksum differs")
    lines += code_lines(changes.get("code"))
    lines.append(f"metrics: {_counts(changes)}")
    lines += [f"  + {name}: {fmt_number(new_metrics[name])}" for name in changes["added_metrics"]]
    lines += [f"  - {name}" for name in changes["removed_metrics"]]
    for row in changes["metrics"]:
        delta = f" ({_delta(row)})" if _delta(row) else ""
        lines.append(f"  {row['metric']}: {fmt_brief(row['old'])} -> {fmt_brief(row['new'])}"
                     f"{delta}  [{_verdict(row)}]")
    lines.append(f"thresholds: {len(changes['thresholds'])} changed status")
    lines += [f"  {row['id']}: {fmt_status(row['old'])} -> {fmt_status(row['new'])}"
              for row in changes["thresholds"]]
    wall = changes["wall_seconds"]
    lines.append(f"time: {fmt_seconds(wall['old'])} -> {fmt_seconds(wall['new'])}")
    lines += [f"  {row['experiment']}: {fmt_seconds(row['old'])} -> {fmt_seconds(row['new'])}"
              f" {fmt_ratio(row['ratio'])}{' (cached)' if row['cached'] else ''}"
              for row in changes["timings"]]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Markdown table cells may not hold a pipe or a newline."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)]


def as_markdown(changes: dict, old_id: str, new_id: str, new_metrics: dict) -> str:
    """A pull-request comment: the verdict first, then tables of metrics, thresholds, times."""
    significant = changes["significant"]
    lines = [f"### reportgen: `{old_id}` → `{new_id}`", ""]
    lines.append(f"**{significant} significant change{'s' if significant != 1 else ''}**"
                 f" · metrics {_counts(changes)} · {_repeats(changes).replace('->', '→')}")
    if changes.get("incomparable"):
        lines += ["", f"⚠️ {changes['incomparable'][0].upper()}{changes['incomparable'][1:]}."]
    elif changes["dataset_changed"]:
        lines += ["", "⚠️ The dataset's checksum differs."]
    code = changes.get("code")
    if code is None or code["experiments"]:
        lines += ["", "#### Code", ""]
        lines.append(code_lines(code)[0].replace("code: ", "").capitalize() + ".")
        if code and code["names"]:
            lines += [""] + _table(["what it reads", "before", "now", "experiments"], [
                [f"`{row['name']}`", f"`{row['old']}`" if row["old"] else "(new)",
                 f"`{row['new']}`" if row["new"] else "(removed)",
                 _some(row["experiments"], 3)] for row in code["names"]])
    if changes["metrics"]:
        lines += ["", "#### Changed metrics", ""]
        lines += _table(["metric", "before", "now", "change", "verdict"], [
            [f"`{row['metric']}`", fmt_brief(row["old"]), fmt_brief(row["new"]),
             _delta(row), ("**" + _verdict(row) + "**") if row["verdict"] == "significant"
             else _verdict(row)] for row in changes["metrics"]])
    if changes["added_metrics"]:
        lines += ["", "#### New metrics", ""]
        lines += _table(["metric", "value"], [[f"`{name}`", fmt_brief(new_metrics[name])]
                                              for name in changes["added_metrics"]])
    lines += ["", "#### Thresholds", ""]
    if changes["thresholds"]:
        lines += _table(["threshold", "before", "now"], [
            [f"`{row['id']}`", fmt_status(row["old"]), fmt_status(row["new"])]
            for row in changes["thresholds"]])
    else:
        lines.append("No threshold changed status.")
    wall = changes["wall_seconds"]
    lines += ["", "#### Timings", ""]
    timed = sorted((row for row in changes["timings"] if row["ratio"]),
                   key=lambda row: -abs(math.log(row["ratio"])))[:TIMING_ROWS]
    lines += _table(["task", "before", "now", "ratio"], [
        ["whole run", fmt_seconds(wall["old"]), fmt_seconds(wall["new"]),
         fmt_ratio(wall["new"] / wall["old"]) if wall["old"] else "—"],
        *([f"`{row['experiment']}`", fmt_seconds(row["old"]), fmt_seconds(row["new"]),
           fmt_ratio(row["ratio"]) + (" (cached)" if row["cached"] else "")] for row in timed)])
    lines += ["", "<sub>Verdicts: Welch's t-test on both versions' repeats, or one value against"
              " the other version's repeats; p-values adjusted over the diff by"
              " Benjamini–Hochberg (a 5 % false discovery rate); significant below 0.05."
              " *unknown*: neither version has repeats of the metric"
              " (`reportgen build --repeats N`).</sub>"]
    return "\n".join(lines)


def as_json(changes: dict, old_id: str, new_id: str, new_metrics: dict) -> str:
    return json.dumps({"old": old_id, "new": new_id, **changes}, indent=2)


def format_changes(form: str, changes: dict, old_id: str, new_id: str,
                   new_metrics: dict) -> str:
    """The diff in `form` (one of FORMATS)."""
    return {"text": as_text, "markdown": as_markdown, "json": as_json}[form](
        changes, old_id, new_id, new_metrics)


def describe_false_alarms(measured: dict) -> str:
    """An A/A measurement (`false_alarms.FalseAlarms.as_dict`) in three lines."""
    flagged = ", ".join(f"{name} ({count})" for name, count in measured["most_flagged"])
    if measured["gate_rate"] is None:
        return (f"A/A check of `diff --fail-on significant` on repeats {measured['repeats'][0]}"
                f"..{measured['repeats'][-1]}: no metric was tested in its {measured['splits']}"
                " splits (none varies across the repeats), so no false-alarm rate was measured")
    return "\n".join([
        f"A/A check of `diff --fail-on significant` on repeats {measured['repeats'][0]}.."
        f"{measured['repeats'][-1]}, blocks of {measured['block']}: the gate failed in"
        f" {measured['failing_splits']} of {measured['splits']} splits, a measured false-alarm"
        f" rate of {fmt_percent(measured['gate_rate'])} (nominal"
        f" {fmt_percent(measured['nominal'], 0)})",
        f"metric elements called significant: {measured['metrics_significant']} of"
        f" {measured['metrics_tested']} ({fmt_percent(measured['metric_rate'])})"
        + (f"; most often {flagged}" if flagged else ""),
        f"method: {measured['method']}"])
