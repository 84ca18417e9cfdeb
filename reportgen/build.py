"""`reportgen run` and `reportgen build`: run (or reuse) a chapter's experiments; render the
report and archive the version. Both take the chapter the command composed (`reportgen.chapter`)
and share one run phase (`run_chapter`)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reportgen import provenance
from reportgen.archive import Archive, refuse_inside_archive
from reportgen.benchmarks import report_context as benchmark_context
from reportgen.chapter import Chapter, built_in
from reportgen.compare import compare_records
from reportgen.data import Dataset, load_dataset
from reportgen.engine.profiles import Profile, resolve_profile
from reportgen.engine.runner import NoProgress, RunResult, run_experiments
from reportgen.engine.schedulers import open_scheduler
from reportgen.errors import ReportgenError
from reportgen.export import export_run, write_json
from reportgen.figures import figure_svg, projection_chart, spread_chart, timeline_chart
from reportgen.gate import Gate
from reportgen.interrupts import stop_if_signalled
from reportgen.publishers import Publication, installed, publish
from reportgen.record import VersionRecord
from reportgen.report.index import write_index
from reportgen.report.model import (
    PARTIALS,
    RENDER_DATA,
    build_render_data,
    headlines,
    projection_data,
    robustness_rows,
    varies,
)
from reportgen.report.render import PartialFailure
from reportgen.storage import atomic_write, replaced_folder, writable_folder
from reportgen.thresholds import (
    Threshold,
    evaluate,
    load_spec,
    none_apply,
    passed_count,
    thresholds_gate,
)

BENCHMARK_CHART = "figures/benchmark_history.svg"
PROJECTION_CHART = "figures/projection.svg"
TIMELINE_CHART = "figures/timeline.svg"
SPREAD_CHART = "figures/repeat_spread.svg"


def _shown_path(path: Path, root: Path | None) -> str:
    """A path as its reader knows it: inside the project, from its root; reportgen's own, from
    the package (reportgen/thresholds.toml); anything else as given."""
    path = Path(path).resolve()
    for base in (root, Path(__file__).resolve().parents[1]):
        if base is not None and path.is_relative_to(Path(base).resolve()):
            return str(path.relative_to(Path(base).resolve()))
    return str(path)


def chapter_code(module: str) -> bool:
    """Code a reader is shown beside a section's numbers: the chapter's own (a project's
    modules, or the built-in chapter's sections and their shared helpers), never reportgen's
    machinery (the engine, the section API, the prose helpers)."""
    if not module.startswith("reportgen."):
        return True
    return (module.startswith("reportgen.sections.")
            and module not in ("reportgen.sections.api", "reportgen.sections.prose"))


def write_report(folder: Path, pdf: bool, sections: Sequence = (),
                 record: VersionRecord | None = None, preview: bool = False) -> None:
    """Every publisher's output of a version being staged (the chapter edition report.html,
    the build record record.html, their PDFs, and any installed package's), made from its
    files exactly as `render` will make them; a partial that fails is named by its file among
    `sections`' (the one the user edits), not by its copy in the staging folder."""
    try:
        publish(Publication(folder, record, pdf, preview), folder)
    except PartialFailure as failure:
        sources = {s.partial.name: s.partial for s in sections if s.partial is not None}
        if failure.partial not in sources:
            raise
        raise failure.in_source(sources[failure.partial]) from None


PREVIEW_PREFIX = "preview-"  # the version id of a `build --preview`


def refuse_other_folder(preview: Path) -> None:
    """A preview replaces its folder whole: one that holds anything but an earlier preview (the
    project's root, a folder of notes) is refused before any work."""
    if not preview.is_dir() or not any(preview.iterdir()):
        return
    try:
        earlier = json.loads((preview / "metrics.json").read_text(encoding="utf-8"))
        if str(earlier.get("version", "")).startswith(PREVIEW_PREFIX):
            return
    except (OSError, ValueError, AttributeError):
        pass
    raise ReportgenError(f"--preview {preview} holds files of its own, which a preview would"
                         " replace: give a new or empty folder, or an earlier preview's")


def chapter_spec(chapter: Chapter, path: Path | None = None) -> list[Threshold]:
    """The thresholds spec of a run of `chapter` (its own unless `path`), checked against its
    metric names and datasets before any work."""
    return load_spec(path or chapter.thresholds, chapter.metrics(), chapter.dataset_names())


def run_chapter(
    chapter: Chapter,
    dataset: str | None = None,
    profile: str = "full",
    *,
    data_file: Path | None = None,
    train_size: int | None = None,
    jobs: int | None = None,
    threads: int | None = None,
    force: bool = False,
    only: tuple[str, ...] | None = None,
    scheduler: str | None = None,
    worker_timeout: float = 60.0,
    repeats: int = 1,
    progress=None,
    log=lambda message: None,
    before_work: Callable[[Dataset, Profile], None] = lambda dataset, profile: None,
) -> RunResult:
    """The run phase of `run` and `build`: the chapter's sections (`only` those), on its
    dataset (or `dataset`), on `jobs` local processes or the Dask cluster at `scheduler`
    (reached before any work, given up on after `worker_timeout` s without a worker), tasks
    that can split on `threads` threads (None: the scheduling policy decides);
    `before_work(dataset, profile)` checks what the caller needs before the fitting begins."""
    sections = chapter.select(only)  # an unknown section fails before any work
    cluster = (open_scheduler(jobs, scheduler, worker_timeout) if scheduler is not None
               else None)  # reachable, before work
    try:
        ds = load_dataset(chapter.dataset_spec(dataset), data_file=data_file, log=log)
        chosen = resolve_profile(profile, ds, train_size, chapter.minimum_train_size())
        before_work(ds, chosen)
        return run_experiments(ds, chosen, sections, chapter.experiments(), jobs=jobs,
                               force=force, progress=progress or NoProgress(), log=log,
                               scheduler=cluster, repeats=repeats, threads=threads)
    finally:
        if cluster is not None:
            cluster.close()


def open_archive(reports_dir: Path, log=lambda message: None) -> Archive:
    """The archive a build publishes into, checked before any work: not inside another
    archive, writable; what an interrupted build left there is cleared; a damaged version in
    it is skipped, said to `log`."""
    refuse_inside_archive(reports_dir, f"--reports-dir {reports_dir}", may_be_archive=True)
    writable_folder(Path(reports_dir), f"--reports-dir {reports_dir}")
    archive = Archive(reports_dir, warn=log)
    archive.clear_abandoned()
    return archive


def missing_partials(sections) -> None:
    """A section from outside the package must bring its partial, and one that parses: said
    before any work."""
    from jinja2 import TemplateSyntaxError

    from reportgen.report.jinja import environment

    for section in sections:
        if section.partial is None:
            continue
        if not section.partial.is_file():
            raise ReportgenError(f"section {section.id} has no partial {section.partial}; write"
                                 " it (the section's prose and figures, a Jinja template)")
        try:
            environment().parse(section.partial.read_text(encoding="utf-8"))
        except (TemplateSyntaxError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            raise ReportgenError(f"{section.partial}{f':{line}' if line else ''}: not a Jinja"
                                 f" template the report can use ({exc}); fix the partial"
                                 ) from None


def copy_partials(run: RunResult, folder: Path) -> None:
    """Each section from outside the package brings its partial into the version, so the
    version renders again without the section's module."""
    missing_partials(run.sections)
    for section in run.sections:
        if section.partial is not None:
            atomic_write(folder / PARTIALS / section.partial.name,
                         lambda tmp, source=section.partial: shutil.copyfile(source, tmp))


def _write_svg(folder: Path, relative: str, svg: bytes) -> str:
    atomic_write(folder / relative, lambda tmp: tmp.write_bytes(svg))
    return relative


def write_run_charts(run: RunResult, record: VersionRecord, folder: Path,
                     benchmarks_dir: Path | None) -> dict:
    """The charts of the report's frame (benchmark history, projection, timeline, the repeats'
    spread) drawn into a version being staged; what render.json says of them."""
    benchmarks = benchmark_context(benchmarks_dir) if benchmarks_dir else None
    if benchmarks and benchmarks["chart"]:
        benchmarks = {**benchmarks,
                      "chart": _write_svg(folder, BENCHMARK_CHART, benchmarks["chart"])}
    projection = projection_data(run)
    projection["chart"] = _write_svg(folder, PROJECTION_CHART, figure_svg(
        projection_chart(projection["rows"], projection["measured"])))
    if projection["timeline"]:
        projection["timeline_chart"] = _write_svg(folder, TIMELINE_CHART, figure_svg(
            timeline_chart(projection["timeline"])))
    leading = [h["metric"] for h in headlines(run.sections)]
    spread = [row for row in robustness_rows(record, leading) if varies(row)]
    robustness = ({"chart": _write_svg(folder, SPREAD_CHART, figure_svg(spread_chart(spread)))}
                  if spread else None)
    return {"benchmarks": benchmarks, "projection": projection, "robustness": robustness}


@dataclass
class BuildOutcome:
    version_id: str
    path: Path
    record: VersionRecord
    previous_id: str | None
    changes: dict | None
    gate: Gate  # the thresholds' verdict: a build that checked none of them does not pass
    headline_labels: dict[str, str]  # headline metric -> what the summary calls it


def build_report(
    dataset: str | None = None,
    profile: str = "full",
    *,
    chapter: Chapter | None = None,
    reports_dir: Path = Path("reports"),
    data_file: Path | None = None,
    train_size: int | None = None,
    jobs: int | None = None,
    threads: int | None = None,
    force: bool = False,
    pdf: bool = True,
    thresholds_path: Path | None = None,
    benchmarks_dir: Path | None = Path("benchmarks"),
    only: tuple[str, ...] | None = None,
    scheduler: str | None = None,
    worker_timeout: float = 60.0,
    repeats: int = 1,
    preview: Path | None = None,
    progress=None,
    log=lambda message: None,
) -> BuildOutcome:
    """Run the chapter's sections (the built-in chapter unless `chapter`; see `run_chapter`),
    then stage, render and publish a new numbered version of the report; a failure anywhere
    leaves no version behind. `preview`: write the version's files into that folder instead,
    archiving nothing (compared with the archive's previous version, which it only reads)."""
    started = time.perf_counter()
    chapter = chapter or built_in()
    spec = chapter_spec(chapter, thresholds_path)  # a malformed spec fails before any work
    sections = chapter.select(only)  # so does an unknown section
    missing_partials(sections)  # and a section outside the package without its partial
    installed()  # and an installed publisher that cannot be loaded
    if preview is None:
        archive = open_archive(reports_dir, log)  # and a bad archive
    else:  # and a preview folder that is an archive's, another's, or cannot be written
        refuse_inside_archive(preview, f"--preview {preview}")
        refuse_other_folder(Path(preview))
        writable_folder(Path(preview), f"--preview {preview}")
        archive = Archive(reports_dir, warn=log) if Path(reports_dir).is_dir() else None
    run = run_chapter(chapter, dataset, profile, data_file=data_file, train_size=train_size,
                      jobs=jobs, threads=threads, force=force, only=only,
                      scheduler=scheduler, worker_timeout=worker_timeout, repeats=repeats,
                      progress=progress, log=log)
    ds, chosen = run.dataset, run.profile
    origin = provenance.collect(chapter.project.root)
    scope = "" if only is None else "-only-" + "-".join(s.id for s in sections)
    previous = archive and archive.previous(ds.name, chosen.name + scope,
                                            scikit_learn=origin.libraries["scikit-learn"])
    labels = {h["metric"]: h["label"] for h in headlines(sections)}

    def stage(folder: Path, version_id: str, created: datetime) -> tuple[VersionRecord, dict]:
        """Every file of the version into `folder`: its record, figures, render data and
        documents; the record, and its changes since the previous version."""
        def annotate(record: VersionRecord) -> VersionRecord:
            return record.with_(version=version_id, thresholds=[
                outcome.stored() for outcome in evaluate(spec, record)])

        record, figures, facts = export_run(run, folder, annotate)
        copy_partials(run, folder)
        changes = compare_records(previous.record(), record) if previous else None
        render_data = build_render_data(
            run=run, facts=facts, figures=figures, version_id=version_id,
            created_utc=created.strftime("%Y-%m-%d %H:%M:%S"),
            provenance=origin.as_dict(), changes=changes,
            previous_id=previous.id if previous else None,
            **write_run_charts(run, record, folder, benchmarks_dir),
            chapter={"title": chapter.title, "subtitle": chapter.project.subtitle,
                     "spec": _shown_path(thresholds_path or chapter.thresholds,
                                         chapter.project.root)},
            shown=chapter_code,
        )
        write_json(folder / RENDER_DATA, render_data)
        write_report(folder, pdf, run.sections, record, preview=preview is not None)
        return record, changes

    if preview is not None:
        preview_id = f"{PREVIEW_PREFIX}{ds.name}-{chosen.name}{scope}-{origin.short_commit}"
        with replaced_folder(preview) as folder:  # a failure leaves the folder as it was
            record, changes = stage(folder, preview_id, datetime.now(UTC))
            stop_if_signalled()
        nothing = none_apply(spec, record, thresholds_path or chapter.thresholds)
        return BuildOutcome(preview_id, Path(preview), record,
                            previous.id if previous else None, changes,
                            thresholds_gate(record.thresholds, preview_id, nothing), labels)

    with archive.new_version(f"{ds.name}-{chosen.name}{scope}-{origin.short_commit}") as staging:
        record, changes = stage(staging.path, staging.id, staging.created)
        thresholds = record.thresholds
        staging.describe(
            dataset=ds.name, profile=chosen.name + scope, commit=origin.commit,
            dirty=origin.dirty, sections=[s.id for s in sections],
            headlines={h["metric"]: record.metrics[h["metric"]]
                       for h in headlines(sections)},
            headline_labels=labels,
            thresholds={"passed": passed_count(thresholds), "total": len(thresholds)},
            build_seconds=time.perf_counter() - started,
            previous=previous.id if previous else None, repeats=repeats,
            scikit_learn=origin.libraries["scikit-learn"],
        )
        stop_if_signalled()  # never publish after a signal, though its raise was lost
    write_index(archive)
    nothing = none_apply(spec, record, thresholds_path or chapter.thresholds)
    return BuildOutcome(staging.id, archive.root / staging.id, record,
                        previous.id if previous else None, changes,
                        thresholds_gate(thresholds, staging.id, nothing), labels)


@dataclass
class MatrixOutcome:
    version_id: str
    path: Path
    data: dict  # matrix.json
    gate: Gate  # the newest release's thresholds: a matrix that checked none does not pass


def build_matrix(
    pins: list,
    dataset: str | None = None,
    profile: str = "full",
    *,
    chapter: Chapter | None = None,
    section_modules: tuple[str, ...] = (),
    reports_dir: Path = Path("reports"),
    data_file: Path | None = None,
    train_size: int | None = None,
    jobs: int = 1,
    force: bool = False,
    pdf: bool = True,
    thresholds_path: Path | None = None,
    only: tuple[str, ...] = (),
    repeats: int = 1,
    quiet: bool = False,
    log=lambda message: None,
) -> MatrixOutcome:
    """Run the chapter in one environment per release of `pins` (`environments.Pins`), compare
    the releases, and publish the matrix report as a new numbered version; a failure anywhere
    (a release that cannot be had, a run that fails) leaves no version behind. Each release's
    run composes the same chapter (from the same working folder, with `section_modules`)."""
    from reportgen.matrix import (
        MATRIX_DATA,
        RUNS,
        compare_releases,
        matrix_gate,
        run_arguments,
        run_releases,
    )
    from reportgen.report.matrix import draw_figures

    started = time.perf_counter()
    chapter = chapter or built_in()
    spec = chapter_spec(chapter, thresholds_path)
    only = tuple(dict.fromkeys(only))
    chapter.select(only)  # an unknown section fails here, before any environment is made
    spec_of_dataset = chapter.dataset_spec(dataset)
    dataset = spec_of_dataset.name
    resolve_profile(profile, load_dataset(spec_of_dataset, data_file=data_file, log=log),
                    train_size, chapter.minimum_train_size())
    archive = open_archive(reports_dir, log)
    arguments = run_arguments(profile, dataset, data_file, train_size, only, repeats, force,
                              quiet, section_modules)
    runs = run_releases(pins, arguments, jobs, log)
    data = compare_releases(runs, spec)
    origin = provenance.collect(chapter.project.root)
    scope = "-only-" + "-".join(only) if only else ""
    slug = (f"matrix-{data['dataset']['name']}-{data['profile']['name']}{scope}"
            f"-{origin.short_commit}")
    with archive.new_version(slug) as staging:
        for run in runs:
            write_json(staging.path / RUNS / run.environment.path.name / "metrics.json",
                       run.record.to_json())
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
        stop_if_signalled()  # never publish after a signal, though its raise was lost
    write_index(archive)
    nothing = none_apply(spec, runs[-1].record, thresholds_path or chapter.thresholds)
    return MatrixOutcome(staging.id, archive.root / staging.id, data,
                         matrix_gate(data, staging.id, nothing))
