"""A chapter section is one unit: its experiments, its metrics, its figures, its
partial and the facts its prose uses all live in the section's own module.

Everything the report lists per section (the contents, the include order, the metric table, the
figures, the seeds table, each partial's facts) is derived from the chapter's sections, so
adding a section means writing its module and its partial, and nothing else.

    SECTION = Section("errors", "Error analysis", order=40, facts=_facts, ...)

    @SECTION.experiment("errors.analysis", depends_on=("multiclass.sgd_scaled",))
    def analysis(data: Inputs, scaled: ScaledSgdResult) -> ErrorAnalysisResult: ...

A section is found as a module-level `Section` of a module the chapter names (see
`reportgen.chapter`): defining it registers nothing anywhere, so importing a module has no
effect beyond its own names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from reportgen.engine.cv import CrossValidation, cross_validation_tasks
from reportgen.engine.registry import Experiment, experiment_of
from reportgen.errors import ReportgenError


@dataclass(frozen=True)
class Metric:
    """A stable dotted name (the `metrics.json` contract), the result field it reads, what it
    means, and what the chapter printed for it on full MNIST (None where it prints nothing)."""

    name: str
    experiment: str
    read: Callable[[Any], Any]  # result -> JSON value
    description: str  # may name the section's facts: "{positive}-detector"
    published: Any = None
    # Where ours differs from `published`: only what holds by construction (a matrix made of
    # another metric's predictions). Which releases give the book's value is measured by the
    # release matrix and said by `release_findings.explanation`, never written here.
    why_different: str = ""
    headline: str | None = None  # a label: the summary, the index and `list` lead with it
    # The value's 95 % interval from its test sample, read from the result as a plain dict
    # ({"low", "high", "method", ...}: reportgen.statistics); metrics.json's "sample_intervals"
    interval: Callable[[Any], dict] | None = None
    # The metric holding the per-fold scores this one is (or summarises) on a k-fold
    # cross-validation: with repeats, its claims get the corrected repeated k-fold interval
    fold_scores: str | None = None

    def value(self, result: Any) -> Any:
        """The metric's value in `result` as plain JSON data: a numpy number becomes a Python
        one, an array (or tuple) a nested list, so every reader (metrics.json, the comparison
        with an earlier version, the report) sees one kind; anything else that is not a number,
        text or a list of them is refused in one line, before it is written or compared."""
        return _plain_value(self.read(result), f"metric {self.name} (of {self.experiment})")


def _plain_value(value: Any, what: str) -> Any:
    if isinstance(value, np.ndarray | tuple | list):
        return [_plain_value(item, what) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    raise ReportgenError(f"{what} reads a {type(value).__name__}: a metric's value must be a"
                         " number, text, or a list (or array) of them; convert it in its read")


_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+\Z")


def _check_name(name: str, what: str) -> None:
    """A dotted name ("binary.sgd.fit"): it becomes a file name in the cache and a key of
    metrics.json, so nothing else (no "/", no "..") gets in."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{what}: {name!r} must be dotted Python identifiers, like"
                         " 'section.unit'")


def field_of(name: str) -> Callable[[Any], Any]:
    """Read one field of a result as the metric's value."""
    return lambda result: getattr(result, name)


def mean_of(name: str) -> Callable[[Any], Any]:
    """The mean of a per-fold list field, as a float."""
    return lambda result: float(np.mean(getattr(result, name)))


@dataclass(frozen=True)
class FigureSpec:
    """A figure drawn from results (never by fitting): `draw(*results) -> Figure`."""

    id: str  # its file name under figures/ and its name in the partial: figures.<id>
    caption: str  # may name the section's facts: "{pair_words}, by what ..."
    experiments: tuple[str, ...]  # whose results `draw` takes, in argument order
    draw: Callable[..., Any]
    # its printed width (figures.PRINTED_WIDTHS): it is drawn at that size, its text at one
    # size, so no figure's text is shrunk or blown up on the page
    size: str = "narrow"

    def __post_init__(self) -> None:
        from reportgen.figures import PRINTED_WIDTHS

        if self.size not in PRINTED_WIDTHS:
            raise ValueError(f"figure {self.id}: size {self.size!r} is not one of"
                             f" {', '.join(PRINTED_WIDTHS)}")


Facts = Callable[[Mapping[str, Any], Any], dict]  # (results by experiment name, DatasetSpec)


def _no_facts(results: Mapping[str, Any], spec: Any) -> dict:
    return {}


@dataclass(frozen=True)
class SpeedSetting:
    """A parameter set for speed where the chapter's call leaves it at its default, proven not
    to change a number (tests, on every supported scikit-learn release): the report shows it
    as what it is, next to the chapter's call, which is otherwise unchanged."""

    estimator: type  # e.g. sklearn.svm.SVC
    parameter: str  # e.g. "cache_size"
    value: Any
    why: str  # what it decides, and why no number depends on it

    @property
    def default(self) -> Any:
        return self.estimator().get_params()[self.parameter]

    def applied(self, estimator):
        """`estimator` with the setting, unless the chapter's call already sets it."""
        if estimator.get_params()[self.parameter] == self.default:
            estimator.set_params(**{self.parameter: self.value})
        return estimator

    def as_dict(self) -> dict:
        return {"estimator": self.estimator.__name__, "parameter": self.parameter,
                "value": self.value, "default": self.default, "why": self.why}


