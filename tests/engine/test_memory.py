"""Each experiment's peak memory is its own, even in a worker that ran a bigger one before."""

import numpy as np

from reportgen.engine.memory import peak_memory
from reportgen.report.filters import fmt_bytes

MiB = 1 << 20


def test_a_block_s_peak_includes_what_it_allocated():
    with peak_memory() as before:
        pass
    with peak_memory() as peak:
        block = np.ones(300 * MiB // 8)  # 300 MiB, touched
        del block
    assert peak["bytes"] >= before["bytes"] + 250 * MiB


def test_the_peak_is_reset_between_blocks():
    with peak_memory() as big:
        block = np.ones(300 * MiB // 8)
        del block
    with peak_memory() as small:
        pass
    assert small["bytes"] < big["bytes"] - 250 * MiB


def test_every_computed_experiment_has_its_peak(digits_run):
    assert all(run.peak_rss and run.peak_rss > 10 * MiB for run in digits_run.runs.values())


def test_bytes_filter():
    assert fmt_bytes(None) == "—"
    assert fmt_bytes(int(1.87 * (1 << 30))) == "1.87 GiB" and fmt_bytes(512 * MiB) == "512 MiB"
