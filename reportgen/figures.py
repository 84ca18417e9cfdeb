"""Drawing helpers the sections share, and the one function that saves every figure.

Each section declares its figures (`FigureSpec`): a function that takes results and returns a
matplotlib Figure, in the manner of scikit-learn's Display classes. Nothing here fits anything.
"""

from __future__ import annotations

import inspect
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.text

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator  # noqa: E402

from reportgen.engine.registry import failure_at  # noqa: E402
from reportgen.errors import ReportgenError  # noqa: E402

if TYPE_CHECKING:
    from reportgen.engine.runner import RunResult
    from reportgen.sections.api import FigureSpec, Section

STYLE = {  # the chapter's rc settings, plus reproducible SVG output
    "axes.labelsize": 14, "xtick.labelsize": 12, "ytick.labelsize": 12,
    "svg.hashsalt": "reportgen", "svg.fonttype": "path",
}


# A figure's printed width on A4 (the text block of templates/report.css: 210 mm less 2 x 18 mm
# margins), by its size: the CSS gives each the same share of the text block.
TEXT_BLOCK_INCHES = (210 - 2 * 18) / 25.4
PRINTED_WIDTHS = {"wide": 1.0, "narrow": 0.62, "small": 0.30}
TEXT_POINTS = 8  # every text of a section's figure, as printed (the body text is 10 pt)


def at_printed_size(fig: Figure, size: str) -> Figure:
    """The figure redrawn at the width it is printed at (its height in proportion), every text
    at TEXT_POINTS, laid out again so nothing overlaps: drawn large and shrunk onto the page, a
    figure's text came out anywhere from 5 to 9 pt."""
    width = TEXT_BLOCK_INCHES * PRINTED_WIDTHS[size]
    old_width, old_height = fig.get_size_inches()
    fig.set_size_inches(width, old_height * width / old_width)
    for ax in fig.axes:  # tick labels are made as the axes are drawn: set what they take
        ax.tick_params(labelsize=TEXT_POINTS)
    for text in fig.findobj(matplotlib.text.Text):
        if text.get_text():
            text.set_fontsize(TEXT_POINTS)
    if fig.get_layout_engine() is None:  # one the drawing chose lays out again by itself
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "not compatible": axes it leaves
            fig.tight_layout()
    return fig


def subplots(*args, **kwargs):
    """plt.subplots, the one way sections make a figure (so they need not import pyplot)."""
    return plt.subplots(*args, **kwargs)


def plot_display(display_class: type, ax, style: dict, name: str | None = None, **data):
    """Draw one of scikit-learn's curve Displays (`RocCurveDisplay`, `PrecisionRecallDisplay`)
    from computed points, on every supported release: 1.7 renamed `estimator_name` to `name`
    and moved the line's style from `**kwargs` to `curve_kwargs` (the old spellings were then
    deprecated, and are refused by the newest releases)."""
    if name is not None:
        takes_name = "name" in inspect.signature(display_class).parameters
        data["name" if takes_name else "estimator_name"] = name
    display = display_class(**data)
    if "curve_kwargs" in inspect.signature(display.plot).parameters:
        drawn = display.plot(ax=ax, curve_kwargs=style)
    else:
        drawn = display.plot(ax=ax, **style)
    if name is not None and data.get("roc_auc") is not None:
        # scikit-learn labels "(AUC = 1.00)" at two decimals, which reads as a perfect 0.9983:
        # the label gives it at the report's four
        for line in ax.get_lines():
            if line.get_label().startswith(f"{name} (AUC"):
                line.set_label(f"{name} (AUC = {data['roc_auc']:.4f})")
    return drawn


def digit_grid(images: np.ndarray, images_per_row: int = 10) -> np.ndarray:
    """The chapter's plot_digits layout as one big image: rows of digits, padded with blanks."""
    n, h, w = images.shape
    per_row = max(1, min(n, images_per_row))
    n_rows = (n - 1) // per_row + 1 if n else 1
    padded = np.zeros((n_rows * per_row, h, w), dtype=images.dtype)
    padded[:n] = images
    return padded.reshape(n_rows, per_row, h, w).transpose(0, 2, 1, 3).reshape(n_rows * h,
                                                                                per_row * w)


