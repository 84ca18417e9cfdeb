"""Threads against one thread, side by side in one benchmark run: the chapter's own sections on
the same first N training images (10,000 by default, REPORTGEN_BENCH_TRAIN_SIZE), cold, on all
cores: every task on one thread (`--threads 1`), then every task that can split on two
(`--threads 2`: on a 2-core machine each such task has the machine to itself). The ratio says
what the threads buy where nothing else is ready to run; each run records its peak memory."""

import pytest

from reportgen.engine.cache import ResultCache
from tests.benchmarks.test_chapter_side_by_side import TRAIN_SIZE, _chapter_run


@pytest.mark.parametrize("threads", [1, 2])
def test_reportgen_run_on_threads(benchmark, mnist, tmp_path, threads):
    benchmark.extra_info["train_size"] = TRAIN_SIZE
    benchmark.extra_info["threads"] = threads
    if threads > 1:
        benchmark.extra_info["baseline"] = "test_reportgen_run_on_threads[1]"
    run = benchmark.pedantic(lambda: _chapter_run(mnist, ResultCache(tmp_path), benchmark,
                                                  threads=threads), rounds=1)
    assert not any(r.cached for r in run.runs.values())
    assert max(r.threads for r in run.runs.values()) == threads
