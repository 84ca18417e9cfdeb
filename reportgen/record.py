"""One typed record of a chapter version: what its `metrics.json` holds, with one codec.

Every module that reads a version reads a `VersionRecord`, never the raw JSON:
`VersionRecord.from_json` checks the file's shape (a damaged or hand-edited file is one line
naming it) and migrates what older reportgens wrote, so a reader sees today's fields and names
in every archived version; `to_json` writes today's schema. What each schema added:

- schema 1 (v0001-v0004): no `sections`, threshold outcomes without `on`/`status`/severity,
  timings without threads, scheduler or start times;
- schema 2: repeats, book releases, test-sample intervals, printed values whose cause (`why`)
  and own detail (`detail`) are kept apart (before, one text: split here).

Metric values stay plain data (numbers, lists, tables of numbers): they are the measurements,
and their names are the sections' (`sections.api.Metric`); everything around them is typed.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from reportgen.shapes import ANY, BOOL, INT, NUMBER, STR, Each, Maybe
from reportgen.shapes import problem as shape_problem

SCHEMA = 2  # the schema `to_json` writes; `from_json` reads it and every earlier one

# What every metrics.json must have for `from_json` to decode it (reportgen.shapes)
THRESHOLD_OUTCOME = {"id": STR, "metric": STR, "passed": BOOL, "message": STR,
                     "status?": Maybe(STR), "severity?": STR}
METRICS_SHAPE = {
    "schema?": INT, "metrics": Each(ANY), "dataset": {"name": STR, "checksum?": STR},
    "profile": {"name": STR},
    "sections?": Maybe([STR]), "thresholds?": [THRESHOLD_OUTCOME], "warnings?": Each([STR]),
    "published?": [{"metric": STR}],
    "timings?": {"wall_seconds": NUMBER, "jobs?": INT,
                 "experiments": Each({"seconds": NUMBER, "cached": BOOL,
                                      "peak_rss_bytes?": Maybe(INT), "threads?": Maybe(INT)})},
    "repeats?": Maybe({"count": INT, "deterministic?": [STR],
                       "metrics?": Each({"values": (list,)})}),
    "sample_intervals?": Each({"low": NUMBER, "high": NUMBER, "method": STR}),
    "code?": {"digests": Each(STR), "reads": Each([STR]), "texts": Each(STR)},
}

# Metrics that moved to another name, old -> new: a version made before the move is read with
# them under their new names. The denoising's score of every test digit moved to the test
# section, so that a run of the chapter's own sections does not compute it.
RENAMED_METRICS = {
    "multioutput.knn.rmse_noisy": "test.denoise.rmse_noisy",
    "multioutput.knn.rmse_cleaned": "test.denoise.rmse_cleaned",
}


@dataclass(frozen=True)
class DatasetRecord:
    """Which data a version measured: its name, where it came from and its digests, and what
    a sample is (images of `image_shape`, or a table's `feature_names`)."""

    name: str
    title: str = ""
    source: str = ""
    checksum: str | None = None
    x_sha256: str | None = None
    y_sha256: str | None = None
    n_samples: int | None = None
    image_shape: list[int] | None = None
    kind: str = "images"  # or "table"
    n_features: int | None = None
    feature_names: list[str] | None = None
    pinned: bool = True  # whether the digests were checked against the dataset's pins

    @property
    def nouns(self) -> tuple[str, str]:
        return SAMPLE_NOUNS[self.kind]

    def to_json(self) -> dict:
        """Its keys, without those a version of images before tables never wrote."""
        return {key: value for key, value in asdict(self).items()
                if key not in _TABLE_ERA or value != _TABLE_ERA[key]}


# What a sample and one of its features are called, by the dataset's kind.
SAMPLE_NOUNS = {"images": ("images", "pixels"), "table": ("rows", "features")}

# What a dataset record holds since tables: written only where it differs from images'.
_TABLE_ERA = {"kind": "images", "n_features": None, "feature_names": None, "pinned": True}


@dataclass(frozen=True)
class ProfileRecord:
    """How much of the dataset the version used; `sizes` holds every size its profile names
    (train_size, test_size, and any a chapter adds)."""

    name: str
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def train_size(self) -> int | None:
        return self.sizes.get("train_size")

    @property
    def test_size(self) -> int | None:
        return self.sizes.get("test_size")

    def to_json(self) -> dict:
        return {"name": self.name, **self.sizes}


@dataclass(frozen=True)
class TaskTiming:
    """One task of the run: how long it took, whether it came from the cache, its memory."""

    seconds: float
    cached: bool
    peak_rss_bytes: int | None = None
    depends_on: list[str] = field(default_factory=list)
    started_seconds: float | None = None  # since the run began; None: cached, or not recorded
    threads: int | None = None


@dataclass(frozen=True)
class Speedup:
    """What the projection models a task's threads by (`engine.schedule.Speedup`)."""

    pieces: int
    serial: float
    measured: list = field(default_factory=list)
    one_thread_seconds: float | None = None


@dataclass(frozen=True)
class Timings:
    wall_seconds: float | None = None  # None: not recorded
    jobs: int | None = None
    scheduler: str = "local processes"
    experiments: dict[str, TaskTiming] = field(default_factory=dict)
    speedups: dict[str, Speedup] = field(default_factory=dict)


@dataclass(frozen=True)
class PrintedValue:
    """A value the chapter printed next to this run's: `why` is the cause shared by every
    value one release boundary changed, `detail` what differs in this value."""

    metric: str
    published: Any
    ours: Any
    ours_rounded: Any
    agrees: bool
    matrix: dict | None = None  # a matrix of counts: its cells and cells that differ
    why: str = ""
    detail: str = ""


_INTERVAL = ("low", "high", "method", "confidence")  # a plain interval's keys


@dataclass(frozen=True)
class SampleInterval:
    """A metric's 95 % interval from its test sample (the chapter's run's)."""

    low: float
    high: float
    method: str
    confidence: float = 0.95
    # a difference between two models on the same test images (statistics.PairedDifference):
    # the difference itself and its test against test-sample noise
    difference: float | None = None
    p_value: float | None = None
    test: str | None = None
    null: str | None = None
    smallest_p: float | None = None


@dataclass(frozen=True)
class Spread:
    """One metric over the repeats: every repeat's value and, for a measurement, its mean,
    std and 95 % t-interval (None for an answer such as a predicted class)."""

    values: list
    mean: Any = None
    std: Any = None
    ci_low: Any = None
    ci_high: Any = None

    @property
    def measured(self) -> bool:
        return self.std is not None


@dataclass(frozen=True)
class Repeats:
    count: int
    seeds: str = ""
    confidence: float | None = None
    interval: str = ""
    deterministic: list[str] = field(default_factory=list)
    deterministic_metrics: list[str] = field(default_factory=list)
    metrics: dict[str, Spread] = field(default_factory=dict)
    fold_scores: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredOutcome:
    """A threshold as a build checked it (`thresholds.Outcome`, as stored)."""

    id: str
    metric: str
    passed: bool
    message: str
    op: str = ""
    bound: Any = None
    bound_metric: str | None = None
    value: Any = None
    missing: str | None = None
    claim: str = ""
    on: str = "value"
    checked: str = "value"
    severity: str = "fail"
    status: str = ""
    repeats_holding: int | None = None
    repeat_count: int | None = None
    chapter_holds: bool | None = None
    optional: bool = False  # a claim the spec lets go unchecked where it has no bound

    def __post_init__(self) -> None:
        if not self.status:  # stored before statuses: every failure then blocked
            object.__setattr__(self, "status", "MISSING" if self.missing else
                               "PASS" if self.passed else "FAIL")
        if self.chapter_holds is None and self.repeat_count is None and self.on == "value":
            object.__setattr__(self, "chapter_holds", self.passed)


@dataclass(frozen=True)
class BookReleases:
    """Which scikit-learn releases give the book's printed numbers, as a matrix measured."""

    matrix: str
    releases: list[str]
    printed: int
    command: str | None = None


@dataclass(frozen=True)
class CodeRecord:
    """What each task's code digest (a part of its cache key) was made of: by qualified name,
    the functions, classes and constants its code reads, each as a short text (a one-line
    constant as written, anything longer by its sha256). `diff` names what changed."""

    digests: dict[str, str]  # task -> its code digest
    reads: dict[str, list[str]]  # task -> the names its digest follows
    texts: dict[str, str]  # name -> "N_TREES = 300", or "sha256:…" of a longer text

    @classmethod
    def of(cls, code: dict[str, tuple[str, dict[str, str]]]) -> CodeRecord:
        """From the run's `{task: (digest, {name: text})}`."""
        texts: dict[str, str] = {}
        for _, named in code.values():
            texts.update({name: shown_text(text) for name, text in named.items()})
        return cls(digests={task: digest for task, (digest, _) in code.items()},
                   reads={task: sorted(named) for task, (_, named) in code.items()},
                   texts=dict(sorted(texts.items())))


SHOWN_TEXT = 160  # characters of a one-line text a record keeps as it is


def shown_text(text: str) -> str:
    """A read as a version keeps it: a one-line constant as written, else its digest."""
    line = text.strip()
    if "\n" not in line and len(line) <= SHOWN_TEXT:
        return line
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class VersionRecord:
    """Everything a chapter version measured: the one record every output publishes."""

    dataset: DatasetRecord
    profile: ProfileRecord
    metrics: dict[str, Any]
    sections: list[str] | None = None  # None: made before versions listed their sections
    timings: Timings = field(default_factory=Timings)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    published: list[PrintedValue] = field(default_factory=list)
    book_releases: BookReleases | None = None
    sample_intervals: dict[str, SampleInterval] = field(default_factory=dict)
    repeats: Repeats | None = None
    version: str | None = None  # the archive's id, once a build has one
    thresholds: list[StoredOutcome] | None = None  # None: not checked (a run, not a build)
    code: CodeRecord | None = None  # None: made before versions recorded their code
    schema: int = SCHEMA

    def spread(self, name: str) -> Spread | None:
        """A metric's repeats (None: the version has no repeats, or the metric's experiment is
        deterministic)."""
        return self.repeats.metrics.get(name) if self.repeats else None

    @property
    def repeat_count(self) -> int:
        return self.repeats.count if self.repeats else 1

    def with_(self, **changes) -> VersionRecord:
        return replace(self, **changes)

    def to_json(self) -> dict:
        """Today's metrics.json: the record, key by key, with no empty optional part."""
        document: dict[str, Any] = {
            "schema": SCHEMA,
            "dataset": self.dataset.to_json(),
            "profile": self.profile.to_json(),
            "sections": self.sections,
            "metrics": self.metrics,
            "warnings": self.warnings,
            "published": [asdict(row) for row in self.published],
        }
        if self.timings.wall_seconds is not None:
            document["timings"] = asdict(self.timings)
        if self.book_releases:
            document["book_releases"] = asdict(self.book_releases)
        if self.sample_intervals:
            document["sample_intervals"] = {
                name: {key: value for key, value in asdict(interval).items()
                       if interval.difference is not None or key in _INTERVAL}
                for name, interval in self.sample_intervals.items()}
        if self.repeats:
            repeats = asdict(self.repeats)
            repeats["metrics"] = {name: {key: value for key, value in spread.items()
                                         if value is not None}
                                  for name, spread in repeats["metrics"].items()}
            document["repeats"] = repeats
        if self.version is not None:
            document["version"] = self.version
        if self.code is not None:
            document["code"] = asdict(self.code)
        if self.thresholds is not None:
            document["thresholds"] = [  # `optional` written where a claim is
                {key: value for key, value in asdict(outcome).items()
                 if key != "optional" or value} for outcome in self.thresholds]
        return document

    @classmethod
    def from_json(cls, data: Any, source: Path | str = "metrics.json") -> VersionRecord:
        """The record a metrics.json of any schema holds; what it lacks or holds of another
        type is one `RecordError` naming `source`."""
        problem = shape_problem(data, METRICS_SHAPE)
        if problem:
            raise RecordError(f"{source} is not what reportgen wrote ({problem}): restore its"
                              " version from git, or move the version's folder out of the"
                              " archive")
        if data.get("schema", 1) > SCHEMA:
            raise RecordError(f"{source} has schema {data['schema']}; this reportgen reads"
                              f" schema {SCHEMA} and older: upgrade reportgen")
        try:
            return _decode(data)
        except (TypeError, KeyError, AttributeError, ValueError) as exc:
            raise RecordError(f"{source} is not what reportgen wrote ({type(exc).__name__}:"
                              f" {exc}): restore its version from git, or build it anew"
                              ) from None


class RecordError(ValueError):
    """A metrics.json that is not a version record (damaged, edited, or from a newer
    reportgen); its message is the one line a user sees."""


def _known(kind: type, data: dict) -> dict:
    """The keys of `data` that `kind` has (a later schema's extra keys are not an error)."""
    names = {f.name for f in fields(kind)}
    return {key: value for key, value in data.items() if key in names}


def _renamed(values: dict) -> dict:
    return {RENAMED_METRICS.get(name, name): value for name, value in values.items()}


def _printed_value(row: dict) -> PrintedValue:
    """A printed value's row; from before its cause and its detail were kept apart, the
    cause ends with the release this run used ("...; this run used scikit-learn 1.9.1"), what
    follows is this value's own detail (which elements differ)."""
    row = {**row, "metric": RENAMED_METRICS.get(row["metric"], row["metric"])}
    if "detail" not in row:
        why, marker = row.get("why") or "", "; this run used scikit-learn "
        at = why.find(marker)
        end = why.find(". ", at) if at >= 0 else -1
        row = {**row, "why": why[:end], "detail": why[end + 2:]} if end >= 0 else \
            {**row, "detail": ""}
    return PrintedValue(**_known(PrintedValue, row))


def _stored_outcome(outcome: dict) -> StoredOutcome:
    renamed = {key: RENAMED_METRICS.get(outcome[key], outcome[key])
               for key in ("metric", "bound_metric") if outcome.get(key)}
    return StoredOutcome(**_known(StoredOutcome, {**outcome, **renamed}))


def _repeats(data: dict) -> Repeats:
    return Repeats(**{
        **_known(Repeats, data),
        "metrics": {name: Spread(**_known(Spread, spread))
                    for name, spread in _renamed(data.get("metrics") or {}).items()},
        "deterministic_metrics": [RENAMED_METRICS.get(name, name)
                                  for name in data.get("deterministic_metrics", [])],
        "fold_scores": _renamed(data.get("fold_scores") or {}),
    })


def _decode(data: dict) -> VersionRecord:
    profile = dict(data["profile"])
    timings = data.get("timings")
    timings = Timings() if not timings else Timings(**{
            **_known(Timings, timings),
            "scheduler": timings.get("scheduler") or "local processes",
            "experiments": {name: TaskTiming(**_known(TaskTiming, task))
                            for name, task in timings["experiments"].items()},
            "speedups": {name: Speedup(**_known(Speedup, speedup))
                         for name, speedup in (timings.get("speedups") or {}).items()},
    })
    thresholds = data.get("thresholds")
    return VersionRecord(
        schema=data.get("schema", 1),
        dataset=DatasetRecord(**_known(DatasetRecord, data["dataset"])),
        profile=ProfileRecord(profile.pop("name"), profile),
        metrics=_renamed(data["metrics"]),
        sections=data.get("sections"),
        timings=timings,
        warnings=data.get("warnings") or {},
        published=[_printed_value(row) for row in data.get("published") or []],
        book_releases=(BookReleases(**_known(BookReleases, data["book_releases"]))
                       if data.get("book_releases") else None),
        sample_intervals={name: SampleInterval(**_known(SampleInterval, interval))
                          for name, interval
                          in _renamed(data.get("sample_intervals") or {}).items()},
        repeats=_repeats(data["repeats"]) if data.get("repeats") else None,
        version=data.get("version"),
        thresholds=(None if thresholds is None else
                    [_stored_outcome(outcome) for outcome in thresholds]),
        code=CodeRecord(**_known(CodeRecord, data["code"])) if data.get("code") else None,
    )
