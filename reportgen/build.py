"""`reportgen build`: run (or reuse) every experiment, render the report, archive the version."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from reportgen import provenance
from reportgen.archive import Archive
from reportgen.benchmarks import report_context as benchmark_context
from reportgen.compare import compare_documents
from reportgen.data import load_dataset
from reportgen.engine.profiles import resolve_profile
from reportgen.engine.runner import NoProgress, run_experiments
from reportgen.export import export_run
from reportgen.report.index import write_index
from reportgen.report.model import HEADLINES, build_context
from reportgen.report.render import render_html, write_pdf
from reportgen.storage import writable_folder
from reportgen.thresholds import DEFAULT_SPEC, evaluate, load_spec


@dataclass
class BuildOutcome:
    version_id: str
    path: Path
    document: dict
    previous_id: str | None
    changes: dict | None

    @property
    def failed_thresholds(self) -> list[dict]:
        return [t for t in self.document["thresholds"] if not t["passed"]]


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
    progress=None,
    log=lambda message: None,
) -> BuildOutcome:
    started = time.perf_counter()
    spec = load_spec(thresholds_path)  # a malformed spec fails before any work
    writable_folder(Path(reports_dir), f"--reports-dir {reports_dir}")  # so does a bad archive
    ds = load_dataset(dataset, data_file=data_file, log=log)
    chosen = resolve_profile(profile, ds, train_size)
    run = run_experiments(ds, chosen, jobs=jobs, force=force, progress=progress or NoProgress(),
                          log=log)
    origin = provenance.collect()
    archive = Archive(reports_dir)

    with archive.new_version(f"{ds.name}-{chosen.name}-{origin.short_commit}") as staging:
        def annotate(document: dict) -> None:
            document["version"] = staging.id
            document["thresholds"] = [outcome.as_dict() for outcome in evaluate(spec, document)]

        document, figures = export_run(run, staging.path, annotate)

        previous = archive.previous(ds.name, chosen.name)
        changes = compare_documents(previous.metrics(), document) if previous else None
        created = staging.created.strftime("%Y-%m-%d %H:%M:%S")
        context = build_context(
            run=run, document=document, figures=figures, build_dir=staging.path,
            version_id=staging.id, created_utc=created, provenance=origin.as_dict(),
            thresholds=document["thresholds"], changes=changes,
            previous_id=previous.id if previous else None,
            benchmarks=benchmark_context(benchmarks_dir) if benchmarks_dir else None,
        )
        html = render_html("report.html.j2", context)
        (staging.path / "report.html").write_text(html)
        if pdf:
            write_pdf(html, staging.path, staging.path / "report.pdf")
        passed = sum(t["passed"] for t in document["thresholds"])
        staging.describe(
            dataset=ds.name, profile=chosen.name, commit=origin.commit, dirty=origin.dirty,
            headlines={name: document["metrics"][name] for name, _ in HEADLINES},
            thresholds={"passed": passed, "total": len(document["thresholds"])},
            build_seconds=time.perf_counter() - started,
            previous=previous.id if previous else None,
        )
    write_index(archive)
    return BuildOutcome(staging.id, archive.root / staging.id, document,
                        previous.id if previous else None, changes)
