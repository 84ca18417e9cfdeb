"""Training-time history from pytest-benchmark's saved runs (benchmarks/, kept in git).

pytest-benchmark numbers its saved runs (0001_…json, 0002_…); this reads them all, compares the
newest with the one before as ratios of medians, and draws each model's time across runs.
A benchmark whose extra_info names a `baseline` is also stated as a ratio to that baseline in
the same run (how much the engine's cache, fold sharing and parallelism save), the comparison a
noisy machine distorts least.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import ReportgenError

REGRESSION_RATIO = 2.0  # shared, noisy machines: only a doubling of the median is a regression


@dataclass(frozen=True)
class SavedRun:
    number: str  # pytest-benchmark's run number, "0003"
    path: Path
    date: str
    commit: str
    medians: dict[str, float]  # benchmark name -> median seconds
    rounds: tuple[int, int]  # the fewest and the most rounds of its benchmarks
    baselines: dict[str, str]  # benchmark name -> the benchmark of the same run it is compared to
    peaks: dict[str, int] | None = None  # benchmark name -> peak resident bytes, where recorded


def load_runs(storage: Path) -> list[SavedRun]:
    """Every saved run under storage (any machine folder), oldest first."""
    runs = []
    for path in sorted(Path(storage).glob("*/[0-9][0-9][0-9][0-9]_*.json")):
        try:
            runs.append(_read_run(path))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError,
                AttributeError, IndexError) as exc:
            raise ReportgenError(f"{path} is not a pytest-benchmark run reportgen can read"
                                 f" ({type(exc).__name__}: {exc}); move it out of {storage}"
                                 ) from None
    return sorted(runs, key=lambda run: (run.date, run.number))


def _read_run(path: Path) -> SavedRun:
    """One saved run; any part of the wrong shape raises (load_runs names the file)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    benchmarks = [(b, b.get("extra_info") or {}) for b in data["benchmarks"]]
    medians = {_key(b["name"], info): float(b["stats"]["median"]) for b, info in benchmarks}
    counts = [int(b["stats"]["rounds"]) for b, _ in benchmarks] or [0]
    baselines = {_key(b["name"], info): _key(info["baseline"], info)
                 for b, info in benchmarks if info.get("baseline")}
    peaks = {_key(b["name"], info): int(info["peak_rss_bytes"]) for b, info in benchmarks
             if info.get("peak_rss_bytes")}
    return SavedRun(
        number=path.name[:4], path=path, date=data["datetime"][:19].replace("T", " "),
        commit=str((data.get("commit_info") or {}).get("id", "unknown"))[:7],
        medians=medians, rounds=(min(counts), max(counts)), baselines=baselines, peaks=peaks,
    )


def _key(name: str, info: dict) -> str:
    """A benchmark's name, with the training size where it sets one: the same benchmark on
    60,000 images is another series than on 10,000, never a regression of it."""
    size = info.get("train_size")
    return f"{name}[{size:,} images]" if size else name


def comparison(runs: list[SavedRun]) -> list[dict]:
    """The newest run's medians and their ratio to the median of the latest earlier run that
    has the same benchmark (a run may time only some of them)."""
    if not runs:
        return []
    newest = runs[-1]
    rows = []
    for name, median in sorted(newest.medians.items()):
        before = next((run.medians[name] for run in reversed(runs[:-1])
                       if name in run.medians), None)
        ratio = median / before if before else None
        rows.append({"name": name, "median": median, "previous": before, "ratio": ratio,
                     "regressed": ratio is not None and ratio > REGRESSION_RATIO})
    return rows


def in_run_ratios(run: SavedRun) -> list[dict]:
    """Each benchmark that names a baseline, as a ratio to that baseline's median in this run."""
    rows = []
    for name, baseline in sorted(run.baselines.items()):
        if baseline in run.medians:
            peaks = run.peaks or {}
            rows.append({"name": name, "baseline": baseline, "run": run.number,
                         "median": run.medians[name],
                         "baseline_median": run.medians[baseline],
                         "ratio": run.medians[name] / run.medians[baseline],
                         "peak_rss": peaks.get(name), "baseline_peak_rss": peaks.get(baseline)})
    return rows


def latest_ratios(runs: list[SavedRun]) -> list[dict]:
    """The newest measurement of every in-run ratio, whichever run made it (a run on demand,
    such as the full-size side by side, times only its own benchmarks)."""
    latest = {row["name"]: row for run in runs for row in in_run_ratios(run)}
    return [latest[name] for name in sorted(latest)]


HISTORY_COLUMNS = 3  # panels per row of the history chart


def history_chart(runs: list[SavedRun]) -> bytes:
    """Each benchmark's median across saved runs, as SVG: one small panel per benchmark, on its
    own scale and titled by its name (one chart of twenty-odd lines in one axes could not be
    read: colours repeat, and a 0.1 s benchmark sits flat under a 400 s one)."""
    from reportgen.figures import PRINTED_WIDTHS, TEXT_BLOCK_INCHES, figure_svg, subplots

    names = sorted({name for run in runs for name in run.medians})
    rows = -(-len(names) // HISTORY_COLUMNS)
    fig, axes = subplots(rows, HISTORY_COLUMNS, squeeze=False, sharex=True, layout="constrained",
                         figsize=(TEXT_BLOCK_INCHES * PRINTED_WIDTHS["wide"], 0.2 + 1.25 * rows))
    for ax, name in zip(axes.flat, names, strict=False):
        points = [(n, run.medians[name]) for n, run in enumerate(runs, 1) if name in run.medians]
        ax.plot(*zip(*points, strict=True), marker="o", markersize=3, color="C0")
        ax.set_title(name.removeprefix("test_"), fontsize=7, loc="left", pad=2)
        ax.set_ylim(0, max(seconds for _, seconds in points) * 1.15 or 1.0)
        ax.tick_params(labelsize=7)
        ax.grid(True, alpha=0.4)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax in axes.flat[max(0, len(names) - HISTORY_COLUMNS):len(names)]:  # each column's last
        ax.tick_params(labelbottom=True)
        ax.set_xticks(range(1, len(runs) + 1))
    fig.supxlabel("saved benchmark run", fontsize=8)
    fig.supylabel("median time (s)", fontsize=8)
    return figure_svg(fig)


def _rounds_note(fewest: int, most: int) -> str:
    span = str(most) if fewest == most else f"{fewest} to {most}"
    return f"{span} round{'' if span == '1' else 's'}"


def report_context(storage: Path) -> dict | None:
    """What the report's training-time section shows, or None without saved runs; `chart`
    holds the history chart's SVG bytes (the build saves it with the figures)."""
    runs = load_runs(storage)
    if not runs:
        return None
    newest = runs[-1]
    return {
        "run_id": f"run {newest.number}, commit {newest.commit}",
        "date": newest.date,
        "rounds_note": _rounds_note(*newest.rounds),
        "runs": len(runs),
        "rows": comparison(runs),
        "in_run": latest_ratios(runs),
        "chart": history_chart(runs) if len(runs) > 1 else None,
        "regression_ratio": REGRESSION_RATIO,
    }
