"""A section written outside the package, through the section API alone, takes part in a
build: its experiment runs, its metric is in metrics.json, its figure is drawn and numbered, its
partial is rendered, and a threshold on its metric is checked."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from reportgen.build import build_report
from reportgen.engine.profiles import Inputs
from reportgen.errors import ReportgenError
from reportgen.figures import subplots
from reportgen.sections import Metric, Section
from reportgen.sections.api import FigureSpec, field_of
from tests.chapter import CHAPTER

HERE = Path(__file__).parent / "toy"


@dataclass
class PixelCount:
    pixels_on: int
    histogram: np.ndarray


def histogram(result: PixelCount):
    fig, ax = subplots(figsize=(4, 3))
    ax.bar(range(len(result.histogram)), result.histogram)
    return fig


def toy_section(what: str = "lit pixels") -> Section:
    section = Section(
        id="toy", title="A toy section about {what}", order=99, template_dir=HERE,
        metrics=(Metric("toy.count.pixels_on", "toy.count", field_of("pixels_on"),
                        "Pixels that are on in the first image ({what})"),),
        figures=(FigureSpec("toy_histogram", "Histogram of {what}.", ("toy.count",),
                            histogram),),
        facts=lambda results, spec: {"what": what},
    )

    @section.experiment("toy.count")
    def count(data: Inputs) -> PixelCount:
        first = data.X_train[0]
        return PixelCount(pixels_on=int((first > 0).sum()),
                          histogram=np.bincount(first.astype(int), minlength=17))

    return section


SPEC = """
[[threshold]]
id = "toy-some-pixels"
metric = "toy.count.pixels_on"
op = ">"
bound = { quick = 5 }
claim = "The first image is not blank."
dataset = "digits"
"""


@pytest.fixture
def toy_build(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    return build_report("digits", "quick", chapter=CHAPTER.adding(toy_section()),
                        reports_dir=tmp_path / "reports", jobs=1, thresholds_path=spec,
                        benchmarks_dir=None)


def test_an_added_section_is_built_and_rendered(toy_build):
    document = json.loads((toy_build.path / "metrics.json").read_text())
    assert document["sections"][-1] == "toy"
    assert document["metrics"]["toy.count.pixels_on"] > 5
    assert [t["id"] for t in document["thresholds"]] == ["toy-some-pixels"]
    assert document["thresholds"][0]["passed"]
    assert (toy_build.path / "figures" / "toy_histogram.svg").is_file()
    html = (toy_build.path / "report.html").read_text()
    assert '<section id="toy" class="chapter">' in html
    assert "<h1>A toy section about lit pixels</h1>" in html
    assert '<a href="#toy">A toy section about lit pixels</a>' in html  # the contents
    assert "The toy section counts lit pixels" in html
    assert "Histogram of lit pixels.</figcaption>" in html
    assert "Pixels that are on in the first image (lit pixels)" in (
        toy_build.path / "record.html").read_text()  # the metric names, in the build record


def test_defining_a_section_adds_it_to_no_other_chapter(toy_build, tmp_path):
    """Defining a section registers nothing: a chapter that does not name it builds without
    it."""
    later = build_report("digits", "quick", chapter=CHAPTER, reports_dir=tmp_path / "again",
                         jobs=1, benchmarks_dir=None, pdf=False)
    assert "toy.count.pixels_on" not in later.record.metrics
    assert "toy" not in later.record.sections


def test_metric_names_must_carry_the_section_id():
    with pytest.raises(ValueError, match="must start with 'toy.'"):
        Section(id="toy", title="t", order=1,
                metrics=(Metric("other.x", "toy.count", field_of("x"), "x"),))


def test_an_array_valued_metric_is_plain_data_in_every_build(tmp_path):
    """`field_of` on an array field: the first build wrote it (as a list) and every later one
    died comparing the array with the earlier version's list. Now the value is a list from the
    start, and a later build compares it."""
    toy = toy_section()
    histogram = Metric("toy.count.histogram", "toy.count", field_of("histogram"), "Histogram")
    toy = Section(**{**toy.__dict__, "metrics": (*toy.metrics, histogram)})
    chapter = CHAPTER.adding(toy)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    builds = [build_report("digits", "quick", chapter=chapter, reports_dir=tmp_path / "reports",
                           jobs=1, thresholds_path=spec, benchmarks_dir=None, pdf=False,
                           only=("toy",))
              for _ in range(2)]
    first, second = (json.loads((b.path / "metrics.json").read_text()) for b in builds)
    assert first["metrics"]["toy.count.histogram"] == second["metrics"]["toy.count.histogram"]
    assert isinstance(second["metrics"]["toy.count.histogram"], list)


def test_a_metric_that_is_not_plain_data_is_refused_in_one_line():
    metric = Metric("toy.count.odd", "toy.count", field_of("pixels_on"), "odd")
    assert metric.value(PixelCount(np.int64(3), np.arange(2))) == 3
    with pytest.raises(ReportgenError, match=r"metric toy.count.odd \(of toy.count\) reads a"
                       r" set: a metric's value must be a number"):
        metric.value(PixelCount({1, 2}, np.arange(2)))
