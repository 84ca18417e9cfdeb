"""The command line: parse options, call the library, print. No work happens here."""

from __future__ import annotations

import errno
import json
import math
import shlex
import sys
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click
import numpy as np
from click.exceptions import NoArgsIsHelpError

from reportgen import __version__, interrupts
from reportgen.data import DATASETS, load_dataset
from reportgen.data.datasets import DatasetSpec
from reportgen.engine.profiles import PROFILES
from reportgen.engine.repeats import MAX_REPEATS
from reportgen.errors import ReportgenError
from reportgen.storage import staged_folder, writable_folder

if TYPE_CHECKING:
    from reportgen.record import VersionRecord

# scikit-learn, matplotlib and WeasyPrint load only inside the commands that use them, so
# `data fetch`, `list` and `show` answer at once.


class _OneLineUsageError(click.UsageError):
    """A mistyped command line, said in one line (click's own takes four) with where to look."""

    def show(self, file=None) -> None:
        hint = f" (see '{self.ctx.command_path} -h')" if self.ctx is not None else ""
        click.echo(f"Error: {self.format_message()}{hint}", file=file, err=True)


@contextmanager
def _one_line_usage_errors():
    """Where click parses a command line (a group's own options, or its subcommand's)."""
    try:
        yield
    except (_OneLineUsageError, NoArgsIsHelpError):  # the latter shows the help: not a mistake
        raise
    except click.UsageError as exc:
        raise _OneLineUsageError(exc.format_message(), exc.ctx) from None


class _Group(click.Group):
    """Turns a user mistake into one line on stderr: exit status 2 for a mistyped command line,
    1 for a ReportgenError or a full disk."""

    def make_context(self, *args, **kwargs) -> click.Context:
        with _one_line_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            with _one_line_usage_errors():
                done = super().invoke(ctx)
            interrupts.stop_if_signalled()  # a signal is never a success
            return done
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see reportgen.interrupts)
            archived = interrupts.finished_whole()
            _say("interrupted: results finished so far stay in the cache for the next run;"
                 " nothing half-written was kept" + (
                     f"; {', '.join(archived)} had been archived whole before the signal and"
                     " stays (`reportgen show` checks it)" if archived else ""))
            raise SystemExit(INTERRUPTED) from None
        except ReportgenError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            if exc.errno not in DISK_ERRORS:
                raise
            target = exc.filename2 or exc.filename  # a copy's error names its source first
            where = f" writing {target}" if target else ""
            raise click.ClickException(
                f"{DISK_ERRORS[exc.errno]}{where}: free some space (or choose another folder)"
                " and run again; nothing half-written was kept") from None


INTERRUPTED = 130  # the shell's status for a command stopped by SIGINT
DISK_ERRORS = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded"}


def _say(message: str) -> None:
    click.echo(message, err=True)


