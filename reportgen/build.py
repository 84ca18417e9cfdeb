"""`reportgen build`: run (or reuse) the experiments, render the report, archive the version."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from reportgen import provenance
from reportgen.archive import Archive, refuse_inside_archive
from reportgen.benchmarks import report_context as benchmark_context
from reportgen.compare import compare_documents
from reportgen.data import load_dataset
from reportgen.engine.profiles import resolve_profile
from reportgen.engine.runner import NoProgress, run_experiments
from reportgen.engine.schedulers import open_scheduler
from reportgen.export import export_run, write_json
from reportgen.figures import figure_svg, projection_chart, spread_chart, timeline_chart
from reportgen.report.index import write_index
from reportgen.report.model import (
    RENDER_DATA,
    build_render_data,
    headlines,
    projection_data,
    robustness_rows,
    varies,
)
from reportgen.report.render import render_version, write_pdf
from reportgen.sections import select
from reportgen.storage import atomic_write, writable_folder
from reportgen.thresholds import DEFAULT_SPEC, blocking, evaluate, load_spec, passed_count

BENCHMARK_CHART = "figures/benchmark_history.svg"
PROJECTION_CHART = "figures/projection.svg"
TIMELINE_CHART = "figures/timeline.svg"
SPREAD_CHART = "figures/repeat_spread.svg"


def write_report(folder: Path, pdf: bool) -> None:
    """report.html (and report.pdf) of a version being staged, rendered from its files exactly
    as `render` will render them."""
    html = render_version(folder)
    atomic_write(folder / "report.html", lambda tmp: tmp.write_text(html, encoding="utf-8"))
    if pdf:
        write_pdf(html, folder, folder / "report.pdf")


@dataclass
class BuildOutcome:
    version_id: str
    path: Path
    document: dict
    previous_id: str | None
    changes: dict | None

    @property
    def failed_thresholds(self) -> list[dict]:
        """The thresholds that make the build exit non-zero (not those of severity "warn")."""
        return blocking(self.document["thresholds"])


def build_report(
    dataset: str = "mnist",
    profile: str = "full",
    *,
    reports_dir: Path = Path("reports"),
    data_file: Path | None = None,
    train_size: int | None = None,
    jobs: int | None = None,
    force: bool = False,
    pdf: bool = True,
    thresholds_path: Path = DEFAULT_SPEC,
    benchmarks_dir: Path | None = Path("benchmarks"),
    only: tuple[str, ...] | None = None,
    scheduler: str | None = None,
    worker_timeout: float = 60.0,
    repeats: int = 1,
    progress=None,
    log=lambda message: None,
) -> BuildOutcome:
    """Run the sections' experiments (all, or `only` those; on `jobs` local processes or on
    the Dask cluster at `scheduler`, given up on after `worker_timeout` s without a worker;
    `repeats` times where seeds matter), then stage, render
    and publish a new numbered version of the report; a failure anywhere leaves no version
    behind."""
    started = time.perf_counter()
    spec = load_spec(thresholds_path)  # a malformed spec fails before any work
    sections = select(only)  # so does an unknown section
    refuse_inside_archive(reports_dir, f"--reports-dir {reports_dir}", may_be_archive=True)
    writable_folder(Path(reports_dir), f"--reports-dir {reports_dir}")  # and a bad archive
    archive = Archive(reports_dir)
    archive.clear_abandoned()
    cluster = (open_scheduler(jobs, scheduler, worker_timeout) if scheduler is not None
               else None)  # reachable, before work
    try:
        ds = load_dataset(dataset, data_file=data_file, log=log)
        chosen = resolve_profile(profile, ds, train_size)
        run = run_experiments(ds, chosen, jobs=jobs, force=force,
                              progress=progress or NoProgress(), log=log, sections=sections,
                              scheduler=cluster, repeats=repeats)
    finally:
        if cluster is not None:
            cluster.close()
    origin = provenance.collect()
    scope = "" if only is None else "-only-" + "-".join(s.id for s in sections)

    with archive.new_version(f"{ds.name}-{chosen.name}{scope}-{origin.short_commit}") as staging:
        def annotate(document: dict) -> None:
            document["version"] = staging.id
            document["thresholds"] = [outcome.as_dict() for outcome in evaluate(spec, document)]

        document, figures, facts = export_run(run, staging.path, annotate)

        previous = archive.previous(ds.name, chosen.name + scope,
                                    scikit_learn=origin.libraries["scikit-learn"])
        changes = compare_documents(previous.metrics(), document) if previous else None
        benchmarks = benchmark_context(benchmarks_dir) if benchmarks_dir else None
        if benchmarks and benchmarks["chart"]:
            svg = benchmarks["chart"]
            atomic_write(staging.path / BENCHMARK_CHART, lambda tmp: tmp.write_bytes(svg))
            benchmarks = {**benchmarks, "chart": BENCHMARK_CHART}
        projection = projection_data(run)
        chart = figure_svg(projection_chart(projection["rows"], projection["measured"]))
        atomic_write(staging.path / PROJECTION_CHART, lambda tmp: tmp.write_bytes(chart))
        projection["chart"] = PROJECTION_CHART
        if projection["timeline"]:
            timeline = figure_svg(timeline_chart(projection["timeline"]))
            atomic_write(staging.path / TIMELINE_CHART, lambda tmp: tmp.write_bytes(timeline))
            projection["timeline_chart"] = TIMELINE_CHART
        robustness = None
        spread = [row for row in robustness_rows(document, [h["metric"] for h in
                                                           headlines(sections)]) if varies(row)]
        if spread:
            svg_spread = figure_svg(spread_chart(spread))
            atomic_write(staging.path / SPREAD_CHART, lambda tmp: tmp.write_bytes(svg_spread))
            robustness = {"chart": SPREAD_CHART}
        render_data = build_render_data(
            run=run, facts=facts, figures=figures, version_id=staging.id,
            created_utc=staging.created.strftime("%Y-%m-%d %H:%M:%S"),
            provenance=origin.as_dict(), changes=changes,
            previous_id=previous.id if previous else None, benchmarks=benchmarks,
            projection=projection, robustness=robustness,
        )
        write_json(staging.path / RENDER_DATA, render_data)
        write_report(staging.path, pdf)
        thresholds = document["thresholds"]
        staging.describe(
            dataset=ds.name, profile=chosen.name + scope, commit=origin.commit,
            dirty=origin.dirty, sections=[s.id for s in sections],
            headlines={h["metric"]: document["metrics"][h["metric"]]
                       for h in headlines(sections)},
            headline_labels={h["metric"]: h["label"] for h in headlines(sections)},
            thresholds={"passed": passed_count(thresholds), "total": len(thresholds)},
            build_seconds=time.perf_counter() - started,
            previous=previous.id if previous else None, repeats=repeats,
            scikit_learn=origin.libraries["scikit-learn"],
        )
    write_index(archive)
    return BuildOutcome(staging.id, archive.root / staging.id, document,
                        previous.id if previous else None, changes)


@dataclass
class MatrixOutcome:
    version_id: str
    path: Path
    data: dict  # matrix.json


def build_matrix(
    pins: list,
    dataset: str = "mnist",
    profile: str = "full",
    *,
    reports_dir: Path = Path("reports"),
    data_file: Path | None = None,
    train_size: int | None = None,
    jobs: int = 1,
    force: bool = False,
    pdf: bool = True,
    thresholds_path: Path = DEFAULT_SPEC,
    only: tuple[str, ...] = (),
    repeats: int = 1,
    quiet: bool = False,
    log=lambda message: None,
) -> MatrixOutcome:
    """Run the chapter in one environment per release of `pins` (`environments.Pins`), compare
    the releases, and publish the matrix report as a new numbered version; a failure anywhere
    (a release that cannot be had, a run that fails) leaves no version behind."""
    from reportgen.matrix import MATRIX_DATA, RUNS, compare_releases, run_arguments, run_releases
    from reportgen.report.matrix import draw_figures

    started = time.perf_counter()
    spec = load_spec(thresholds_path)
    only = tuple(dict.fromkeys(only))
    if only:
        select(only)  # an unknown section fails here, before any environment is made
    resolve_profile(profile, load_dataset(dataset, data_file=data_file, log=log), train_size)
    refuse_inside_archive(reports_dir, f"--reports-dir {reports_dir}", may_be_archive=True)
    writable_folder(Path(reports_dir), f"--reports-dir {reports_dir}")
    archive = Archive(reports_dir)
    archive.clear_abandoned()
    arguments = run_arguments(profile, dataset, data_file, train_size, only, repeats, force,
                              quiet)
    runs = run_releases(pins, arguments, jobs, log)
    data = compare_releases(runs, spec)
    origin = provenance.collect()
    scope = "-only-" + "-".join(only) if only else ""
    slug = (f"matrix-{data['dataset']['name']}-{data['profile']['name']}{scope}"
            f"-{origin.short_commit}")
    with archive.new_version(slug) as staging:
        for run in runs:
            write_json(staging.path / RUNS / run.environment.path.name / "metrics.json",
                       run.document)
        data["figures"] = {}
        for name, svg in draw_figures(data).items():
            atomic_write(staging.path / "figures" / name, lambda tmp, s=svg: tmp.write_bytes(s))
            data["figures"][name.removesuffix(".svg")] = f"figures/{name}"
        data.update(version=staging.id, provenance=origin.as_dict(),
                    created_utc=staging.created.strftime("%Y-%m-%d %H:%M:%S"))
        write_json(staging.path / MATRIX_DATA, data)
        write_report(staging.path, pdf)
        newest = data["thresholds"]
        staging.describe(
            kind="matrix", dataset=data["dataset"]["name"],
            profile=data["profile"]["name"] + scope, commit=origin.commit, dirty=origin.dirty,
            sections=data["sections"], releases=[r["label"] for r in data["releases"]],
            thresholds={"passed": sum(t["statuses"][-1] == "PASS" for t in newest),
                        "total": len(newest)},
            build_seconds=time.perf_counter() - started, repeats=repeats,
        )
    write_index(archive)
    return MatrixOutcome(staging.id, archive.root / staging.id, data)
