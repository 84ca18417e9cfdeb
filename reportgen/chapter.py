"""The composition root: which sections, datasets and thresholds make the chapter of a run.

Every command that runs or checks experiments starts here, and nothing below it (the engine, the
report) knows where a section came from. The sections are gathered, like pytest's plugins, from:

1. the project: the nearest `pyproject.toml` at or above the working folder with a
   `[tool.reportgen]` table names its section modules, thresholds file, title and dataset;
2. without a project (or with `builtin = true`), the built-in MNIST chapter (`reportgen.sections`);
3. installed packages, through the entry-point group `reportgen.sections` (a module per entry
   point), unless the project says `plugins = false` or REPORTGEN_DISABLE_PLUGIN_AUTOLOAD is set;
4. `--section MODULE` on the command line (importable from the working folder).

A module contributes every module-level `Section` and `DatasetSpec` it defines, found by type;
importing it registers nothing anywhere.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import tomllib
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from reportgen.errors import ReportgenError
from reportgen.report.model import BUILT_IN_SUBTITLE, BUILT_IN_TITLE

if TYPE_CHECKING:
    from reportgen.data import DatasetSpec
    from reportgen.engine.registry import Experiment
    from reportgen.sections.api import Metric, Section

ENTRY_POINTS = "reportgen.sections"
BUILT_IN = "the built-in chapter"
NO_PLUGINS = "REPORTGEN_DISABLE_PLUGIN_AUTOLOAD"
PROJECT_KEYS = {"sections", "builtin", "pythonpath", "thresholds", "title", "subtitle",
                "dataset", "plugins"}


class ChapterError(ReportgenError):
    """The project's configuration or one of its section modules is wrong."""


@dataclass(frozen=True)
class Project:
    """`[tool.reportgen]` of the project's pyproject.toml; without one, the built-in chapter."""

    path: Path | None = None  # the pyproject.toml (None: no project)
    sections: tuple[str, ...] = ()  # module names
    builtin: bool = True  # the built-in MNIST sections take part
    pythonpath: tuple[Path, ...] = ()  # folders the section modules are imported from
    thresholds: Path | None = None  # None: the built-in chapter's spec
    title: str = BUILT_IN_TITLE
    subtitle: str = BUILT_IN_SUBTITLE
    dataset: str = "mnist"
    plugins: bool = True

    @property
    def root(self) -> Path | None:
        return None if self.path is None else self.path.parent

    @property
    def thresholds_path(self) -> Path:
        from reportgen.thresholds import DEFAULT_SPEC

        return self.thresholds or DEFAULT_SPEC