dataset_option = click.option(
    "--dataset", metavar="NAME", default=None,
    help=f"Which dataset to use: {', '.join(sorted(DATASETS))} or one the chapter defines"
         " [default: the chapter's, mnist for the built-in one].",
)
data_file_option = click.option(
    "--data-file", type=click.Path(path_type=Path), default=None,
    help="Supply the data by hand: an .npz with X and y, or a folder of the four IDX .gz files.",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
def cli() -> None:
    """Run the MNIST classification chapter's experiments, check them, publish a report."""
    interrupts.install()  # SIGTERM cleans up like Ctrl-C: staging, temporary files, workers


def _dataset_spec(name: str | None) -> DatasetSpec:
    """A built-in dataset by name without loading any section; else the project's chapter's
    (its own datasets, or its default one)."""
    if name in DATASETS:
        return DATASETS[name]
    from reportgen.chapter import find_project, load_chapter

    project = find_project()
    if name is None and project.dataset in DATASETS:
        return DATASETS[project.dataset]
    return load_chapter(project).dataset_spec(name)


def _chapter(sections: tuple[str, ...]):
    """The composition root of every command that runs experiments: the project's chapter
    (or the built-in one), installed plugins, and `--section` modules."""
    from reportgen.chapter import load_chapter

    return load_chapter(sections=sections)


@cli.group(cls=_Group)
def data() -> None:
    """Get and inspect the datasets (verified against pinned checksums)."""


UNCACHED = "not cached (unpinned: read from its source at every run)"


def _digest_note(ds) -> str:
    return "verified" if ds.pinned else "not pinned: `reportgen data digest` prints the pins"


@data.command("fetch")
@dataset_option
@data_file_option
def data_fetch(dataset: str | None, data_file: Path | None) -> None:
    """Get a dataset into the cache and print where it came from and its checksum."""
    ds = load_dataset(_dataset_spec(dataset), data_file=data_file, log=_say)
    click.echo(f"dataset:  {ds.name}")
    click.echo(f"source:   {ds.source}")
    click.echo(f"path:     {ds.cache_path or UNCACHED}")
    click.echo(f"sha256 X: {ds.x_sha256} ({_digest_note(ds)})")
    click.echo(f"sha256 y: {ds.y_sha256} ({_digest_note(ds)})")


@data.command("info")
@dataset_option
@data_file_option
def data_info(dataset: str | None, data_file: Path | None) -> None:
    """Describe a dataset: shape, classes and counts, source, checksum, cache path."""
    ds = load_dataset(_dataset_spec(dataset), data_file=data_file)
    spec, features = ds.spec, ds.spec.features
    classes, counts = np.unique(ds.y, return_counts=True)
    click.echo(f"dataset:  {spec.name} — {spec.title}")
    if features.images:
        height, width = features.shape
        click.echo(f"images:   {ds.X.shape[0]} x {ds.X.shape[1]} {ds.X.dtype}"
                   f" ({height}x{width} pixels, 0..{features.value_max})")
    else:
        names = ", ".join(features.names or ())
        click.echo(f"table:    {ds.X.shape[0]} rows x {ds.X.shape[1]} features {ds.X.dtype}"
                   + (f" ({names[:200]}{'…' if len(names) > 200 else ''})" if names else ""))
    shuffled = "" if spec.shuffle_seed is None else f" (shuffled once, seed {spec.shuffle_seed})"
    click.echo(f"split:    first {spec.n_train} train, last {spec.n_samples - spec.n_train}"
               f" test{shuffled}")
    click.echo("classes:  " + ", ".join(
        f"{c}: {n}" if spec.classes_are_digits else f"{c} {spec.class_name(int(c))}: {n}"
        for c, n in zip(classes, counts, strict=True)))
    click.echo(f"source:   {ds.source}")
    click.echo(f"sha256 X: {ds.x_sha256} ({_digest_note(ds)})")
    click.echo(f"sha256 y: {ds.y_sha256} ({_digest_note(ds)})")
    click.echo(f"cache:    {ds.cache_path or UNCACHED}")


@data.command("digest")
@dataset_option
@data_file_option
def data_digest(dataset: str | None, data_file: Path | None) -> None:
    """Print the dataset's digests as the two lines that pin it in its DatasetSpec.

    They are sha256 of the stored arrays' bytes (C order): X as uint8 pixels or float64
    features, y as uint8 (images) or int64 (a table) class numbers, after any shuffle. A pinned
    dataset whose load differs is refused.
    """
    spec = _dataset_spec(dataset)
    unpinned = replace(spec, x_sha256=None, y_sha256=None)
    ds = load_dataset(unpinned, data_file=data_file, use_cache=False)
    click.echo(f'x_sha256="{ds.x_sha256}",')
    click.echo(f'y_sha256="{ds.y_sha256}",')
    if spec.pinned:
        same = (spec.x_sha256, spec.y_sha256) == (ds.x_sha256, ds.y_sha256)
        _say(f"{spec.name} pins {'these' if same else 'other'} digests")


profile_option = click.option(
    "--profile", type=click.Choice(sorted(PROFILES)), default="full", show_default=True,
    help="full: the chapter's 60,000/10,000 images; quick: 6,000/1,000, for trying things.",
)
train_size_option = click.option(
    "--train-size", type=int, default=None,
    help="Use the first N training samples (images or rows) instead."
)
jobs_option = click.option(
    "--jobs", type=click.IntRange(min=1), default=None,
    help="Tasks run at once on this machine (default, and at most: all cores).",
)
threads_option = click.option(
    "--threads", type=click.IntRange(min=1), default=None, metavar="N",
    help="Every task whose fits can split (one-vs-rest SGD, forest) runs on exactly N threads"
         " (1: one thread everywhere) [default: as many as shorten the run, from the cores"
         " left free].",
)
scheduler_option = click.option(
    "--scheduler", metavar="tcp://HOST:PORT", default=None,
    help="Run the tasks on the Dask cluster of this scheduler (pip install 'reportgen[dask]').",
)
def _seconds(ctx, param, value: float) -> float:
    """A time limit in seconds: finite, and at most a day (nan and inf are floats too)."""
    if not math.isfinite(value) or not 1 <= value <= 86_400:
        raise click.BadParameter(f"{value:g} is not a number of seconds from 1 to 86400")
    return value


worker_timeout_option = click.option(
    "--worker-timeout", type=float, callback=_seconds, default=60, show_default=True,
    metavar="SECONDS",
    help="With --scheduler: give up (keeping what was computed) when the cluster has had no"
         " worker this long.",
)
force_option = click.option("--force", is_flag=True, help="Ignore the result cache; refit all.")
only_option = click.option(
    "--only", multiple=True, metavar="SECTION",
    help="Run and report just this section (repeatable), e.g. --only binary --only test;"
         " the experiments it depends on run too.",
)
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress display.")
section_option = click.option(
    "--section", "section_modules", multiple=True, metavar="MODULE",
    help="Add the sections a Python module defines (repeatable; importable from the working"
         " folder), to the project's chapter (pyproject.toml [tool.reportgen]) or the built-in"
         " one.",
)
repeats_option = click.option(
    "--repeats", type=click.IntRange(min=1, max=MAX_REPEATS), default=1, show_default=True,
    help="Run every seeded experiment N times: repeat 0 is the chapter's, the others reseed"
         " estimators, splits and noise; metrics gain mean, std and a 95 % interval.",
)


def experiment_options(command):
    """The options every command that runs the experiments takes."""
    for option in reversed((profile_option, dataset_option, data_file_option, train_size_option,
                            jobs_option, threads_option, scheduler_option,
                            worker_timeout_option, repeats_option, force_option,
                            only_option, section_option, quiet_option)):
        command = option(command)
    return command


def _pins(value: str | None, numpy: str | None = None):
    """`--scikit-learn 1.5.2` (or `1.5.2,numpy=2.0.2`) as the releases an environment pins."""
    from reportgen.environments import Pins

    release, *extras = [part.strip() for part in value.split(",")]
    if len(extras) > 1:
        raise ReportgenError(f"--scikit-learn {value}: numpy is pinned {len(extras)} times; give"
                             " one numpy=RELEASE")
    for extra in extras:
        name, _, pinned = extra.partition("=")
        if name.strip() != "numpy" or not pinned.strip():
            raise ReportgenError(f"--scikit-learn {value}: {extra!r} is not numpy=RELEASE (the"
                                 " one other library an environment pins)")
        if numpy is not None and numpy != pinned.strip():
            raise ReportgenError(f"--scikit-learn {value} pins numpy {pinned.strip()}, --numpy"
                                 f" {numpy}: give one")
        numpy = pinned.strip()
    return Pins(release, numpy)


release_options = [
    click.option("--scikit-learn", "scikit_learn", metavar="RELEASE", default=None,
                 help="Run in an environment with this scikit-learn release (made once under"
                      " the cache and reused), e.g. 1.5.2 for the book's numbers."),
    click.option("--numpy", metavar="RELEASE", default=None,
                 help="With --scikit-learn: pin numpy to this release too."),
]


def release_environment_option(command):
    """`--scikit-learn` / `--numpy`: the command runs again inside that release's environment."""
    for option in reversed(release_options):
        command = option(command)
    return command


def _in_release_environment(ctx: click.Context, scikit_learn: str | None,
                            numpy: str | None) -> bool:
    """With --scikit-learn: run this same command (its other options unchanged) inside the
    release's environment, exit with its status, and return True; else return False."""
    if scikit_learn is None:
        if numpy is not None:
            raise ReportgenError("--numpy pins numpy in a release environment: give"
                                 " --scikit-learn too")
        return False
    from reportgen.environments import ensure_environment

    environment = ensure_environment(_pins(scikit_learn, numpy), log=_say)
    arguments = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if param.name in ("scikit_learn", "numpy") or value is None:
            continue
        if value == param.default and not (isinstance(param, click.Option) and param.multiple):
            continue
        flag = param.opts[0]
        if isinstance(param, click.Option) and param.is_flag:
            arguments += [flag] if value else []
        elif isinstance(param, click.Option) and param.multiple:
            for item in value:
                arguments += [flag, str(item)]
        elif isinstance(param, click.Argument):
            arguments.append(str(value))
        else:
            arguments += [flag, str(value)]
    _say(f"running `reportgen {ctx.info_name}` with {environment.pins.label}"
         f" ({environment.path})")
    done = interrupts.run_child(environment.reportgen(ctx.info_name, *arguments))
    ctx.exit(done.returncode)
    return True


@cli.command("run")
@experiment_options
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder [default: out/DATASET-PROFILE].")
@release_environment_option
@click.pass_context
def run_command(ctx, profile, dataset, data_file, train_size, jobs, threads, scheduler,
                worker_timeout, repeats, force, only, section_modules, quiet, out, scikit_learn,
                numpy) -> None:
    """Run the chapter's experiments; write metrics.json and figures/."""
    if _in_release_environment(ctx, scikit_learn, numpy):
        return
    from reportgen.archive import refuse_inside_archive
    from reportgen.build import run_chapter
    from reportgen.engine.schedule import worker_count
    from reportgen.export import export_run
    from reportgen.progress import progress_for

    chapter = _chapter(section_modules)
    jobs = worker_count(jobs, log=_say)
    def outside_archives(folder: Path) -> Path:  # figures/ too, which a link could lead away
        refuse_inside_archive(folder / "figures", f"--out {folder} (its figures/)")
        return refuse_inside_archive(folder, f"--out {folder}")

    if out is not None:  # before any work
        outside_archives(out)
    destination: list[Path] = []

    def before_work(ds, chosen) -> None:
        folder = out or outside_archives(Path("out") / f"{ds.name}-{chosen.name}")
        writable_folder(folder, f"--out {folder}")
        destination.append(folder)

    with progress_for(quiet) as progress:
        run = run_chapter(chapter, dataset, profile, data_file=data_file, train_size=train_size,
                          jobs=jobs, threads=threads, force=force, only=only or None,
                          scheduler=scheduler, worker_timeout=worker_timeout, repeats=repeats,
                          progress=progress, log=lambda m: None if quiet else _say(m),
                          before_work=before_work)
    out = destination[0]
    with staged_folder(out) as staging:  # a failed or interrupted export leaves out as it was
        _, figures, _ = export_run(run, staging)
    computed = len(run.computed)
    click.echo(f"{len(run.runs)} tasks ({computed} computed, {len(run.runs) - computed}"
               f" from the cache) in {run.wall_seconds:.1f} s")
    click.echo(f"wrote {out / 'metrics.json'} and {len(figures)} figures in {out / 'figures'}")


reports_dir_option = click.option(
    "--reports-dir", type=click.Path(path_type=Path), default=Path("reports"), show_default=True,
    help="The archive folder.",
)
thresholds_option = click.option(
    "--thresholds", "thresholds_path", type=click.Path(path_type=Path), default=None,
    help="Thresholds spec (TOML) [default: the project's, or the built-in chapter's].",
)


@cli.command("build")
@experiment_options
@reports_dir_option
@click.option("--no-pdf", is_flag=True, help="Write the HTML report only.")
@click.option("--preview", type=click.Path(path_type=Path), default=None,
              help="Write the version (report, record, metrics, figures) into this folder and"
                   " archive nothing: to look at a build before keeping one.")
@thresholds_option
@click.option("--benchmarks-dir", type=click.Path(path_type=Path), default=Path("benchmarks"),
              show_default=True, help="pytest-benchmark runs to show in the timing section.")
@release_environment_option
@click.pass_context
def build_command(ctx, profile, dataset, data_file, train_size, jobs, threads, scheduler,
                  worker_timeout, repeats, force, only, section_modules, quiet, reports_dir,
                  no_pdf, preview, thresholds_path, benchmarks_dir, scikit_learn, numpy) -> None:
    """Run (or reuse) the experiments, render HTML and PDF, archive a new version
    (--scikit-learn 1.5.2: as that release computes them, e.g. the book's numbers; --preview
    DIR: into DIR, archiving nothing)."""
    if _in_release_environment(ctx, scikit_learn, numpy):
        return
    from reportgen.build import build_report
    from reportgen.engine.schedule import worker_count
    from reportgen.progress import progress_for

    chapter = _chapter(section_modules)
    jobs = worker_count(jobs, log=_say)
    with progress_for(quiet) as progress:
        outcome = build_report(
            dataset, profile, chapter=chapter, reports_dir=reports_dir, data_file=data_file,
            train_size=train_size, jobs=jobs, threads=threads, scheduler=scheduler,
            worker_timeout=worker_timeout, repeats=repeats, force=force,
            pdf=not no_pdf, thresholds_path=thresholds_path, benchmarks_dir=benchmarks_dir,
            only=only or None, preview=preview, progress=progress,
            log=lambda m: None if quiet else _say(m),
        )
    _print_summary(outcome.record, outcome.version_id, outcome.headline_labels)
    if preview is not None:
        click.echo(f"preview:   {preview} (not archived: build without --preview to keep it)")
    if outcome.previous_id:
        changed = len(outcome.changes["metrics"])
        added = len(outcome.changes["added_metrics"])
        click.echo(f"changes:   {changed} metric(s) changed since {outcome.previous_id}"
                   + (f", {added} new" if added else ""))
    click.echo(f"report:    {outcome.path / 'report.html'}  (the chapter edition)")
    click.echo(f"record:    {outcome.path / 'record.html'}  (how it was built and checked)")
    if not no_pdf:
        click.echo(f"pdf:       {outcome.path / 'report.pdf'}, {outcome.path / 'record.pdf'}")
    outcome.gate.enforce()  # a failed threshold, a missing metric, or none checked: exit 1


def _manifest_labels(path: Path) -> dict[str, str]:
    """Headline metric -> label, from a version's manifest (older ones recorded no labels)."""
    from reportgen.archive import MANIFEST, MANIFEST_SHAPE, read_json

    manifest = read_json(path / MANIFEST, MANIFEST_SHAPE)
    labels = manifest.get("headline_labels", {})
    return {name: labels.get(name, name) for name in manifest.get("headlines", {})}


def _print_summary(record: VersionRecord, version_id: str, labels: dict[str, str]) -> None:
    """What a version holds, in a few lines; `labels` names its headline metrics."""
    from reportgen.report.filters import fmt_number, fmt_seconds, fmt_spread
    from reportgen.thresholds import passed_count

    click.echo(f"version:   {version_id}")
    click.echo(f"dataset:   {record.dataset.name} ({record.dataset.source}),"
               f" profile {record.profile.name}"
               f" ({record.profile.train_size} training {record.dataset.nouns[0]})")
    experiments = record.timings.experiments.values()
    cached = sum(e.cached for e in experiments)
    click.echo(f"time:      {fmt_seconds(record.timings.wall_seconds)} for the experiments"
               f" ({len(experiments) - cached} computed, {cached} from the cache; computing all"
               f" took {fmt_seconds(sum(e.seconds for e in experiments))})")
    repeats = record.repeats
    if repeats:
        click.echo(f"repeats:   {repeats.count} (repeat 0 is the chapter's run;"
                   f" {len(repeats.deterministic)} deterministic experiments ran once)")
    for name, label in labels.items():
        if name in record.metrics:
            spread = fmt_spread(asdict(found) if (found := record.spread(name)) else None)
            click.echo(f"  {label:<34} {fmt_number(record.metrics[name])}"
                       + (f"   (repeats: {spread})" if repeats else ""))
    thresholds = record.thresholds or []
    passed = passed_count(thresholds)
    if thresholds:
        click.echo(f"thresholds: {passed} of {len(thresholds)} pass")
    else:
        click.echo(f"thresholds: none apply to {record.dataset.name}"
                   f" with profile {record.profile.name}")
    for t in thresholds:
        if not t.passed:
            click.echo(f"  {t.message}")  # FAIL, WARN or MISSING, from the message


@cli.command("matrix")
@click.option("--scikit-learn", "releases", metavar="RELEASE", multiple=True,
              help="A scikit-learn release to run the chapter with (repeatable; RELEASE may pin"
                   " numpy too: 1.5.2,numpy=2.0.2).")
@click.option("--releases", "release_range", metavar="FIRST:LAST", default=None,
              help="The newest patch of every minor release from FIRST to LAST, e.g. 1.5:1.9.")
@click.option("--numpy", metavar="RELEASE", default=None,
              help="Pin numpy to this release in every environment.")
@profile_option
@dataset_option
@data_file_option
@train_size_option
@jobs_option
@repeats_option
@force_option
@only_option
@section_option
@quiet_option
@reports_dir_option
@click.option("--no-pdf", is_flag=True, help="Write the HTML report only.")
@thresholds_option
def matrix_command(releases, release_range, numpy, profile, dataset, data_file, train_size, jobs,
                   repeats, force, only, section_modules, quiet, reports_dir, no_pdf,
                   thresholds_path) -> None:
    """Run the chapter with each scikit-learn release (each in its own environment, made once
    and reused) and archive a matrix report: which release changed which number, by how much,
    and whether by more than seed noise (with --repeats)."""
    from reportgen.build import build_matrix
    from reportgen.engine.schedule import worker_count
    from reportgen.environments import newest_patches

    chapter = _chapter(section_modules)
    chosen = list(releases)
    if release_range is not None:
        first, colon, last = release_range.partition(":")
        if not colon:
            raise ReportgenError(f"--releases {release_range}: give FIRST:LAST, e.g. 1.5:1.9")
        found = newest_patches(first.strip(), last.strip())
        _say(f"releases {release_range}: {', '.join(found)}")
        chosen += found
    if not chosen:
        raise ReportgenError("name the releases: --scikit-learn 1.5.2 --scikit-learn 1.9.1, or"
                             " --releases 1.5:1.9")
    pins = [_pins(release, numpy) for release in chosen]
    outcome = build_matrix(
        pins, dataset, profile, chapter=chapter, section_modules=section_modules,
        reports_dir=reports_dir, data_file=data_file,
        train_size=train_size, jobs=worker_count(jobs, log=_say), force=force, pdf=not no_pdf,
        thresholds_path=thresholds_path, only=only, repeats=repeats,
        quiet=quiet, log=lambda m: None if quiet else _say(m))
    _print_matrix(outcome.data, outcome.version_id)
    click.echo(f"report:    {outcome.path / 'report.html'}")
    if not no_pdf:
        click.echo(f"pdf:       {outcome.path / 'report.pdf'}")
    outcome.gate.enforce()  # the newest release's thresholds: failed, missing or none checked


def _print_matrix(data: dict, version_id: str) -> None:
    """What a matrix version found, in a few lines."""
    from reportgen.matrix import totals

    sums = totals(data)
    click.echo(f"version:   {version_id}")
    click.echo(f"matrix:    {data['dataset']['name']}, profile {data['profile']['name']},"
               f" {data['repeats']} repeat(s), {len(data['releases'])} releases")
    for index, release in enumerate(data["releases"]):
        printed = (f"{sums['reproduced'][index]} of {sums['printed']} printed values reproduced, "
                   if sums["printed"] else "")
        click.echo(f"  {release['label']:<36} {printed}{sums['passing'][index]} of"
                   f" {sums['thresholds']} thresholds pass")
    for threshold in data["thresholds"]:  # FAIL, WARN or MISSING, from the message
        for release, status, message in zip(data["releases"], threshold["statuses"],
                                            threshold["messages"], strict=True):
            if status not in (None, "PASS"):
                click.echo(f"  {release['label']}: {message}")
    for step in data["changes"]:
        noise = (f", {step['beyond_noise']} beyond seed noise" if data["repeats"] > 1 else "")
        click.echo(f"  {step['from']} → {step['to']}: {len(step['metrics'])} metric(s)"
                   f" changed{noise}")


@cli.group("env", cls=_Group)
def env_group() -> None:
    """The release environments reportgen made (for `matrix` and `--scikit-learn`)."""


@env_group.command("list")
def env_list() -> None:
    """List the environments under the cache, with their releases and size; clear what a
    creation that is no longer running left."""
    from reportgen.environments import (
        being_made,
        clear_abandoned,
        environments_root,
        list_environments,
    )
    from reportgen.report.filters import fmt_bytes

    for folder in clear_abandoned():
        _say(f"removed {folder.name}: the staging folder of an environment creation that is no"
             " longer running")
    making = being_made()
    for name, pid in making:
        click.echo(f"{name:<40} being made (process {pid})")
    found = list_environments()
    if not found and not making:
        click.echo(f"no environments in {environments_root()}")
        return
    for environment in found:
        libraries = environment["libraries"]
        what = (", ".join(f"{name} {libraries[name]}" for name in ("scikit-learn", "numpy",
                                                                    "scipy") if name in libraries)
                if environment["complete"] else "incomplete: remove it")
        click.echo(f"{environment['name']:<40} {fmt_bytes(environment['bytes']):>10}  {what}")


@env_group.command("create")
@release_environment_option
@click.option("--manager", type=click.Choice(["uv", "venv"]), default=None,
              help="What makes it [default: uv when installed, else venv + pip].")
def env_create(scikit_learn, numpy, manager) -> None:
    """Make (or verify) the environment of a release, e.g. --scikit-learn 1.5.2."""
    from reportgen.environments import ensure_environment

    if scikit_learn is None:
        raise ReportgenError("give the release: reportgen env create --scikit-learn 1.5.2")
    environment = ensure_environment(_pins(scikit_learn, numpy), log=_say, manager=manager)
    click.echo(f"{environment.path}: {environment.pins.label} ready ({environment.manager})")


@env_group.command("remove")
@click.argument("names", nargs=-1)
@click.option("--all", "remove_all", is_flag=True, help="Remove every environment.")
def env_remove(names, remove_all) -> None:
    """Remove environments by name (see `reportgen env list`)."""
    from reportgen.environments import clear_abandoned, list_environments, remove_environment

    if remove_all:
        names = [environment["name"] for environment in list_environments()]
        clear_abandoned()
    elif not names:
        raise ReportgenError("name the environments to remove (see `reportgen env list`), or"
                             " give --all")
    for name in names:
        click.echo(f"removed {remove_environment(name)}")


@cli.command("list")
@reports_dir_option
def list_command(reports_dir) -> None:
    """List the archived versions, oldest first (every number from a file its manifest's
    digest verifies; a version that fails that check says so in one line)."""
    from reportgen.archive import Archive
    from reportgen.report.filters import fmt_seconds

    archive = Archive(reports_dir, warn=_say)
    for path in archive.clear_abandoned():
        _say(f"removed {path.name}: the staging folder of a build that is no longer running")
    versions = archive.versions()
    if not versions:
        click.echo(f"no versions in {reports_dir}: run `reportgen build`")
        return
    click.echo(f"{'version':<48} {'dataset':<13} {'profile':<16} {'thresholds':>10}"
               f" {'time':>12}")
    for v in versions:
        m = v.manifest
        try:
            passed, total, below = _listed(v)
        except ReportgenError as exc:  # this version only: the others are listed
            click.echo(f"{v.id:<48} {m['dataset']:<13} {m['profile']:<16}")
            click.echo(f"    {exc}")
            continue
        click.echo(f"{v.id:<48} {m['dataset']:<13} {m['profile']:<16}"
                   f" {passed:>5}/{total:<4} {fmt_seconds(m.get('build_seconds')):>12}")
        click.echo(f"    {below}")


def _listed(version) -> tuple[int, int, str]:
    """What `list` says of a version: thresholds passed and checked, and its line of headlines
    (or, for a matrix, its releases), from its verified files (`report.index.summarise`)."""
    from reportgen.report.filters import fmt_number
    from reportgen.report.index import summarise

    summary = summarise(version)
    if version.kind == "matrix":
        return (summary.passed, summary.total, f"release matrix: {', '.join(summary.releases)}"
                " (thresholds: the newest release's)")
    headlines = " · ".join(f"{h.label} {fmt_number(h.value)}" for h in summary.headlines)
    return summary.passed, summary.total, headlines


@cli.command("show")
@click.argument("version", default="latest")
@click.option("--metric", default=None, help="Print one metric's value.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole metrics.json.")
@click.option("--findings", is_flag=True,
              help="A release matrix: print what it found about the chapter's printed values"
                   " (the JSON reportgen ships as release_findings.json).")
@reports_dir_option
def show_command(version, metric, as_json, findings, reports_dir) -> None:
    """Summarise a version (VERSION: id, prefix, number or `latest`)."""
    from reportgen.archive import Archive

    archive = Archive(reports_dir, warn=_say)
    found = archive.resolve(version)
    if found.kind == "matrix":
        _show_matrix(archive, found, metric, as_json, findings)
        return
    if findings:
        raise ReportgenError(f"{found.id} is a build of the chapter: --findings shows what a"
                             " release matrix found (`reportgen list` marks them)")
    record = found.record()
    if metric:
        from reportgen.record import RENAMED_METRICS

        metric = RENAMED_METRICS.get(metric, metric)  # a version reads with today's names
        if metric not in record.metrics:
            raise ReportgenError(f"no metric {metric!r} in {found.id}; see `reportgen show"
                                 f" {found.id} --json` for the names")
        click.echo(json.dumps(record.metrics[metric]))
        return
    if as_json:
        click.echo(json.dumps(record.to_json(), indent=2))
        return
    _print_summary(record, found.id, _manifest_labels(found.path))
    problems = archive.verify(found)
    click.echo(f"files:     {len(found.manifest['files'])} in {found.path}, "
               + ("all match the manifest" if not problems else "; ".join(problems)))


def _show_matrix(archive, found, metric: str | None, as_json: bool, findings: bool) -> None:
    """`show` of a release matrix: its findings, one metric in every release, or its data."""
    from reportgen.archive import read_record
    from reportgen.matrix import RUNS
    from reportgen.release_findings import findings_of
    from reportgen.report.matrix import read_matrix

    data = read_matrix(found)
    if findings:
        if not data["published"]:
            raise ReportgenError(f"{found.id} ran {data['dataset']['name']} with profile"
                                 f" {data['profile']['name']}: only a matrix of the full MNIST"
                                 " chapter has findings about the printed values")
        click.echo(json.dumps(findings_of(data), indent=1))
        return
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    if metric:
        values = {}
        for release in data["releases"]:
            record = read_record(found.path / RUNS / release["environment"] / "metrics.json",
                                 found)
            if metric not in record.metrics:
                raise ReportgenError(f"no metric {metric!r} in {found.id}; see `reportgen show"
                                     f" {found.id} --json` for the names")
            values[release["label"]] = record.metrics[metric]
        click.echo(json.dumps(values))
        return
    _print_matrix(data, found.id)
    problems = archive.verify(found)
    click.echo(f"files:     {len(found.manifest['files'])} in {found.path}, "
               + ("all match the manifest" if not problems else "; ".join(problems)))


@cli.command("diff")
@click.argument("old")
@click.argument("new", default="latest")
@reports_dir_option
@click.option("--format", "form", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True,
              help="markdown: a table a pull-request comment renders as is.")
@click.option("--fail-on", type=click.Choice(["significant", "never"]), default="never",
              show_default=True,
              help="significant: exit 1 when a metric changed by more than its noise.")
def diff_command(old, new, reports_dir, form, fail_on) -> None:
    """Show metric, threshold and timing changes from version OLD to NEW, each changed metric
    judged against the noise its repeats measure (significant, within noise, unknown)."""
    from reportgen.archive import Archive
    from reportgen.compare import compare_records, diff_gate
    from reportgen.report.diff import format_changes

    archive = Archive(reports_dir, warn=_say)
    a, b = archive.resolve(old, kind="chapter"), archive.resolve(new, kind="chapter")
    newer = b.record()
    changes = compare_records(a.record(), newer)
    click.echo(format_changes(form, changes, a.id, b.id, newer.metrics))
    if fail_on == "significant":
        diff_gate(changes, a.id, b.id).enforce()


@cli.command("false-alarms")
@click.argument("version", default="latest")
@reports_dir_option
@click.option("--block", type=click.IntRange(min=2), default=None,
              help="Repeats in each block [default: half of the version's repeats 1..N-1].")
@click.option("--json", "as_json", is_flag=True, help="The measurement as JSON.")
def false_alarms_command(version, reports_dir, block, as_json) -> None:
    """Measure how often `diff --fail-on significant` fails identical code: the version's
    repeats split into two blocks with disjoint seeds, compared as two builds (an A/A check)."""
    from reportgen.archive import Archive
    from reportgen.false_alarms import measure
    from reportgen.report.diff import describe_false_alarms

    found = Archive(reports_dir, warn=_say).resolve(version, kind="chapter")
    measured = measure(found.record(), block)
    if as_json:
        click.echo(json.dumps({"version": found.id, **measured.as_dict()}, indent=2))
    else:
        click.echo(f"{found.id}: {describe_false_alarms(measured.as_dict())}")
    measured.gate.enforce()  # a rate measured on no metric measured nothing


@cli.command("check")
@click.argument("version", default="latest")
@reports_dir_option
@thresholds_option
def check_command(version, reports_dir, thresholds_path) -> None:
    """Evaluate the thresholds spec against an archived version; exit 1 if one fails (a failed
    threshold of severity "warn" is shown as WARN and does not)."""
    from reportgen.archive import Archive
    from reportgen.chapter import find_project
    from reportgen.thresholds import (
        evaluate,
        load_spec,
        not_built,
        require_applicable,
        thresholds_gate,
        version_metrics,
    )

    path = thresholds_path or find_project().thresholds_path
    archive = Archive(reports_dir, warn=_say)
    found = archive.resolve(version, kind="chapter")
    record = found.record()  # a renamed metric reads under today's name
    # the datasets a claim may name: the built-in ones and every one this archive has built
    # (a project's own, whose modules `check` does not import)
    built = {v.manifest.get("dataset") for v in archive.versions()} - {None}
    spec = load_spec(path, version_metrics(record), [*DATASETS, *built])
    require_applicable(spec, record, path)  # a gate that checks nothing must not pass
    outcomes = evaluate(spec, record)
    for outcome in outcomes:
        click.echo(outcome.message)
    for threshold, sections in not_built(spec, record):
        click.echo(f"NOT CHECKED {threshold.id}: {found.id} ran no section"
                   f" {', '.join(sections)} (built: {', '.join(record.sections or [])})")
    warned = sum(o.status == "WARN" for o in outcomes)
    click.echo(f"{found.id}: {sum(o.passed for o in outcomes)} of {len(outcomes)} thresholds"
               f" pass" + (f", {warned} warn (severity warn: not a failure)" if warned else ""))
    thresholds_gate([o.stored() for o in outcomes], found.id, nothing="").enforce()


@cli.command("render")
@click.argument("version", default="latest")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Folder for report.html and report.pdf (never the archive itself).")
@click.option("--no-pdf", is_flag=True, help="Write the HTML only.")
@reports_dir_option
def render_command(version, out, no_pdf, reports_dir) -> None:
    """Render an archived version again with the current templates, from its own files."""
    from reportgen.archive import Archive
    from reportgen.publishers import render_archived

    found = Archive(reports_dir, warn=_say).resolve(version)
    written = render_archived(found, out, pdf=not no_pdf)
    for path in written:
        click.echo(f"wrote {path}")


@cli.command("init")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--title", default=None, help="The chapter's title [default: from FOLDER].")
@click.option("--package", default=None, help="Its Python package [default: from FOLDER].")
def init_command(folder, title, package) -> None:
    """Write a project with a chapter of its own into FOLDER (new or empty): pyproject.toml,
    a section module and its partial, thresholds; it builds as generated."""
    from reportgen.scaffold import scaffold

    for path in scaffold(folder, title=title, package=package):
        click.echo(f"wrote {path}")
    click.echo(f"next:  cd {shlex.quote(str(folder))} && reportgen build --profile quick")


@cli.command("sections")
@section_option
def sections_command(section_modules) -> None:
    """List the sections a build here would run, and where each comes from (the project's
    pyproject.toml, the built-in chapter, an installed plugin, --section)."""
    from reportgen.chapter import describe

    chapter = _chapter(section_modules)
    project = chapter.project
    click.echo(f"chapter:  {chapter.title}"
               + (f" ({project.path})" if project.path else " (built in: no [tool.reportgen]"
                  " in a pyproject.toml here or above)"))
    click.echo(f"dataset:  {chapter.dataset}; thresholds: {chapter.thresholds}")
    for row in describe(chapter):
        click.echo(f"  {row['id']:<14} {row['title'][:38]:<38} {row['experiments']:>3} tasks"
                   f" {row['metrics']:>3} metrics  {row['module']}")


@cli.command("benchmarks")
@click.option("--storage", type=click.Path(path_type=Path), default=Path("benchmarks"),
              show_default=True, help="pytest-benchmark's storage folder.")
def benchmarks_command(storage) -> None:
    """Compare the newest saved benchmark run with the previous one; exit 1 on a regression."""
    from reportgen.benchmarks import REGRESSION_RATIO, comparison, in_run_ratios, load_runs
    from reportgen.report.filters import fmt_bytes, fmt_ratio, fmt_seconds

    runs = load_runs(storage)
    if not runs:
        raise ReportgenError(f"no saved benchmark runs in {storage}: run `tox -e bench`")
    click.echo(f"run {runs[-1].number} ({runs[-1].date}) against "
               + (f"run {runs[-2].number}" if len(runs) > 1 else "nothing: the first run"))
    rows = comparison(runs)
    for row in rows:
        flag = "  REGRESSION" if row["regressed"] else ""
        click.echo(f"  {row['name']:<32} {fmt_seconds(row['median']):>10}"
                   f" {fmt_ratio(row['ratio']):>8}{flag}")
    in_run = in_run_ratios(runs[-1])
    if in_run:
        click.echo("within this run:")
    for row in in_run:
        peaks = ""
        if row["peak_rss"] or row["baseline_peak_rss"]:
            peaks = (f"  (peak memory {fmt_bytes(row['peak_rss'])}"
                     f" vs {fmt_bytes(row['baseline_peak_rss'])})")
        click.echo(f"  {row['name']:<32} {fmt_seconds(row['median']):>10}"
                   f" {fmt_ratio(row['ratio']):>8} of {row['baseline']}{peaks}")
    regressed = [row["name"] for row in rows if row["regressed"]]
    if regressed:
        raise click.ClickException(
            f"{len(regressed)} benchmark(s) more than {REGRESSION_RATIO:g}x slower than the"
            f" previous run: {', '.join(regressed)}"
        )


def main() -> None:
    """The `reportgen` command. A terminal or pipe that cannot show a character (an ASCII
    locale, say) gets a replacement mark instead of a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    cli(prog_name="reportgen")
