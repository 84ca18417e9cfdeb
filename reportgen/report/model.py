"""The report's model: everything the templates need beyond `metrics.json`, as plain JSON data.

A build writes it as `render.json` beside `metrics.json` and the figures; the HTML is always
rendered from those files (`reportgen.report.render.render_version`), so an archived version can
be rendered again later, with newer templates, without the dataset, the cache or any fitting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: reading a version needs no engine
    from reportgen.engine.runner import RunResult
    from reportgen.figures import SavedFigure
    from reportgen.record import VersionRecord
    from reportgen.sections.api import Section

# The built-in chapter's title page, and that of every version made before render.json held one
BUILT_IN_TITLE = "Classification"
BUILT_IN_SUBTITLE = ("The MNIST classification chapter of Hands-On Machine Learning, run,"
                     " checked and reported")
RENDER_DATA = "render.json"
PARTIALS = "partials"  # a version's copies of the partials of sections outside the package
RENDER_SCHEMA = 1
# The top level of render.json as `build_render_data` writes it (checked before rendering;
# "?": optional, for versions made before the part existed).
RENDER_SHAPE = {"schema": (int,), "version": (str,), "created_utc": (str,),
                "sections": (list,), "figures": (list,), "headlines": (list,),
                "provenance": (dict,), "seeds": (dict,), "changes": (dict, type(None)),
                "previous_id": (str, type(None)), "benchmarks": (dict, type(None)),
                "projection?": (dict, type(None)), "robustness?": (dict, type(None)),
                "chapter?": (dict,)}


def section_facts(run: RunResult) -> dict[str, dict]:
    """Each section's facts, from its own results and the dataset (section id -> facts)."""
    results = {name: experiment_run.result for name, experiment_run in run.runs.items()}
    return {section.id: section.facts(results, run.dataset.spec) for section in run.sections}


def captions(sections: list[Section], facts: dict[str, dict]) -> dict[str, str]:
    """Each figure's caption with its section's facts filled in (figure id -> caption)."""
    return {figure.id: figure.caption.format(**facts[section.id])
            for section in sections for figure in section.figures}


def headlines(sections: list[Section]) -> list[dict]:
    """The metrics the summary, the index and `reportgen list` lead with."""
    return [{"metric": metric.name, "label": metric.headline}
            for section in sections for metric in section.metrics if metric.headline]


def _section_entry(section: Section, facts: dict, shown: Callable[[str], bool]) -> dict:
    from reportgen.engine.registry import code_shown

    return {
        "id": section.id,
        "title": section.title.format(**facts),
        "template": section.template,
        "from_chapter": section.from_chapter,
        # the code that computed its numbers, as it was when they were computed
        "code": [{"name": name, "source": source}
                 for name, source in code_shown(section.tasks.values(), shown)],
        "facts": facts,
        "figures": [figure.id for figure in section.figures],
        "speed_settings": [setting.as_dict() for setting in section.speed_settings],
        "metrics": [{"name": metric.name, "description": metric.description.format(**facts),
                     "published": metric.published is not None}
                    for metric in section.metrics],
    }


def build_render_data(
    *,
    run: RunResult,
    facts: dict[str, dict],
    figures: list[SavedFigure],
    version_id: str,
    created_utc: str,
    provenance: dict,
    changes: dict | None,
    previous_id: str | None,
    benchmarks: dict | None,
    projection: dict | None = None,
    robustness: dict | None = None,
    chapter: dict | None = None,
    shown: Callable[[str], bool] = lambda module: True,
) -> dict:
    """What a version's `render.json` holds: per section its title, partial, facts, figures
    and metric descriptions, whether it is the chapter's own, the code that computed it (of the
    modules `shown` accepts); the figures in order; provenance, seeds, changes, benchmarks."""
    seeds: dict[str, int] = {}
    for section in run.sections:
        seeds.update(section.seeds())
    return {
        "schema": RENDER_SCHEMA,
        "version": version_id,
        "created_utc": created_utc,
        "sections": [_section_entry(s, facts[s.id], shown) for s in run.sections],
        "figures": [{"id": f.id, "caption": f.caption, "file": f.svg, "size": f.size}
                    for f in figures],
        "headlines": headlines(run.sections),
        "provenance": provenance,
        "seeds": seeds,
        "changes": changes,
        "previous_id": previous_id,
        "benchmarks": benchmarks,
        "projection": projection,
        "robustness": robustness,  # {"chart": path} of a version with repeats
        "chapter": chapter or {},  # {"title", "subtitle"}: the title page's
    }