def show_digits(ax, images: np.ndarray, images_per_row: int = 10) -> None:
    ax.imshow(digit_grid(images, images_per_row), cmap="binary", interpolation="nearest")
    ax.axis("off")


def single_image(image: np.ndarray) -> Figure:
    fig, ax = plt.subplots(figsize=(3, 3))
    ax.imshow(image, cmap="binary", interpolation="nearest")
    ax.axis("off")
    return fig


def roc_axes(ax) -> None:
    ax.plot([0, 1], [0, 1], "k--")
    ax.axis([0, 1, 0, 1])
    ax.set_xlabel("False Positive Rate (Fall-Out)", fontsize=16)
    ax.set_ylabel("True Positive Rate (Recall)", fontsize=16)
    ax.grid(True)


def mark_point(ax, x: float, y: float, horizontal: bool = True) -> None:
    """The chapter's red dotted guides to a point of a curve."""
    ax.plot([x, x], [0.0, y], "r:")
    if horizontal:
        ax.plot([0.0, x], [y, y], "r:")
    ax.plot([x], [y], "ro")


def figure_svg(fig: Figure) -> bytes:
    """A figure as reproducible SVG bytes (no date); closes it."""
    buffer = io.StringIO()
    with plt.rc_context(STYLE):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue().encode()


@dataclass(frozen=True)
class SavedFigure:
    id: str
    caption: str
    svg: str  # path relative to the output folder
    png: str
    size: str = "narrow"  # its printed width (PRINTED_WIDTHS), which it was drawn at


def _draw_and_save(spec: FigureSpec, results: list, out_dir: Path, png_dpi: int) -> None:
    fig = at_printed_size(spec.draw(*results), spec.size)
    try:
        for ext, options in (("svg", {"metadata": {"Date": None}}), ("png",
                             {"dpi": png_dpi, "metadata": {"Software": None}})):
            fig.savefig(out_dir / f"{spec.id}.{ext}", format=ext, **options)
    finally:
        plt.close(fig)


def save_figures(run: RunResult, sections: list[Section], captions: dict[str, str],
                 out_dir: Path, png_dpi: int = 150) -> list[SavedFigure]:
    """Draw every figure of `sections` from the run's results, in the report's order, and save
    each as SVG and PNG under out_dir; `captions` holds each figure's finished caption."""
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    with plt.rc_context(STYLE):
        for section in sections:
            for spec in section.figures:
                try:
                    _draw_and_save(spec, [run[name] for name in spec.experiments], out_dir,
                                   png_dpi)
                except Exception as exc:  # the section's drawing code: one line, where and what
                    raise ReportgenError(f"figure {spec.id} of section {section.id} failed"
                                         f" {failure_at(exc)}; fix its draw function") from None
                saved.append(SavedFigure(spec.id, captions[spec.id],
                                         f"{out_dir.name}/{spec.id}.svg",
                                         f"{out_dir.name}/{spec.id}.png", spec.size))
    return saved


def projection_chart(rows: list[dict], measured: dict | None) -> Figure:
    """Projected wall time against workers (log scales), with the measured build if any."""
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    workers = [row["workers"] for row in rows]
    ax.plot(workers, [row["wall_seconds"] / 60 for row in rows], "o-", label="projected")
    if measured:
        ax.plot([measured["workers"]], [measured["wall_seconds"] / 60], "s", color="C3",
                markersize=9, label="this build, measured")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    minutes = FuncFormatter(lambda value, _: f"{value:g}")  # 20, 30, 40; not 2x10^1
    ax.yaxis.set_minor_locator(LogLocator(subs=(2, 5)))  # 1, 2, 5, 10, 20, 50 minutes
    ax.yaxis.set_major_formatter(minutes)
    ax.yaxis.set_minor_formatter(minutes)
    ax.set_xticks(workers, [str(n) for n in workers])
    ax.set_xlabel("workers")
    ax.set_ylabel("wall time (min)")
    ax.grid(True, which="both", alpha=0.4)
    ax.legend(fontsize=9)
    return fig


