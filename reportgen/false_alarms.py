"""The gate's false-alarm rate, measured on a version's own repeats (an A/A check).

`reportgen diff --fail-on significant` is a gate: it fails when any metric changed beyond
seed noise. A gate's real false-alarm rate can be far from its nominal one; this measures
ours: the repeats 1..2b of one version (the
chapter's run, repeat 0, has unshuffled splits and is left out) are split into two blocks of b
repeats with disjoint seeds, each block made a version of its own, and the two compared by
`compare.compare_records`, exactly as `diff` compares two builds whose seeds differ (Welch's
test, Benjamini–Hochberg over the diff). Both blocks ran the same code on the same data: every
significant verdict is a false alarm. Every way of splitting the 2b repeats into two blocks is
tried (C(2b, b)/2 splits; MOST_SPLITS of them drawn at random beyond that); they share repeats,
so they are not independent: the rate is an average over splits, not a count of independent
trials.

Two rates: the share of splits in which the gate fails (nominal: 5 %; under no change at all
the false discovery rate Benjamini–Hochberg keeps at 5 % is the chance of any significant
verdict, a guarantee for independent or positively dependent tests, which these strongly
dependent metrics need not be: hence the measurement), and the share of all metric elements
tested that were called significant.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from itertools import combinations
from math import comb

from reportgen.compare import SIGNIFICANCE, compare_records
from reportgen.errors import ReportgenError
from reportgen.gate import Gate
from reportgen.metrics import summarize
from reportgen.record import VersionRecord

NOMINAL = SIGNIFICANCE
MIN_BLOCK = 2  # Welch's test needs two values a side
FEWEST_REPEATS = 2 * MIN_BLOCK + 1  # the chapter's run and two blocks
MOST_SPLITS = 35  # C(8, 4) / 2: every split of blocks of 4; larger blocks draw 35 of theirs
SPLIT_SEED = 0


@dataclass(frozen=True)
class FalseAlarms:
    """What the A/A check measured on one version's repeats."""

    block: int  # repeats in each block
    repeats: tuple[int, ...]  # the repeats used (1..2b)
    splits: int  # comparisons made
    failing_splits: int  # in how many the gate found something significant
    metrics_tested: int  # metric comparisons with a verdict, over all splits
    metrics_significant: int
    most_flagged: tuple[tuple[str, int], ...]  # metric -> in how many splits it was flagged
    nominal: float = NOMINAL
    method: str = ("A/A: the version's repeats 1..2b split into two blocks of b (disjoint"
                   f" seeds) every way, or {MOST_SPLITS} ways drawn at random (seed"
                   f" {SPLIT_SEED}) where there are more, each pair compared as"
                   " `reportgen diff` compares two builds whose seeds differ (Welch's t-test,"
                   " Benjamini-Hochberg at 5 %)")

    @property
    def gate_rate(self) -> float | None:
        """The share of A/A comparisons the gate fails: its measured false-alarm rate (None
        when no metric was tested: a rate of nothing is no measurement)."""
        return self.failing_splits / self.splits if self.metrics_tested else None

    @property
    def metric_rate(self) -> float | None:
        return self.metrics_significant / self.metrics_tested if self.metrics_tested else None

    def as_dict(self) -> dict:
        return {**asdict(self), "gate_rate": self.gate_rate, "metric_rate": self.metric_rate}

    @property
    def gate(self) -> Gate:
        """A rate measured on no metric is no measurement: nothing varied across the repeats
        (every metric deterministic, or no change between blocks), so nothing was tested."""
        return Gate(self.metrics_tested,
                    nothing=f"no metric was tested in the {self.splits} splits (none varies"
                            " across the repeats): the false-alarm rate was not measured")


def _block_record(record: VersionRecord, repeats: tuple[int, ...], seeds: str
                  ) -> VersionRecord:
    """The version as if it had run only `repeats` (the first of them as its chapter value)."""
    metrics, summaries = dict(record.metrics), {}
    for name, spread in record.repeats.metrics.items():
        values = [spread.values[r] for r in repeats]
        metrics[name] = values[0]
        summaries[name] = summarize(values)
    return record.with_(metrics=metrics, thresholds=[], repeats=replace(
        record.repeats, count=len(repeats), seeds=seeds, metrics=summaries))


def _splits(used: tuple[int, ...], block: int) -> list[tuple[int, ...]]:
    """The first blocks of the splits compared: every split once (the block holding repeat 1
    names it) when there are at most MOST_SPLITS, else MOST_SPLITS distinct ones drawn from
    SPLIT_SEED (enumerating C(2b, b) splits of 100 repeats would never end)."""
    if comb(2 * block, block) // 2 <= MOST_SPLITS:
        return [first for first in combinations(used, block) if 1 in first]
    rng, drawn = random.Random(SPLIT_SEED), set()
    while len(drawn) < MOST_SPLITS:
        drawn.add(tuple(sorted((1, *rng.sample(used[1:], block - 1)))))
    return sorted(drawn)


def largest_block(record: VersionRecord) -> int:
    """The block size the version's repeats allow: half of repeats 1..N-1."""
    return (record.repeat_count - 1) // 2


def measure(record: VersionRecord, block: int | None = None) -> FalseAlarms:
    """The A/A false-alarm rate of the diff gate on this version's repeats (see the module)."""
    block = largest_block(record) if block is None else block
    available = largest_block(record)
    if block > available >= MIN_BLOCK:
        raise ReportgenError(
            f"blocks of {block} need {2 * block + 1} repeats; this version has"
            f" {record.repeat_count}, enough for blocks of at most {available}: give"
            f" --block {available} or less")
    if block < MIN_BLOCK or block > available:
        count = record.repeat_count
        has = "was built without --repeats" if count < 2 else \
            f"has {count} repeats, enough for blocks of {max(available, 0)}"
        raise ReportgenError(
            f"the A/A check needs two blocks of at least 2 repeats besides the chapter's run"
            f" (blocks of {max(block, MIN_BLOCK)}); this version {has}: build with --repeats"
            f" {2 * max(block, MIN_BLOCK) + 1} or more")
    used = tuple(range(1, 2 * block + 1))
    splits = _splits(used, block)
    failing, tested, significant, flagged = 0, 0, 0, {}
    for first in splits:
        second = tuple(r for r in used if r not in first)
        changes = compare_records(_block_record(record, first, "block a"),
                                  _block_record(record, second, "block b"))
        judged = [row for row in changes["metrics"] if row["verdict"] != "unknown"]
        called = [row["metric"] for row in judged if row["verdict"] == "significant"]
        failing += bool(called)
        tested += len(judged)
        significant += len(called)
        for name in called:
            flagged[name] = flagged.get(name, 0) + 1
    return FalseAlarms(block=block, repeats=used, splits=len(splits), failing_splits=failing,
                       metrics_tested=tested, metrics_significant=significant,
                       most_flagged=tuple(sorted(flagged.items(), key=lambda kv: -kv[1])[:5]))