@dataclass
class Section:
    """One section of the chapter and everything it knows.

    `facts(results, dataset_spec)` returns the plain values its prose and labels use (the
    positive digit, the class pair, estimator descriptions read from the estimators, numbers
    from results that are not metrics); the title, the captions and the metric descriptions may
    name them as `{key}`. `seeds()` returns the seeds the section's code uses, for the
    provenance table; `speed_settings` the settings its fits add to the chapter's calls. The
    partial is `templates/sections/<id>.html.j2` unless `template_dir` (for a section outside
    the package) says where `<id>.html.j2` is; that file is copied into every version, so the
    version renders again without the section's module.
    """

    id: str
    title: str
    order: int  # place in the report: the chapter's sections 10, 20, ...
    metrics: tuple[Metric, ...] = ()
    figures: tuple[FigureSpec, ...] = ()
    facts: Facts = _no_facts
    seeds: Callable[[], dict[str, int]] = dict
    template_dir: Path | None = None
    from_chapter: bool = True  # False: goes beyond the chapter (the test set); benchmarks that
    # compare with the chapter's own code run only the chapter's sections
    speed_settings: tuple[SpeedSetting, ...] = ()
    # The fewest training samples its experiments can be asked to use (`--train-size`): below
    # it they have no answer (a search that finds no threshold); measured by the section.
    minimum_train_size: int = 1
    tasks: dict[str, Experiment] = field(default_factory=dict)  # by @section.experiment

    def __post_init__(self) -> None:
        if not self.id.isidentifier():
            raise ValueError(f"section id {self.id!r} must be a Python identifier (it names"
                             " the section's metrics, partial and figures)")
        for metric in self.metrics:
            _check_name(metric.name, f"metric of section {self.id}")
            if not metric.name.startswith(f"{self.id}."):
                raise ValueError(f"metric {metric.name} of section {self.id} must start with"
                                 f" '{self.id}.'")
        for figure in self.figures:
            if not figure.id.isidentifier():
                raise ValueError(f"figure id {figure.id!r} of section {self.id} must be a Python"
                                 " identifier (it names the figure's file)")
        for kind, names in (("metric", [m.name for m in self.metrics]),
                            ("figure", [f.id for f in self.figures])):
            twice = sorted({name for name in names if names.count(name) > 1})
            if twice:
                raise ValueError(f"section {self.id} defines {kind} {', '.join(twice)} twice")

    @property
    def experiments(self) -> list[str]:
        """The names of its experiments and fold tasks, in the order they were defined."""
        return list(self.tasks)

    @property
    def partial(self) -> Path | None:
        """The partial's file, for a section outside the package (None: reportgen's own)."""
        return None if self.template_dir is None else Path(self.template_dir) / f"{self.id}.html.j2"

    def metric(self, name: str) -> Metric:
        """One of its metrics by name (another section reads a value through it)."""
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(f"section {self.id} has no metric {name}")

    def _add(self, task: Experiment) -> None:
        _check_name(task.name, f"experiment of section {self.id}")
        if task.name in self.tasks:
            raise ValueError(f"experiment {task.name} defined twice in section {self.id}")
        self.tasks[task.name] = task

    @property
    def template(self) -> str:
        """The partial's name for the Jinja loader: reportgen's own under sections/; a partial
        from outside the package travels with each version (its partials/ folder), and is
        loaded from there as version/<id>.html.j2."""
        if self.template_dir is None:
            return f"sections/{self.id}.html.j2"
        return f"version/{self.id}.html.j2"

    def experiment(self, name: str, depends_on: tuple[str, ...] = (), cost: float = 1.0,
                   on_model: str | None = None, threads: int = 1):
        """Make a function one of this section's experiments (see engine.registry); its return
        annotation is its result type. `on_model="x.fit"`: it runs on the model experiment
        x.fit keeps (x.fit returns `Fitted(result, model)`), as `run(inputs, model)`, in x.fit's
        task: only when this section runs. `threads`: the most threads its fits can use with
        the same numbers (see engine.threads); they fit through `engine.threads.fit`."""

        def add(run: Callable) -> Callable:
            self._add(experiment_of(name, run, depends_on, cost, on_model, threads))
            return run

        return add

    def cross_validation(self, name: str, estimator: Callable[[], Any],
                         training_data: Callable[[Any], tuple[np.ndarray, np.ndarray]],
                         folds: int | Callable[[], Any] = 3,
                         methods: tuple[str, ...] = ("predict",),
                         cost: float = 1.0, threads: int = 1) -> CrossValidation:
        """Register a cross-validation of this section as one task per fold (see engine.cv);
        the experiment that uses it depends on `cv.tasks` and joins them with `join_folds`.
        `threads`: the most threads the estimator's fit can use with the same numbers."""
        cv = CrossValidation(name, estimator, training_data, folds, methods)
        for task in cross_validation_tasks(cv, cost=cost, threads=threads):
            self._add(task)
        return cv