def timeline_chart(tasks: list[dict]) -> Figure:
    """The build's computed tasks on its workers over time: one row per worker process, one
    bar per task (coloured by section, the longest labelled); the gaps are idle time."""
    workers = sorted({task["worker"] for task in tasks})
    sections = sorted({task["task"].split(".")[0] for task in tasks})
    colors = {section: f"C{i % 10}" for i, section in enumerate(sections)}
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(workers) + 0.8), layout="constrained")
    end = max(task["start"] + task["seconds"] for task in tasks) / 60
    for task in tasks:
        row = workers.index(task["worker"])
        start, width = task["start"] / 60, task["seconds"] / 60
        section = task["task"].split(".")[0]
        ax.barh(row, width, left=start, height=0.7, color=colors[section], edgecolor="white",
                linewidth=0.5)
        if width > 0.12 * end:
            ax.text(start + width / 2, row, task["task"], ha="center", va="center", fontsize=7,
                    color="white", clip_on=True)
    ax.set_yticks(range(len(workers)), [f"worker {i + 1}" for i in range(len(workers))],
                  fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("minutes since the run began")
    ax.set_xlim(0, end * 1.01)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[s]) for s in sections]
    ax.legend(handles, sections, fontsize=8, ncols=min(4, len(sections)),
              loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(workers) < 3 else -0.2))
    return fig


SPREAD_COLUMNS = 2  # so that the figure of 20 metrics and its caption fit one page


def spread_chart(rows: list[dict]) -> Figure:
    """Each metric's repeats on its own axis (metrics differ in scale): a dot per repeat, the
    chapter's value (repeat 0) as a red diamond, the mean's 95 % interval as a bar; in
    columns, row by row in the order given."""
    columns = min(SPREAD_COLUMNS, len(rows))
    lines = -(-len(rows) // columns)
    fig, axes = plt.subplots(lines, columns, figsize=(7, 0.2 + 0.7 * lines),
                             layout="constrained", squeeze=False)
    for ax in axes.flat[len(rows):]:
        ax.set_axis_off()
    for ax, row in zip(axes.flat, rows, strict=False):  # spare axes are off
        values = row["values"]
        ax.hlines(0, row["ci_low"], row["ci_high"], color="C0", linewidth=5, alpha=0.35)
        ax.plot([row["mean"]], [0], "|", color="C0", markersize=14)
        ax.plot(values[1:], [0] * (len(values) - 1), "o", color="k", markersize=4, alpha=0.7)
        ax.plot([values[0]], [0], "D", color="C3", markersize=6)
        ax.set_yticks([])
        ax.set_title(row["metric"], fontsize=8, loc="left", pad=2)
        ax.tick_params(axis="x", labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.ticklabel_format(axis="x", useOffset=False)
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        span = max(row["ci_high"], *values) - min(row["ci_low"], *values)
        pad = span * 0.08 or abs(row["mean"]) * 1e-3 or 1e-3
        ax.set_xlim(min(row["ci_low"], *values) - pad, max(row["ci_high"], *values) + pad)
    return fig


def release_grid(rows: list[str], columns: list[str], cells: list[list[str]],
                 colours: dict[str, str], texts: list[list[str]] | None = None,
                 column_title: str = "") -> Figure:
    """A grid a reader takes in at a glance: one row per item (a printed value, a metric, a
    threshold, a task), one column per release (or step between releases), each cell coloured
    by its state (`colours`: state -> colour, shown as the legend) and optionally labelled."""
    height = 0.9 + 0.24 * len(rows)
    width = min(7.2, 2.6 + 0.95 * len(columns))
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    for y, row in enumerate(cells):
        for x, state in enumerate(row):
            ax.add_patch(plt.Rectangle((x, y), 1, 1, facecolor=colours.get(state, "white"),
                                       edgecolor="white", linewidth=1.5))
            if texts and texts[y][x]:
                ax.text(x + 0.5, y + 0.5, texts[y][x], ha="center", va="center", fontsize=6.5)
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([x + 0.5 for x in range(len(columns))], columns, fontsize=7)
    ax.xaxis.tick_top()
    ax.set_yticks([y + 0.5 for y in range(len(rows))], rows, fontsize=7)
    ax.tick_params(length=0)
    if column_title:
        ax.set_xlabel(column_title, fontsize=8)
    for side in ax.spines.values():
        side.set_visible(False)
    used = {state for row in cells for state in row}
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for state, colour in colours.items()
               if state in used]
    ax.legend(handles, [state for state in colours if state in used], fontsize=7,
              loc="upper center", bbox_to_anchor=(0.5, -0.02), ncols=min(4, len(handles)),
              frameon=False)
    return fig
