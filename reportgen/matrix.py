"""`reportgen matrix`: the chapter run as each scikit-learn release computes it, and what every
release changed, measured.

Each release gets its own environment (`reportgen.environments`) and an ordinary `reportgen
run` in it, with its own cached results (the cache key holds the library versions), one after
another as `engine.schedule.release_runs` decides. `compare_releases` turns their metrics.json
documents into plain data: which printed values of the chapter each release reproduces, which
metrics changed (to the bit) between neighbouring releases and by how much, whether the change
is larger than seed noise (repeat r uses the same seeds in every release, so the per-repeat
differences are tested, as in `compare`), every threshold's status and every task's training
time per release. Nothing here draws or renders: `report.matrix` does.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reportgen.archive import read_record
from reportgen.compare import compare_records, is_number
from reportgen.environments import (
    Pins,
    ReleaseEnvironment,
    ensure_environment,
    process_running,
    release_tuple,
)
from reportgen.errors import ReportgenError
from reportgen.gate import Gate
from reportgen.interrupts import run_child
from reportgen.places import cache_root
from reportgen.record import StoredOutcome, VersionRecord
from reportgen.thresholds import Threshold, evaluate, thresholds_gate

MATRIX_DATA = "matrix.json"
MATRIX_SCHEMA = 1
RUNS = "runs"  # runs/<environment>/metrics.json: every release's own document, as it ran


@dataclass
class ReleaseRun:
    """One release's run of the chapter: the environment, and the metrics.json it wrote."""

    environment: ReleaseEnvironment
    record: VersionRecord  # what the release's run measured
    seconds: float  # the run command's wall time, environment reuse included

    @property
    def label(self) -> str:
        return self.environment.pins.label


def release_order(pins: Pins) -> tuple:
    """Oldest release first: scikit-learn's, then numpy's."""
    return release_tuple(pins.scikit_learn), release_tuple(pins.numpy or "0")


def run_arguments(profile: str, dataset: str, data_file: Path | None, train_size: int | None,
                  only: tuple[str, ...], repeats: int, force: bool, quiet: bool,
                  section_modules: tuple[str, ...] = ()) -> list[str]:
    """The `reportgen run` options every release's run gets (paths made absolute: the run
    writes elsewhere; it starts in this working folder, so it finds the same project)."""
    arguments = ["--profile", profile, "--dataset", dataset, "--repeats", str(repeats)]
    for module in section_modules:
        arguments += ["--section", module]
    if data_file is not None:
        arguments += ["--data-file", str(Path(data_file).resolve())]
    if train_size is not None:
        arguments += ["--train-size", str(train_size)]
    for section in only:
        arguments += ["--only", section]
    return arguments + (["--force"] if force else []) + (["--quiet"] if quiet else [])