def find_project(start: Path | None = None) -> Project:
    """The nearest `pyproject.toml` at or above `start` (the working folder) that has a
    `[tool.reportgen]` table, read and checked; a Project with the built-in defaults if none."""
    folder = Path(start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            config = _tool_table(path)
            if config is not None:
                return _project(path, config)
    return Project()


def _tool_table(path: Path) -> dict | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ChapterError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ChapterError(f"{path}: not valid TOML ({exc})") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ChapterError(f"{path}: `tool` must be a table ([tool.NAME] sections)")
    table = tool.get("reportgen")
    if table is not None and not isinstance(table, dict):
        raise ChapterError(f"{path}: [tool.reportgen] must be a table")
    return table


def _project(path: Path, config: dict) -> Project:
    def fail(message: str) -> ChapterError:
        return ChapterError(f"{path} [tool.reportgen]: {message}")

    unknown = sorted(set(config) - PROJECT_KEYS)
    if unknown:
        raise fail(f"unknown key(s) {', '.join(unknown)}; allowed:"
                   f" {', '.join(sorted(PROJECT_KEYS))}")

    def strings(key: str) -> tuple[str, ...]:
        value = config.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(f"`{key}` must be a list of strings, e.g. {key} = [\"mychapter.intro\"]")
        return tuple(value)

    def text(key: str, default: str) -> str:
        value = config.get(key, default)
        if not isinstance(value, str) or not value:
            raise fail(f"`{key}` must be a non-empty string")
        return value

    def flag(key: str, default: bool) -> bool:
        value = config.get(key, default)
        if not isinstance(value, bool):
            raise fail(f"`{key}` must be true or false")
        return value

    root = path.parent
    sections = strings("sections")
    builtin = flag("builtin", not sections)
    thresholds = config.get("thresholds")
    if thresholds is not None:
        thresholds = root / text("thresholds", "")
    elif not builtin:
        raise fail("names its own sections but no thresholds file; add thresholds ="
                   " \"thresholds.toml\" with the chapter's claims (`reportgen init` writes one)")
    pythonpath = tuple(root / folder for folder in (strings("pythonpath") or (".",)))
    for folder in pythonpath:
        if not folder.is_dir():
            raise fail(f"pythonpath folder {folder} does not exist")
    return Project(path=path, sections=sections, builtin=builtin, pythonpath=pythonpath,
                   thresholds=thresholds, title=text("title", BUILT_IN_TITLE),
                   subtitle=(text("subtitle", "") if "subtitle" in config
                             else BUILT_IN_SUBTITLE if builtin else ""),
                   dataset=text("dataset", "mnist"), plugins=flag("plugins", True))


@dataclass(frozen=True)
class Chapter:
    """The sections of a run in the report's order, with the datasets and thresholds they come
    with: what the command hands to the engine and the report."""

    sections: tuple[Section, ...]
    project: Project = field(default_factory=Project)
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)  # beyond the built-in ones
    sources: dict[str, str] = field(default_factory=dict)  # section id -> where it came from

    @property
    def title(self) -> str:
        return self.project.title

    @property
    def thresholds(self) -> Path:
        return self.project.thresholds_path

    @property
    def dataset(self) -> str:
        return self.project.dataset

    def adding(self, *sections: Section) -> Chapter:
        """This chapter with more sections, checked like any (for tools and tests that add a
        section of their own for one run)."""
        return _checked(Chapter(_in_report_order((*self.sections, *sections)),
                                self.project, self.datasets,
                                {**self.sources, **{s.id: "added" for s in sections}}))

    def select(self, only: Sequence[str] | None = None) -> list[Section]:
        """The sections `--only` names (all when None or empty), in the report's order."""
        if not only:
            return list(self.sections)
        known = {section.id for section in self.sections}
        unknown = [name for name in only if name not in known]
        if unknown:
            raise ReportgenError(f"unknown section(s) {', '.join(unknown)}; choose from:"
                                 f" {', '.join(sorted(known))}")
        return [section for section in self.sections if section.id in only]

    def minimum_train_size(self) -> int:
        """The fewest training samples every section's experiments can use (a run with
        `--only` runs other sections' experiments too, so all sections count)."""
        return max((section.minimum_train_size for section in self.sections), default=1)

    def experiments(self) -> dict[str, Experiment]:
        """Every task of every section, by name: what the engine may run."""
        return {name: task for section in self.sections for name, task in section.tasks.items()}

    def metrics(self) -> dict[str, Metric]:
        """Every metric of every section: the one index of the chapter's metric names."""
        return {metric.name: metric for section in self.sections for metric in section.metrics}

    def dataset_spec(self, name: str | None = None) -> DatasetSpec:
        """A dataset by name (default: the chapter's): the chapter's own, then reportgen's."""
        from reportgen.data.datasets import DATASETS

        name = self.dataset if name is None else name  # "" is a name given, not the default
        known = {**DATASETS, **self.datasets}
        if name not in known:
            raise ReportgenError(f"unknown dataset {name!r}; choose one of:"
                                 f" {', '.join(sorted(known))}")
        return known[name]

    def dataset_names(self) -> list[str]:
        from reportgen.data.datasets import DATASETS

        return sorted({*DATASETS, *self.datasets})


def _built_in_datasets() -> dict:
    from reportgen.data.datasets import DATASETS

    return DATASETS


def load_chapter(project: Project | None = None, sections: Sequence[str] = (),
                 plugins: bool | None = None) -> Chapter:
    """The chapter of a run: the project's (found from the working folder when not given), the
    built-in sections where it includes them, installed plugins and `sections` (module names
    from `--section`). Every mistake is one line: a module that cannot be imported, defines no
    section, or a section id or experiment name used twice."""
    project = project if project is not None else find_project()
    modules: list[tuple[str, str]] = []  # (module name, where it was named)
    if project.builtin:
        modules += [(name, BUILT_IN) for name in built_in_modules()]
    for folder in project.pythonpath:
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    modules += [(name, str(project.path)) for name in project.sections]
    use_plugins = project.plugins if plugins is None else plugins
    if use_plugins and not os.environ.get(NO_PLUGINS):
        modules += [(entry.module, f"the entry point {entry.name} of"
                     f" {entry.dist.name if entry.dist else 'an installed package'}; to build"
                     f" without it, set {NO_PLUGINS}=1 or plugins = false in [tool.reportgen]")
                    for entry in metadata.entry_points(group=ENTRY_POINTS)]
    if sections and "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    modules += [(name, "--section") for name in sections]
    return compose(_unique(modules), project)


def built_in_modules() -> list[str]:
    """Every module of the package `reportgen.sections` (those without a section are skipped)."""
    import reportgen.sections

    return [f"reportgen.sections.{info.name}"
            for info in pkgutil.iter_modules(reportgen.sections.__path__)]


