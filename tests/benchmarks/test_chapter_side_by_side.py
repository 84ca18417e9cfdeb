"""reportgen against the chapter's own code, side by side in one benchmark run.

Both run cold (nothing cached) on the same first N training images (10,000 by default;
REPORTGEN_BENCH_TRAIN_SIZE=60000 runs the full chapter, about an hour): the chapter as a plain
serial script (chapter_script.py), and `reportgen run` of the chapter's own sections on all
cores, its cross-validations split into fold tasks. Then reportgen again with nothing changed
(warm: every result from the cache). The ratios of the medians are what the README and the
report state; each benchmark also records the peak resident memory of any process it used.
"""

import os

import pytest

from reportgen.engine.cache import ResultCache
from reportgen.engine.memory import peak_memory
from reportgen.engine.profiles import resolve_profile
from tests.benchmarks.chapter_script import run_chapter
from tests.chapter import CHAPTER, run_builtin

TRAIN_SIZE = int(os.environ.get("REPORTGEN_BENCH_TRAIN_SIZE", "10000"))


def test_chapter_script(benchmark, mnist):
    """The chapter's calls in its order, one after the other, library defaults."""
    benchmark.extra_info["train_size"] = TRAIN_SIZE

    def chapter():
        with peak_memory() as peak:
            numbers = run_chapter(mnist.X, mnist.y, TRAIN_SIZE)
        benchmark.extra_info["peak_rss_bytes"] = peak["bytes"]
        return numbers

    numbers = benchmark.pedantic(chapter, rounds=1)
    assert 0.9 < numbers["forest_auc"] <= 1


def _chapter_run(mnist, cache: ResultCache, benchmark, threads: int | None = None):
    """A run of the chapter's own sections (the test set goes beyond it); the peak memory of
    this process during the run and of every process that computed a task."""
    chapter = [section for section in CHAPTER.sections if section.from_chapter]
    with peak_memory() as peak:
        run = run_builtin(mnist, resolve_profile("full", mnist, train_size=TRAIN_SIZE),
                              cache=cache, sections=chapter, threads=threads)
    tasks = [r.peak_rss or 0 for r in run.runs.values() if not r.cached]
    benchmark.extra_info["peak_rss_bytes"] = max([peak["bytes"] or 0, *tasks])
    return run


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> ResultCache:
    """The cold run fills it; the warm run reads it."""
    return ResultCache(tmp_path_factory.mktemp("results"))


def test_reportgen_cold_run(benchmark, mnist, results):
    """reportgen's cold run of the chapter's own sections on the same images, all cores."""
    benchmark.extra_info["baseline"] = "test_chapter_script"
    benchmark.extra_info["train_size"] = TRAIN_SIZE
    run = benchmark.pedantic(lambda: _chapter_run(mnist, results, benchmark), rounds=1)
    assert not any(r.cached for r in run.runs.values())


def test_reportgen_warm_run(benchmark, mnist, results):
    """The same run with nothing changed since the cold run: every result from the cache."""
    benchmark.extra_info["baseline"] = "test_reportgen_cold_run"
    benchmark.extra_info["train_size"] = TRAIN_SIZE
    _chapter_run(mnist, results, benchmark)  # computes only when run alone (-k warm)
    run = benchmark.pedantic(lambda: _chapter_run(mnist, results, benchmark), rounds=3)
    assert not run.computed