PROJECTED_REPEATS = 10  # the projection of a run with repeats, next to the chapter's


def projection_data(run: RunResult) -> dict:
    """The wall time the run's tasks would take on 1 to 64 cores under the runner's own policy
    (`engine.schedule`: threads included, each task modelled by its measured speed-up), for
    the run and for `--repeats 10` of it; and this run's own wall time and idle core time,
    where it computed everything (a run that reused cached results measured nothing to
    compare)."""
    from reportgen.engine.repeats import repeated_tasks, split_name, task_name
    from reportgen.engine.schedule import critical_path

    one_thread = {name: run.one_thread_seconds.get(name, r.seconds)
                  for name, r in run.runs.items()}
    depends = {name: r.depends_on for name, r in run.runs.items()}
    rides = {name: r.rides_with for name, r in run.runs.items()}
    plain, rows = _projection_rows(one_thread, depends, run.speedups, rides)
    chapter = [name for name in run.runs if split_name(name)[1] == 0]
    many, many_depends = repeated_tasks({n: one_thread[n] for n in chapter},
                                        {n: depends[n] for n in chapter}, run.varying,
                                        PROJECTED_REPEATS)
    many_rides = {name: (None if rides[split_name(name)[0]] is None else
                         task_name(rides[split_name(name)[0]], split_name(name)[1]))
                  for name in many}
    many_speedups = {name: run.speedups.get(split_name(name)[0]) for name in many
                     if split_name(name)[0] in run.speedups}
    _, repeat_rows = _projection_rows(many, many_depends, many_speedups, many_rides)
    durations, merged_depends, speedups = plain
    one = sum(durations.values())
    path = critical_path(durations, merged_depends)
    longest = max(path, key=lambda name: durations[name])
    computed_all = not any(r.cached for r in run.runs.values())
    measured = None
    if computed_all:
        measured = {"workers": run.jobs, "wall_seconds": run.wall_seconds,
                    "scheduler": run.scheduler,
                    "idle_seconds": max(0.0, run.jobs * run.wall_seconds - sum(
                        r.seconds * r.threads for r in run.runs.values()))}
    timeline = [{"task": name, "worker": r.where, "start": r.started, "seconds": r.seconds,
                 "threads": r.threads}
                for name, r in run.runs.items() if not r.cached and r.started is not None]
    split = [{"task": name, "pieces": s.pieces, "serial": s.serial, "measured": list(s.measured),
              "one_thread_seconds": durations[name]}
             for name, s in sorted(speedups.items()) if s.pieces > 1 and split_name(name)[1] == 0]
    return {"rows": rows, "measured": measured, "chart": None, "total_seconds": one,
            "tasks": len(durations), "timeline": timeline, "timeline_chart": None,
            "critical_path": path, "critical_seconds": sum(durations[n] for n in path),
            "bounding_task": longest, "bounding_seconds": durations[longest],
            "speedups": split, "repeats": {"count": PROJECTED_REPEATS, "rows": repeat_rows}}


