"""A run's version record (`record.VersionRecord`, written as metrics.json: a public
contract, see the README) is built here and nowhere else.

Each section declares its metrics (`reportgen.sections.api.Metric`: a stable dotted name, the
result field it reads, what it means, the value the chapter printed); this module reads them
from a run and compares them with the chapter's printed values.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from reportgen.engine.repeats import UNSHUFFLED_SPLIT_SEED
from reportgen.record import (
    BookReleases,
    CodeRecord,
    DatasetRecord,
    PrintedValue,
    ProfileRecord,
    Repeats,
    SampleInterval,
    Speedup,
    Spread,
    TaskTiming,
    Timings,
    VersionRecord,
)
from reportgen.release_findings import book_releases, explanation

if TYPE_CHECKING:  # only for annotations: reading a metrics.json needs no engine
    from reportgen.data import Dataset
    from reportgen.engine.runner import RunResult

CONFIDENCE = 0.95
INTERVAL_METHOD = ("Student t-interval across the repeats: mean ± t(0.975, n−1) · std / √n,"
                   " std with n−1 (the chapter's run is repeat 0, one of the n)")
SEED_RULE = ("repeat r ≥ 1 gives a source the chapter seeds with s the seed"
             " numpy.random.SeedSequence(s, spawn_key=(r,)).generate_state(1)[0]; the chapter's"
             f" unshuffled cv=3 splits become shuffled ones seeded as s = {UNSHUFFLED_SPLIT_SEED}")


def metric_values(run: RunResult) -> dict[str, Any]:
    """Every metric of the run's sections, by name, in the report's order."""
    return {metric.name: metric.value(run[metric.experiment])
            for section in run.sections for metric in section.metrics}


def _is_measurement(value: Any) -> bool:
    """A float, or a list (nested) of numbers: what has a mean and a spread. A boolean or an
    integer alone is an answer (a predicted class, a count of estimators), not a measurement;
    its repeats are kept, not averaged."""
    if isinstance(value, list):
        return bool(value) and all(_is_measurement(v) or (isinstance(v, int)
                                                          and not isinstance(v, bool))
                                   for v in value)
    return isinstance(value, float)


def summarize(values: list) -> Spread:
    """The repeats of one metric: their values and, for a measurement, mean, std and the
    95 % t-interval of the mean (element by element for a list metric)."""
    if len(values) < 2 or not _is_measurement(values[0]):
        return Spread(values)
    array = np.asarray(values, dtype=float)
    same = np.ptp(array, axis=0) == 0  # equal in every repeat: no spread, not 1e-16 of one
    mean = np.where(same, array[0], array.mean(axis=0))
    std = np.where(same, 0.0, array.std(axis=0, ddof=1))
    spread = np.where(same, 1.0, std) / np.sqrt(len(values))  # scipy needs a scale above 0
    low, high = stats.t.interval(CONFIDENCE, len(values) - 1, loc=mean, scale=spread)
    low, high = np.where(same, mean, low), np.where(same, mean, high)
    # each a float, or nested lists of floats
    return Spread(values, mean=mean.tolist(), std=std.tolist(), ci_low=low.tolist(),
                  ci_high=high.tolist())


def repeat_section(run: RunResult) -> Repeats | None:
    """`metrics.json`'s "repeats": how many, how they are seeded, which experiments are
    deterministic (not repeated), and every repeated metric's values and summary."""
    if run.repeats < 2:
        return None
    experiments = [name for section in run.sections for name in section.experiments]
    metrics = {metric.name: summarize([metric.value(result)
                                       for result in run.repeat_results(metric.experiment)])
               for section in run.sections for metric in section.metrics
               if metric.experiment in run.varying}
    return Repeats(
        count=run.repeats,
        seeds=SEED_RULE,
        confidence=CONFIDENCE,
        interval=INTERVAL_METHOD,
        deterministic=sorted(name for name in experiments if name not in run.varying),
        deterministic_metrics=[metric.name for section in run.sections
                               for metric in section.metrics
                               if metric.experiment not in run.varying],
        metrics=metrics,
        # metric -> the per-fold scores it is or summarises (its claims' corrected interval)
        fold_scores={metric.name: metric.fold_scores for section in run.sections
                     for metric in section.metrics
                     if metric.fold_scores and metric.fold_scores in metrics},
    )


def printed_decimals(published: Any) -> int:
    """Decimals the chapter printed. numpy prints an array with one precision and drops trailing
    zeros (`[0.8983, 0.891 , 0.9018]`), so a list counts its longest element."""
    if isinstance(published, list):
        return max((printed_decimals(p) for p in published), default=0)
    if isinstance(published, float):
        text = repr(published)
        return len(text.split(".")[1]) if "." in text else 0
    return 0


def agrees_with_published(value: Any, published: Any, decimals: int | None = None) -> bool:
    """True when `value` rounds to what the chapter printed, at the digits it printed."""
    decimals = printed_decimals(published) if decimals is None else decimals
    if isinstance(published, list):
        return (
            isinstance(value, list) and len(value) == len(published)
            and all(agrees_with_published(v, p, decimals)
                    for v, p in zip(value, published, strict=True))
        )
    if isinstance(published, bool) or isinstance(published, int):
        return value == published
    tolerance = 0.5 * 10 ** -decimals + 1e-12
    return math.isclose(value, published, rel_tol=0, abs_tol=tolerance)


def rounded_like(value: Any, published: Any, decimals: int | None = None) -> Any:
    """`value` rounded to the digits the chapter printed, for showing the two side by side."""
    decimals = printed_decimals(published) if decimals is None else decimals
    if isinstance(published, list) and isinstance(value, list):
        return [rounded_like(v, p, decimals) for v, p in zip(value, published, strict=False)]
    if isinstance(published, float) and isinstance(value, float):
        return round(value, decimals)
    return value