def run_releases(pins_list: list[Pins], arguments: list[str], jobs: int,
                 log: Callable[[str], None] = lambda m: None) -> list[ReleaseRun]:
    """Make (or reuse) every release's environment first, so a release that cannot be had
    fails before hours of work; then run the chapter in each, in the policy's order (each run's
    progress and errors show on stderr; its summary on stdout is the matrix's to give)."""
    from reportgen.engine.schedule import release_runs

    ordered = sorted(set(pins_list), key=release_order)
    if len(ordered) < 2:
        raise ReportgenError("a matrix compares releases: give at least two (--scikit-learn"
                             " 1.5.2 --scikit-learn 1.9.1, or --releases 1.5:1.9)")
    environments = [ensure_environment(pins, log) for pins in ordered]
    _clear_abandoned_workdirs()
    workdir = Path(tempfile.mkdtemp(prefix=f"matrix-{os.getpid()}-", dir=cache_root()))
    runs = []
    try:
        for environment, workers in zip(environments, release_runs(len(environments), jobs),
                                        strict=True):
            out = workdir / environment.path.name
            log(f"running the chapter with {environment.pins.label}")
            started = time.perf_counter()
            done = run_child(environment.reportgen("run", *arguments, "--jobs", str(workers),
                                                   "--out", str(out)),
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            if done.returncode == 130:
                raise KeyboardInterrupt
            if done.returncode < 0:
                raise ReportgenError(f"the run with {environment.pins.label} was killed by"
                                     f" signal {-done.returncode}; nothing was archived, and"
                                     " what it computed stays cached")
            if done.returncode != 0:
                raise ReportgenError(f"the run with {environment.pins.label} failed (exit"
                                     f" {done.returncode}, its message above); nothing was"
                                     " archived, and what it computed stays cached")
            record = read_record(out / "metrics.json")
            runs.append(ReleaseRun(environment, record, time.perf_counter() - started))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return runs


def _clear_abandoned_workdirs() -> None:
    """Remove the run folders of matrices whose process is gone (killed with SIGKILL)."""
    for folder in cache_root().glob("matrix-*"):
        found = re.match(r"^matrix-(\d+)-", folder.name)
        if folder.is_dir() and (found is None or not process_running(int(found.group(1)))):
            shutil.rmtree(folder, ignore_errors=True)


# -- the comparison: plain data for the report, the archive and the tests --------------------
def compare_releases(runs: list[ReleaseRun], spec: list[Threshold]) -> dict:
    """Everything the matrix report shows, as JSON-ready data (see the module's docstring)."""
    documents = [run.record for run in runs]
    labels = [run.label for run in runs]
    first = documents[0]
    for run in runs[1:]:
        if run.record.profile != first.profile or (
                run.record.dataset.checksum != first.dataset.checksum):
            raise ReportgenError(f"the run with {run.label} measured other data than the run"
                                 f" with {labels[0]}; a matrix compares one measurement")
    return {
        "schema": MATRIX_SCHEMA,
        "dataset": asdict(first.dataset),
        "profile": first.profile.to_json(),
        "sections": first.sections,
        "repeats": first.repeat_count,
        "releases": [{"label": run.label, "pins": run.environment.pins.releases,
                      "environment": run.environment.path.name,
                      "libraries": run.environment.libraries,
                      "run_seconds": run.seconds} for run in runs],
        "published": published_by_release(documents, labels),
        "changes": changes_between_releases(documents, labels),
        "thresholds": thresholds_by_release(documents, spec),
        "timings": timings_by_release(documents),
        "warnings": [sum(len(w) for w in d.warnings.values()) for d in documents],
        "warning_rows": warnings_by_release(documents),
    }


def warnings_by_release(documents: list[VersionRecord]) -> list[dict]:
    """Every task that warned in some release: how many warnings in each, and the first
    message (a ConvergenceWarning, say: a release that stops a fit sooner or later shows
    here)."""
    tasks = dict.fromkeys(name for d in documents for name in d.warnings)
    rows = []
    for task in tasks:
        each = [d.warnings.get(task, []) for d in documents]
        first = next((w[0] for w in each if w), "")
        rows.append({"task": task, "counts": [len(w) for w in each],
                     "example": first if len(first) <= 300 else first[:297] + "..."})
    return rows


def published_by_release(documents: list[VersionRecord], labels: list[str]) -> list[dict]:
    """For every value the chapter prints: each release's value at the printed digits, whether
    it is the chapter's, the newest release that reproduces it and the first after that which
    does not. Empty when the run is not the full-MNIST one the chapter describes."""
    rows: dict[str, dict] = {}
    for index, document in enumerate(documents):
        for row in document.published:
            entry = rows.setdefault(row.metric, {
                "metric": row.metric, "published": row.published,
                "values": [None] * len(documents), "agrees": [None] * len(documents)})
            entry["values"][index] = row.ours_rounded
            entry["agrees"][index] = row.agrees
    for entry in rows.values():
        entry.update(reproduction(entry["agrees"], labels))
    return list(rows.values())


def reproduction(agrees: list[bool | None], labels: list[str]) -> dict:
    """Which releases reproduce a printed value: the newest that does, and the first release
    after it that does not (None where there is no such release)."""
    newest = max((i for i, same in enumerate(agrees) if same), default=None)
    first_not = None
    if newest is not None:
        first_not = next((i for i in range(newest + 1, len(agrees)) if agrees[i] is False), None)
    return {
        "reproduced_by": [labels[i] for i, same in enumerate(agrees) if same],
        "newest_reproducing": labels[newest] if newest is not None else None,
        "first_not_reproducing": labels[first_not] if first_not is not None else None,
    }


def _magnitude(old: Any, new: Any) -> dict:
    """How much a metric moved: the largest absolute change of any of its elements, that
    relative to the old value's size, and how many elements moved."""
    def flat(value: Any) -> list:
        return [x for v in value for x in flat(v)] if isinstance(value, list) else [value]

    before, after = flat(old), flat(new)
    if len(before) != len(after) or not all(is_number(x) for x in before + after):
        return {"max_abs_change": None, "relative_change": None, "elements_changed": None,
                "elements": len(after)}
    changes = [abs(b - a) for a, b in zip(before, after, strict=True)]
    largest = max(changes)
    scale = max(abs(a) for a in before)
    return {"max_abs_change": largest,
            "relative_change": largest / scale if scale > 0 else None,
            "elements_changed": sum(c != 0 for c in changes), "elements": len(after)}


def changes_between_releases(documents: list[VersionRecord], labels: list[str]
                             ) -> list[dict]:
    """Every step from one release to the next: the metrics that changed to the bit, each
    with its size and its verdict against seed noise (paired, repeat by repeat)."""
    steps = []
    for index in range(1, len(documents)):
        old, new = documents[index - 1], documents[index]
        changes = compare_records(old, new, paired=True)
        rows = [{"metric": row["metric"], "old": row["old"], "new": row["new"],
                 "verdict": row["verdict"], "method": row["method"],
                 "p_value": row["p_value"], **_magnitude(row["old"], row["new"])}
                for row in changes["metrics"]]
        steps.append({"from": labels[index - 1], "to": labels[index], "metrics": rows,
                      "unchanged": changes["unchanged_metrics"],
                      "beyond_noise": sum(r["verdict"] == "significant" for r in rows)})
    return steps


def thresholds_by_release(documents: list[VersionRecord], spec: list[Threshold]
                          ) -> list[dict]:
    """Every threshold that applies: its claim, and its status and value in each release."""
    rows: dict[str, dict] = {}
    for index, document in enumerate(documents):
        for outcome in evaluate(spec, document):
            entry = rows.setdefault(outcome.threshold.id, {
                "id": outcome.threshold.id, "metric": outcome.threshold.metric,
                "claim": outcome.threshold.claim, "optional": outcome.threshold.optional,
                "statuses": [None] * len(documents),
                "values": [None] * len(documents), "messages": [None] * len(documents)})
            entry["statuses"][index] = outcome.status
            entry["values"][index] = outcome.value
            entry["messages"][index] = outcome.message
    return list(rows.values())


def timings_by_release(documents: list[VersionRecord]) -> list[dict]:
    """Every task's training time in each release (as last computed: a cached task keeps the
    time it took then), longest first by the newest release, with the ratio newest/oldest."""
    names = dict.fromkeys(name for d in documents for name in d.timings.experiments)
    rows = []
    for name in names:
        seconds = [task.seconds if (task := d.timings.experiments.get(name)) else None
                   for d in documents]
        ends = [s for s in (seconds[0], seconds[-1]) if s is not None]
        ratio = (seconds[-1] / seconds[0] if len(ends) == 2 and seconds[0] > 0 else None)
        rows.append({"task": name, "seconds": seconds, "ratio": ratio})
    rows.sort(key=lambda row: -(row["seconds"][-1] or 0))
    return rows


def totals(data: dict) -> dict:
    """Summary figures of a matrix: per release, printed values reproduced, thresholds
    passing, total training time; per step, metrics changed and beyond noise."""
    n = len(data["releases"])
    return {
        "reproduced": [sum(bool(r["agrees"][i]) for r in data["published"]) for i in range(n)],
        "printed": len(data["published"]),
        "passing": [sum(t["statuses"][i] == "PASS" for t in data["thresholds"])
                    for i in range(n)],
        "thresholds": len(data["thresholds"]),
        "work_seconds": [math.fsum(t["seconds"][i] or 0 for t in data["timings"])
                         for i in range(n)],
    }


def matrix_gate(data: dict, version_id: str, nothing: str) -> Gate:
    """The matrix's gate: the newest release's thresholds (what its manifest counts), under
    the one rule (`gate`); `nothing` says why none applied, should none have."""
    newest = [StoredOutcome(id=t["id"], metric=t["metric"], status=t["statuses"][-1],
                            passed=t["statuses"][-1] in ("PASS", "WARN"), message="",
                            optional=t.get("optional", False))  # older matrices: none
              for t in data["thresholds"] if t["statuses"][-1] is not None]
    return thresholds_gate(newest, f"{version_id} ({data['releases'][-1]['label']})", nothing)
