"""reportgen against the chapter's own code, side by side in one benchmark run.

Both run cold (nothing cached) on the same first N training images (10,000 by default;
REPORTGEN_BENCH_TRAIN_SIZE=60000 runs the full chapter, about an hour): the chapter as a plain
serial script (chapter_script.py), and `reportgen run` of the chapter's own sections on all
cores. The ratio of the two medians is what the README and the report state.
"""

import os

from reportgen.engine.cache import ResultCache
from reportgen.engine.profiles import resolve_profile
from reportgen.engine.runner import run_experiments
from reportgen.sections import all_sections
from tests.benchmarks.chapter_script import run_chapter

TRAIN_SIZE = int(os.environ.get("REPORTGEN_BENCH_TRAIN_SIZE", "10000"))


def test_chapter_script(benchmark, mnist):
    """The chapter's calls in its order, one after the other, library defaults."""
    benchmark.extra_info["train_size"] = TRAIN_SIZE
    numbers = benchmark.pedantic(run_chapter, args=(mnist.X, mnist.y, TRAIN_SIZE), rounds=1)
    assert 0.9 < numbers["forest_auc"] <= 1


def test_reportgen_cold_run(benchmark, mnist, tmp_path_factory):
    """reportgen's cold run of the chapter's own sections on the same images, all cores."""
    benchmark.extra_info["baseline"] = "test_chapter_script"
    benchmark.extra_info["train_size"] = TRAIN_SIZE
    chapter = [section for section in all_sections() if section.from_chapter]

    def cold():
        return run_experiments(mnist, resolve_profile("full", mnist, train_size=TRAIN_SIZE),
                               cache=ResultCache(tmp_path_factory.mktemp("cold")),
                               sections=chapter)

    run = benchmark.pedantic(cold, rounds=1)
    assert not any(r.cached for r in run.runs.values())
