"""Small chapter versions made by hand and published as a build publishes them, for the commands
that read the archive (list, show, diff, check, render) without running any experiment."""

from __future__ import annotations

import json
from pathlib import Path

from reportgen.archive import Archive
from reportgen.record import VersionRecord


def fabricate_version(reports: Path, metrics: dict, headlines: tuple[str, ...] = (),
                      dataset: str = "digits", **document) -> str:
    """Publish a digits quick version of `metrics` (`headlines` names those its manifest
    lists, as a build lists its sections' leading metrics); returns its id."""
    full = {"metrics": metrics, "version": "",
            "dataset": {"name": dataset, "checksum": "c", "source": "hand-made"},
            "profile": {"name": "quick", "train_size": 1500, "test_size": 297},
            "sections": sorted({name.split(".")[0] for name in metrics}), "thresholds": [],
            "timings": {"wall_seconds": 1.0, "experiments": {}}, **document}
    with Archive(reports).new_version(f"{dataset}-quick-abc1234") as staging:
        (staging.path / "metrics.json").write_text(json.dumps({**full, "version": staging.id}))
        staging.describe(dataset=dataset, profile="quick", commit="abc1234",
                         headlines={name: metrics[name] for name in headlines},
                         headline_labels={name: name.upper() for name in headlines},
                         thresholds={"passed": 0, "total": 0})
    return staging.id


def record_of(document: dict) -> VersionRecord:
    """A version record from a hand-written metrics.json document, through the codec every
    reader uses; the dataset and profile default to digits quick where a test leaves them out."""
    dataset = {"name": "digits", **document.get("dataset", {})}
    profile = {"name": "quick", **document.get("profile", {})}
    return VersionRecord.from_json({**document, "dataset": dataset, "profile": profile})
