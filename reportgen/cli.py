"""The command line: parse options, call the library, print. No work happens here."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from reportgen import __version__
from reportgen.data import DATASETS, load_dataset
from reportgen.engine import PROFILES, resolve_profile, run_experiments
from reportgen.errors import ReportgenError
from reportgen.export import export_run
from reportgen.progress import progress_for


class _Group(click.Group):
    """Turns a user mistake (ReportgenError) into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ReportgenError as exc:
            raise click.ClickException(str(exc)) from None


def _say(message: str) -> None:
    click.echo(message, err=True)


dataset_option = click.option(
    "--dataset", type=click.Choice(sorted(DATASETS)), default="mnist", show_default=True,
    help="Which dataset to use.",
)
data_file_option = click.option(
    "--data-file", type=click.Path(path_type=Path), default=None,
    help="Supply the data by hand: an .npz with X and y, or a folder of the four IDX .gz files.",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
def cli() -> None:
    """Run the MNIST classification chapter's experiments, check them, publish a report."""


@cli.group(cls=_Group)
def data() -> None:
    """Get and inspect the datasets (verified against pinned checksums)."""


@data.command("fetch")
@dataset_option
@data_file_option
def data_fetch(dataset: str, data_file: Path | None) -> None:
    """Get a dataset into the cache and print where it came from and its checksum."""
    ds = load_dataset(dataset, data_file=data_file, log=_say)
    click.echo(f"dataset:  {ds.name}")
    click.echo(f"source:   {ds.source}")
    click.echo(f"path:     {ds.cache_path}")
    click.echo(f"sha256 X: {ds.x_sha256} (verified)")
    click.echo(f"sha256 y: {ds.y_sha256} (verified)")


@data.command("info")
@dataset_option
@data_file_option
def data_info(dataset: str, data_file: Path | None) -> None:
    """Describe a dataset: shape, classes and counts, source, checksum, cache path."""
    ds = load_dataset(dataset, data_file=data_file)
    spec = ds.spec
    classes, counts = np.unique(ds.y, return_counts=True)
    click.echo(f"dataset:  {spec.name} — {spec.title}")
    click.echo(f"images:   {ds.X.shape[0]} x {ds.X.shape[1]} uint8"
               f" ({spec.image_shape[0]}x{spec.image_shape[1]} pixels, 0..{spec.pixel_max})")
    click.echo(f"split:    first {spec.n_train} train, last {spec.n_samples - spec.n_train} test")
    click.echo("classes:  " + ", ".join(f"{c}: {n}" for c, n in zip(classes, counts, strict=True)))
    click.echo(f"source:   {ds.source}")
    click.echo(f"sha256 X: {ds.x_sha256}")
    click.echo(f"sha256 y: {ds.y_sha256}")
    click.echo(f"cache:    {ds.cache_path}")


profile_option = click.option(
    "--profile", type=click.Choice(sorted(PROFILES)), default="full", show_default=True,
    help="full: the chapter's 60,000/10,000 images; quick: 6,000/1,000, for trying things.",
)
train_size_option = click.option(
    "--train-size", type=int, default=None, help="Use the first N training images instead."
)
jobs_option = click.option(
    "--jobs", type=click.IntRange(min=1), default=None,
    help="Experiments run at once (default: all cores).",
)
force_option = click.option("--force", is_flag=True, help="Ignore the result cache; refit all.")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress display.")


@cli.command("run")
@profile_option
@dataset_option
@data_file_option
@train_size_option
@jobs_option
@force_option
@quiet_option
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder [default: out/DATASET-PROFILE].")
def run_command(profile, dataset, data_file, train_size, jobs, force, quiet, out) -> None:
    """Run every experiment of the chapter; write metrics.json and figures/."""
    ds = load_dataset(dataset, data_file=data_file, log=lambda m: None if quiet else _say(m))
    chosen = resolve_profile(profile, ds, train_size)
    out = out or Path("out") / f"{ds.name}-{chosen.name}"
    with progress_for(quiet) as progress:
        run = run_experiments(ds, chosen, jobs=jobs, force=force, progress=progress, log=_say)
    document, figures = export_run(run, out)
    computed = len(run.computed)
    click.echo(f"{len(run.runs)} experiments ({computed} computed, {len(run.runs) - computed}"
               f" from the cache) in {run.wall_seconds:.1f} s")
    click.echo(f"wrote {out / 'metrics.json'} and {len(figures)} figures in {out / 'figures'}")


def main() -> None:
    cli(prog_name="reportgen")