def matrix_difference(value: list, published: list) -> dict:
    """How a matrix of counts differs from another: its shape, cells, cells that differ and
    the largest difference (None where the shapes differ)."""
    ours, theirs = np.asarray(value), np.asarray(published)
    if ours.shape != theirs.shape:
        return {"shape": list(ours.shape), "cells": int(theirs.size), "cells_differ": None,
                "max_abs_diff": None}
    differ = ours != theirs
    return {"shape": list(ours.shape), "cells": int(ours.size),
            "cells_differ": int(differ.sum()),
            "max_abs_diff": int(np.abs(ours - theirs).max()) if differ.any() else 0}


def element_agreement(value: Any, published: Any) -> list[bool] | None:
    """For a printed vector of numbers: whether each of ours agrees with its printed element
    at the vector's printed digits; None for any other value (a matrix, a scalar, a length
    that differs)."""
    if not (isinstance(published, list) and isinstance(value, list)) or not published or (
            isinstance(published[0], list)) or len(value) != len(published):
        return None
    decimals = printed_decimals(published)
    return [agrees_with_published(v, p, decimals)
            for v, p in zip(value, published, strict=True)]


def _differing_elements(value: Any, published: Any) -> str:
    """For a list of numbers: how many of its values differ at the printed digits."""
    agreement = element_agreement(value, published) or []
    differ = [i for i, agrees in enumerate(agreement) if not agrees]
    if not differ:
        return ""
    which = ", ".join(str(i) for i in differ)
    verb, where = ("differ", "positions") if len(differ) > 1 else ("differs", "position")
    return (f"{len(differ)} of its {len(value)} values {verb} at the printed digits ({where}"
            f" {which}, counting from 0)")


def _scikit_learn() -> str:
    from importlib import metadata

    return metadata.version("scikit-learn")


def published_comparison(run: RunResult, values: dict[str, Any]) -> list[PrintedValue]:
    """The chapter's printed value next to ours, for the full MNIST run it describes."""
    if run.dataset.name != "mnist" or run.profile.train_size != run.dataset.spec.n_train:
        return []
    rows = []
    for metric in (metric for section in run.sections for metric in section.metrics):
        if metric.published is None:
            continue
        ours = values[metric.name]
        same = agrees_with_published(ours, metric.published)
        is_matrix = isinstance(metric.published, list) and isinstance(metric.published[0], list)
        rows.append(PrintedValue(
            metric=metric.name,
            published=metric.published,
            ours=ours,
            ours_rounded=rounded_like(ours, metric.published),
            matrix=matrix_difference(ours, metric.published) if is_matrix else None,
            agrees=same,
            # the cause (shared by every value one release boundary changed), and what
            # differs in this value: the report states each cause once, as a note
            why="" if same else explanation(metric.name, _scikit_learn()),
            detail="" if same else (_differing_elements(ours, metric.published)
                                    or metric.why_different),
        ))
    return rows


def _sample_description(dataset: Dataset) -> dict:
    """What a sample of the dataset is, for the record."""
    features = dataset.spec.features
    if features.images:
        return {"image_shape": list(features.shape), "pinned": dataset.pinned}
    return {"kind": features.kind, "n_features": features.n_features, "pinned": dataset.pinned,
            "feature_names": None if features.names is None else list(features.names)}


def build_record(run: RunResult) -> VersionRecord:
    """Everything a run measured, as the version record `metrics.json` holds: dataset,
    profile, metrics, timings, the chapter's printed values, repeats."""
    values = metric_values(run)
    dataset = run.dataset
    published = published_comparison(run, values)
    return VersionRecord(
        dataset=DatasetRecord(
            name=dataset.name, title=dataset.spec.title, source=dataset.source,
            checksum=dataset.checksum, x_sha256=dataset.x_sha256, y_sha256=dataset.y_sha256,
            n_samples=dataset.spec.n_samples, **_sample_description(dataset)),
        profile=ProfileRecord(run.profile.name, run.profile.sizes()),
        code=CodeRecord.of(run.code) if run.code else None,
        sections=[section.id for section in run.sections],
        metrics=values,
        timings=Timings(
            wall_seconds=run.wall_seconds, jobs=run.jobs, scheduler=run.scheduler,
            # every task: experiments and the fold tasks they depend on
            experiments={name: TaskTiming(seconds=r.seconds, cached=r.cached,
                                          peak_rss_bytes=r.peak_rss,
                                          depends_on=list(r.depends_on),
                                          started_seconds=r.started, threads=r.threads)
                         for name, r in run.runs.items()},
            # what the projection models each task's threads by (engine.schedule.Speedup)
            speedups={name: Speedup(pieces=s.pieces, serial=s.serial, measured=list(s.measured),
                                    one_thread_seconds=run.one_thread_seconds.get(name))
                      for name, s in run.speedups.items() if s.pieces > 1}),
        warnings={name: r.warnings for name, r in run.runs.items() if r.warnings},
        published=published,
        # which releases give the book's numbers, as measured
        book_releases=(BookReleases(**found) if published and (found := book_releases())
                       else None),
        # the chapter's run's (repeat 0's) intervals from its test sample
        sample_intervals={name: SampleInterval(**interval)
                          for name, interval in sample_intervals(run).items()},
        repeats=repeat_section(run),
    )


def sample_intervals(run: RunResult) -> dict[str, dict]:
    """Every metric's 95 % interval from its test sample, where its section computes one."""
    return {metric.name: metric.interval(run[metric.experiment])
            for section in run.sections for metric in section.metrics
            if metric.interval is not None}
