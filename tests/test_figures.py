"""Figures are drawn from results alone; every chapter figure exists as SVG and PNG."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from matplotlib.text import Text

from reportgen.figures import (
    PRINTED_WIDTHS,
    TEXT_BLOCK_INCHES,
    TEXT_POINTS,
    at_printed_size,
    digit_grid,
    save_figures,
    spread_chart,
    subplots,
)
from reportgen.report.model import captions, section_facts
from reportgen.sections.api import FigureSpec
from tests.chapter import CHAPTER

FIGURES = [figure for section in CHAPTER.sections for figure in section.figures]


def save(run, folder):
    return save_figures(run, run.sections, captions(run.sections, section_facts(run)), folder)


def test_every_figure_is_saved_as_svg_and_png(digits_run, tmp_path):
    saved = save(digits_run, tmp_path / "figures")
    assert [f.id for f in saved] == [spec.id for spec in FIGURES]
    for figure in saved:
        svg = tmp_path / figure.svg
        png = tmp_path / figure.png
        assert ET.parse(svg).getroot().tag.endswith("svg")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_chapter_figures_are_all_there():
    ids = {spec.id for spec in FIGURES}
    assert {
        "first_digit", "more_digits", "precision_recall_vs_threshold", "precision_vs_recall",
        "roc_curve", "roc_curve_comparison", "confusion_matrix_gray", "confusion_matrix_colour",
        "error_matrix", "error_pair_grids", "noisy_digit_example", "cleaned_digit",
        "generalization_gap",
    } <= ids


def test_same_results_give_the_same_svg(digits_run, tmp_path):
    a = save(digits_run, tmp_path / "a")
    b = save(digits_run, tmp_path / "b")
    for fa, fb in zip(a, b, strict=True):
        assert (tmp_path / fa.svg).read_bytes() == (tmp_path / fb.svg).read_bytes()


def test_figure_ids_are_unique_file_names():
    assert len({spec.id for spec in FIGURES}) == len(FIGURES)


def test_digit_grid_lays_out_rows_and_pads_with_blanks():
    images = np.arange(3 * 2 * 2).reshape(3, 2, 2)
    grid = digit_grid(images, images_per_row=2)
    assert grid.shape == (4, 4)
    assert np.array_equal(grid[:2, :2], images[0]) and not grid[2:, 2:].any()


def test_the_spread_figure_draws_each_metric_in_columns():
    rows = [{"metric": f"m.{i}", "values": [0.90 + i / 100, 0.91, 0.92], "mean": 0.91,
             "ci_low": 0.88, "ci_high": 0.94} for i in range(3)]
    fig = spread_chart(rows)
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.axison]
    assert titles == ["m.0", "m.1", "m.2"] and len(fig.axes) == 4


def test_every_figure_is_drawn_at_the_width_it_is_printed_at(digits_run, tmp_path):
    """Drawn large and shrunk onto the page, a figure's text came out at 5 to 9 pt: each is
    saved at its printed width instead (its FigureSpec's size of the A4 text block)."""
    for figure in save(digits_run, tmp_path / "figures"):
        width = ET.parse(tmp_path / figure.svg).getroot().get("width")
        expected = TEXT_BLOCK_INCHES * PRINTED_WIDTHS[figure.size] * 72
        assert float(width.removesuffix("pt")) == pytest.approx(expected, rel=1e-3), figure.id


def test_every_text_of_a_figure_is_printed_at_one_size():
    fig, ax = subplots(figsize=(8, 4))
    ax.plot([0, 1], [0, 1], label="a line")
    ax.set_xlabel("Threshold", fontsize=16)
    ax.set_title("big", fontsize=20)
    ax.legend(fontsize=5)
    at_printed_size(fig, "narrow")
    fig.canvas.draw()  # the tick labels, made as it is drawn
    sizes = {text.get_fontsize() for text in fig.findobj(Text) if text.get_text()}
    assert sizes == {TEXT_POINTS}
    assert tuple(fig.get_size_inches()) == pytest.approx(
        (TEXT_BLOCK_INCHES * PRINTED_WIDTHS["narrow"], TEXT_BLOCK_INCHES * 0.62 / 2))


def test_a_figure_of_an_unknown_size_is_refused():
    with pytest.raises(ValueError, match="size 'huge' is not one of wide, narrow, small"):
        FigureSpec("f", "caption", ("e",), lambda result: None, size="huge")


def test_each_partial_places_a_figure_at_the_size_it_was_drawn_for():
    """The built-in partials name a size for versions drawn before figures had one: it must
    be the figure's own."""
    import re

    from reportgen.report.jinja import templates_dir

    for section in CHAPTER.sections:
        text = (templates_dir() / "sections" / f"{section.id}.html.j2").read_text()
        placed = dict(re.findall(r'ui\.figure\(figures\.(\w+)(?:, size="(\w+)")?\)', text))
        for figure in section.figures:
            assert (placed.get(figure.id) or "narrow") == figure.size, figure.id