def _unique(modules: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for name, where in modules:
        seen.setdefault(name, where)
    return list(seen.items())


def compose(modules: Sequence[tuple[str, str]], project: Project = Project()) -> Chapter:
    """A chapter of the sections and datasets defined in `modules` ((name, where it was named)
    pairs), checked: ids and experiment names unique, every dependency defined."""
    found: dict[str, Section] = {}
    sources: dict[str, str] = {}
    datasets: dict[str, DatasetSpec] = {}
    for name, where in modules:
        module = import_section_module(name, where)
        section_list, dataset_list = contents(module)
        if not section_list and not dataset_list and where == BUILT_IN:
            continue  # a library module of the built-in chapter
        if not section_list and not dataset_list:
            raise ChapterError(f"module {name} (named by {where}) defines no Section; a section"
                               " module defines one at its top level: SECTION = Section(...)")
        for section in section_list:
            if where != BUILT_IN and section.template_dir is None:
                raise ChapterError(f"section {section.id} (module {name}) has no template_dir:"
                                   f" give it the folder that holds its partial"
                                   f" {section.id}.html.j2")
            if section.id in found and found[section.id] is not section:
                raise ChapterError(f"section id {section.id!r} is defined by {sources[section.id]}"
                                   f" and by {name}; give one of them another id")
            found[section.id] = section
            sources[section.id] = name
        for spec in dataset_list:
            if spec.name in _built_in_datasets() and _built_in_datasets()[spec.name] is not spec:
                raise ChapterError(f"module {name} defines a dataset named {spec.name!r}, the"
                                   " name of a built-in dataset: give it a name of its own")
            datasets[spec.name] = spec
    if not found:
        raise ChapterError("the chapter has no sections: name section modules in"
                           " [tool.reportgen] sections, or pass --section MODULE")
    return _checked(Chapter(_in_report_order(found.values()), project, datasets, sources))


def _in_report_order(sections: Iterable[Section]) -> tuple[Section, ...]:
    return tuple(sorted(sections, key=lambda section: (section.order, section.id)))


def _checked(chapter: Chapter) -> Chapter:
    """`chapter`, once its ids and experiment names are unique and every dependency defined."""
    from reportgen.engine.registry import with_dependencies

    seen: set[str] = set()
    owner: dict[str, str] = {}
    for section in chapter.sections:
        if section.id in seen:
            raise ChapterError(f"section id {section.id!r} is used by two sections; give one"
                               " of them another id")
        seen.add(section.id)
        for task in section.tasks:
            if task in owner:
                raise ChapterError(f"experiment {task} is defined by sections {owner[task]} and"
                                   f" {section.id}; experiment names must be unique")
            owner[task] = section.id
    experiments = chapter.experiments()
    with_dependencies(list(owner), experiments)  # an unknown dependency: one line
    for section in chapter.sections:
        for what, named in ([(f"metric {m.name}", m.experiment) for m in section.metrics]
                            + [(f"figure {f.id}", e) for f in section.figures
                               for e in f.experiments]):
            if named not in experiments:
                raise ChapterError(f"section {section.id}'s {what} reads experiment {named},"
                                   " which no section of the chapter defines")
    return chapter


def contents(module: ModuleType) -> tuple[list[Section], list[DatasetSpec]]:
    """The module-level Sections and DatasetSpecs of a module, in definition order."""
    from reportgen.data import DatasetSpec
    from reportgen.sections.api import Section

    values = list(vars(module).values())
    unique = list({id(v): v for v in values}.values())
    return ([v for v in unique if isinstance(v, Section)],
            [v for v in unique if isinstance(v, DatasetSpec)])


def import_section_module(name: str, where: str) -> ModuleType:
    """Import a section module; its failure is one line naming the module, who named it, and
    the line of its own code that failed."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise ChapterError(f"cannot import section module {name} (named by {where}): no"
                               f" module {exc.name}; check the name and that its folder is on"
                               " [tool.reportgen] pythonpath (default: the project folder)"
                               ) from None
        raise ChapterError(_import_failure(name, where, exc)) from None
    except Exception as exc:  # the user's code: its error, and where, in one line
        raise ChapterError(_import_failure(name, where, exc)) from None
    except SystemExit as exc:  # sys.exit() at import would end reportgen without a word
        raise ChapterError(_import_failure(
            name, where, exc, f"it called sys.exit({exc.code!r}); a section module must not exit"
        )) from None


def _import_failure(name: str, where: str, exc: BaseException, what: str = "") -> str:
    """One line: the module, who named it, the line of the user's code that failed (not
    reportgen's, which may have raised the error about it), and the error."""
    package = str(Path(__file__).resolve().parent)
    frames = traceback.extract_tb(exc.__traceback__)
    theirs = [f for f in frames if "importlib" not in f.filename
              and not f.filename.startswith("<")  # code a dataclass generated
              and not str(Path(f.filename).resolve()).startswith(package)]
    if isinstance(exc, SyntaxError) and exc.filename:
        at = f" at {exc.filename}:{exc.lineno}"
        exc = SyntaxError(exc.msg)
    else:
        at = f" at {theirs[-1].filename}:{theirs[-1].lineno}" if theirs else ""
    return (f"section module {name} (named by {where}) failed to import{at}:"
            f" {what or f'{type(exc).__name__}: {exc}'}")


def built_in() -> Chapter:
    """The built-in MNIST chapter alone (no project, no plugins): for tests and tools."""
    return load_chapter(Project(), plugins=False)


def describe(chapter: Chapter) -> list[dict[str, Any]]:
    """One row per section: its id, title, module and experiments (`reportgen sections`)."""
    return [{"id": s.id, "title": s.title, "module": chapter.sources.get(s.id, ""),
             "experiments": len(s.tasks), "metrics": len(s.metrics)} for s in chapter.sections]