def _projection_rows(one_thread, depends, speedups, rides):
    """The tasks as they run (rides merged into their leads) and one row per core count: the
    projected wall time, speed-up, idle core time, the task that finishes last, and the
    longest task even on its most threads (the floor no number of cores goes below)."""
    from reportgen.engine.schedule import longest_unsplittable, projections, riding_along

    durations, merged, speeds = riding_along(one_thread, depends, speedups, rides)
    one = sum(durations.values())
    rows = []
    for p in projections(durations, merged, speedups=speeds):
        floor_task, floor = longest_unsplittable(durations, speeds, p.workers)
        rows.append({"workers": p.workers, "wall_seconds": p.wall_seconds,
                     "speedup": one / p.wall_seconds if p.wall_seconds else None,
                     "idle_seconds": p.idle_seconds, "bounding_task": p.bounding_task,
                     "floor_task": floor_task, "floor_seconds": floor,
                     "over_floor": p.wall_seconds / floor if floor else None})
    return (durations, merged, speeds), rows


def robustness_rows(record: VersionRecord, headline_names: list[str]) -> list[dict]:
    """The headline and threshold metrics of a version with repeats that are single numbers
    measured in every repeat: chapter value, repeat values, mean, std and 95 % interval, in
    the order they first appear (headlines, then thresholds). The report's robustness table
    shows exactly these; the spread figure those that vary."""
    wanted = list(headline_names) + [name for t in record.thresholds or []
                                     for name in (t.metric, t.bound_metric) if name]
    rows = []
    for name in dict.fromkeys(wanted):
        spread = record.spread(name)
        if spread and isinstance(spread.mean, float):
            rows.append({"metric": name, "value": record.metrics[name], **asdict(spread),
                         "lowest": min(spread.values), "highest": max(spread.values)})
    return rows


def cv_claims(record: VersionRecord) -> list[dict]:
    """The claims of a version with repeats that rest on k-fold cross-validation scores (a
    metric declaring its `fold_scores`): the mean fold score, or for a claim against another
    such metric the mean per-fold difference (same repeat, same fold), with its naive and its
    corrected repeated k-fold interval, and whether the claim holds inside each."""
    from reportgen.statistics import corrected_cv_interval
    from reportgen.thresholds import interval_holds

    if not record.repeats:
        return []
    folds_of, values = record.repeats.fold_scores, record.repeats.metrics
    rows = []
    for t in record.thresholds or []:
        if t.status == "NOT CHECKED":  # no bound for the profile: no claim to hold
            continue
        scores = folds_of.get(t.metric)
        other = folds_of.get(t.bound_metric) if t.bound_metric else None
        if scores not in values or (t.bound_metric and other not in values):
            continue
        if t.op not in (">", ">=", "<", "<=", "between"):
            continue
        folds = values[scores].values
        if not all(isinstance(row, list) for row in folds) or len(set(map(len, folds))) != 1:
            continue  # not k scores in every repeat
        if other:
            folds = [[a - b for a, b in zip(x, y, strict=True)]
                     for x, y in zip(folds, values[other].values, strict=True)]
        interval = corrected_cv_interval(folds)
        bound = 0 if other else t.bound
        rows.append({"id": t.id, "claim": t.claim, "metric": t.metric,
                     "bound_metric": t.bound_metric, "op": t.op, "bound": bound,
                     "of": (f"mean of {scores} − {other}, fold by fold" if other
                            else f"mean of {scores}'s folds"), **interval,
                     "holds_naive": interval_holds(t.op, interval["naive_low"],
                                                   interval["naive_high"], bound),
                     "holds_corrected": interval_holds(t.op, interval["low"],
                                                       interval["high"], bound)})
    return rows


def varies(row: dict) -> bool:
    """Whether a robustness row's repeats differ at all (the spread figure draws only these; a
    metric the same in every repeat has nothing to draw)."""
    return row["std"] > 0


def figure_files(render_data: dict) -> list[Path]:
    """Every file under the version that the render data refers to."""
    files = [Path(figure["file"]) for figure in render_data["figures"]]
    charts = [(render_data.get(part) or {}).get(chart)
              for part, chart in (("benchmarks", "chart"), ("projection", "chart"),
                                  ("projection", "timeline_chart"), ("robustness", "chart"))]
    return files + [Path(chart) for chart in charts if chart]
