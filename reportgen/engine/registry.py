"""Experiments are named units: a function from the chapter's inputs (and results it depends on)
to a plain result dataclass. They are the tasks the runner schedules: an experiment that
cross-validates depends on one task per fold (`engine.cv.cross_validation_tasks`).

The engine keeps no registry of its own and imports no section: whoever composes a run (the
command, through `reportgen.chapter`) hands it the experiments, and the functions below take
them as a mapping of name to `Experiment`, in dependency order (`in_dependency_order`), never in
the order they were written.

What the cache key follows of an experiment's code (`Experiment.code_digest`): its functions,
and every function, class and constant they use that is not a library's: reportgen's own, the
package of the experiment's own module, and any module whose file lies outside the installed
libraries (a section in the user's project and the helpers it imports). Libraries are covered by
their versions in the key. Any other object the code reads at module level (an estimator, an
array, made by module-level code) enters by a digest of its pickled state; one without stable
state (a random generator, an object pickle refuses) is refused in one line.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import hashlib
import inspect
import pickle
import random
import site
import sys
import sysconfig
import threading
import traceback
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from reportgen.errors import ReportgenError

T = TypeVar("T")


# What an experiment's code reads, per function: (its source, {followed name: stable text})
CodeState = tuple[tuple[str, dict[str, str]], ...]


@dataclass(frozen=True)
class Experiment:
    name: str  # "binary.sgd": section, then unit
    run: Callable
    result_type: type
    depends_on: tuple[str, ...]
    cost: float  # a first guess at its seconds on the full data / 10, until it has been timed
    code: tuple[Callable, ...] = ()  # the functions its result depends on; () means (run,)
    settings: str = ""  # what else decides the result (a fold task: which fold of which split)
    reshuffles: bool = False  # a fold task: its split is drawn anew in every repeat
    repeat: int = 0  # which repeat of the chapter's run it computes (engine.repeats)
    # Runs on the fitted model of its one dependency, in that experiment's task, right after
    # it: `run(inputs, model)`. The model never leaves the process (results are plain data),
    # so what only another section asks of a model (the test set's predictions) costs nothing
    # when that section does not run, and no refit when it does.
    on_model: bool = False
    # The most threads its fits can use with the same numbers (its independent pieces: the
    # classes of a one-versus-rest SGD, the trees of a forest; see engine.threads); 1 for
    # anything not proven. How many it gets is the scheduling policy's choice.
    threads: int = 1
    # What a reader is shown for it instead of its own function, (title, text) (a fold task:
    # the call it stands for); not in the cache key, which follows the code itself.
    shown_as: tuple[str, str] | tuple[()] = ()

    def code_digest(self, state: CodeState | None = None) -> str:
        """What the cache key knows of this experiment's code: its functions, its result type,
        every followed function, class and constant they use (directly or through them, so
        changing a shared helper or a seed reruns exactly the experiments that use it, in
        reportgen or in the user's own modules), its settings, and the code that makes the
        inputs. `state`: the `state_read()` taken earlier (as its task started), else now."""
        parts = [_source(self.result_type), self.settings]
        for own, found in self.state_read() if state is None else state:
            parts += [own] + [found[key] for key in sorted(found)]
        parts += [path.read_text(encoding="utf-8") for path in _SHARED_CODE]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def state_read(self) -> CodeState:
        """Per function of its code: its source without decorators, and what it uses that the
        key follows (functions, classes, constants, module-level objects, transitively), by
        name, each as stable text."""
        state = []
        for function in self.code or (self.run,):
            try:
                state.append((_without_decorators(function), _walk(function)[0]))
            except Unfingerprintable as exc:
                raise ReportgenError(f"experiment {self.name}: {exc}") from None
        return tuple(state)

    def reads(self, state: CodeState | None = None) -> dict[str, str]:
        """What its code digest is made of, by qualified name, as stable text: its own
        functions, its result type, its settings and everything they use that the key follows
        (`state`: its `state_read()`). What `diff` names when a digest changes."""
        state = self.state_read() if state is None else state
        named = {_qualified(self.result_type): _source(self.result_type)}
        if self.settings:
            named["settings"] = self.settings
        for function, (own, found) in zip(self.code or (self.run,), state, strict=True):
            named[_qualified(function)] = own
            named.update(found)
        return named

    def state_changed(self, before: CodeState) -> list[str]:
        """The names whose state differs from `before` (its `state_read()` as it started):
        what running it changed of what its code reads (a module-level model it fitted)."""
        was = {name: text for _, found in before for name, text in found.items()}
        now = {name: text for _, found in self.state_read() for name, text in found.items()}
        return sorted(name for name in was.keys() | now.keys() if was.get(name) != now.get(name))

    def draws_seeds(self) -> bool:
        """Whether its result changes with the repeat: a fold task's split is reshuffled; other
        code changes when it (or a helper it uses) asks `engine.repeats.reseeded` for a seed."""
        from reportgen.engine.repeats import reseeded

        return self.reshuffles or any(reseeded in _functions_used_by(function)
                                      for function in self.code or (self.run,))


def _qualified(code_object: Callable | type) -> str:
    return f"{code_object.__module__}.{getattr(code_object, '__qualname__', code_object)}"


def _without_decorators(function: Callable) -> str:
    """A function's source from `def` on: its @experiment line holds a scheduling hint (cost)
    that must not invalidate cached results."""
    lines = _source(function).splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("def ")), 0)
    return "\n".join(lines[start:])


# inspect.getsource parses the module. CI once failed with "SystemError: AST constructor
# recursion depth mismatch" in a Dask worker running two tasks on its threads; CPython reports
# that error as spurious in threaded programs (python/cpython#106905), and it was not reproduced
# here, so which cause applies is not measured. One thread of a process parses at a time.
_PARSING = threading.Lock()


@functools.cache
def _source(code_object: Callable | type) -> str:
    """inspect.getsource, once per function or class and process: for a class it parses the
    whole module, which made a run with nothing to compute twice as slow as it needs to be.
    (Constants are read anew each time; only source text is remembered.) Code without source
    (defined at a prompt) is known by its compiled form, which changes with what it does."""
    try:
        with _PARSING:
            return inspect.getsource(code_object)
    except (OSError, TypeError):
        code = getattr(code_object, "__code__", None)
        if code is None:
            return f"{code_object.__module__}.{code_object.__qualname__} (no source)"
        return repr((code.co_code, code.co_consts, code.co_names))


_CONSTANT_TYPES = (bool, int, float, complex, str, bytes, tuple, frozenset, type(None))
_SCALARS = (bool, int, float, complex, str, bytes, type(None))


def _is_plain(value: object) -> bool:
    """A constant whose repr is its value: scalars, and tuples and frozensets of them."""
    if isinstance(value, tuple | frozenset):
        return all(_is_plain(item) for item in value)
    return isinstance(value, _SCALARS)


class Unfingerprintable(Exception):
    """A value the code reads whose state the cache key cannot capture."""


# Module-level random generators are refused, not digested: their draws depend on which tasks
# ran before in the same process (so on the scheduler), and repeats cannot reseed them.
_GENERATORS = (np.random.Generator, np.random.RandomState, np.random.BitGenerator,
               random.Random)


def _declared(value: object, home: str, reached: list) -> str:
    """Stable text of a value the code reads (a constant, a tuple of dataclasses naming
    functions, a module-level estimator or array), for the cache key: functions and classes by
    their dotted names and what their closures hold (the followed ones are added to `reached`,
    so their code is followed too), never by their address in memory; any other object by a
    digest of its pickled state, so `MODEL = SGDClassifier(random_state=7)` edited to 42 reruns
    what reads it. Raises `Unfingerprintable` for what has no stable state (a random generator,
    an object pickle refuses)."""
    def each(items) -> list[str]:
        return [_declared(item, home, reached) for item in items]

    if isinstance(value, _SCALARS):
        return repr(value)
    if inspect.isfunction(value) or inspect.isclass(value):
        name = f"{getattr(value, '__module__', '')}.{value.__qualname__}"
        if not _is_followed(value, home):
            return name  # a library's: its version is in the key
        reached.append(value)
        cells = each(cell.cell_contents for cell in getattr(value, "__closure__", None) or ())
        return name + (f"[{', '.join(cells)}]" if cells else "")
    if inspect.ismodule(value):
        return f"module {value.__name__}"  # a library's (a followed one is read name by name)
    if isinstance(value, functools.partial):
        return f"partial({', '.join(each((value.func, value.args, value.keywords)))})"
    if isinstance(value, tuple | list | frozenset | set):
        texts = each(value)
        return f"[{', '.join(sorted(texts) if isinstance(value, frozenset | set) else texts)}]"
    if isinstance(value, dict):
        pairs = zip(each(value.keys()), each(value.values()), strict=True)
        return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(pairs)) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        texts = each(getattr(value, f.name) for f in dataclasses.fields(value))
        if _is_followed(type(value), home):  # its methods run too (`comparison.run(...)`)
            reached.append(type(value))
        names = [f.name for f in dataclasses.fields(value)]
        return (f"{type(value).__qualname__}("
                + ", ".join(f"{k}={v}" for k, v in zip(names, texts, strict=True)) + ")")
    if isinstance(value, contextvars.ContextVar):
        return f"ContextVar({value.name})"  # set by the engine per task (the repeat)
    if isinstance(value, _GENERATORS):
        raise Unfingerprintable(
            f"a random generator ({type(value).__qualname__}): its draws depend on which tasks"
            " ran before it in the same process, and repeats cannot reseed it; make it inside"
            " the function that draws from it, seeded with reseeded(seed)")
    return _pickled_state(value, home, reached)


def _pickled_state(value: object, home: str, reached: list) -> str:
    """Any other object (an estimator, an array, a user's instance) by a digest of its pickled
    state; its class's code is followed when it is not a library's."""
    kind = type(value)
    try:
        pickled = pickle.dumps(value, protocol=5)
    except Exception as exc:  # pickle raises TypeError, PicklingError, AttributeError, ...
        raise Unfingerprintable(
            f"a {kind.__qualname__} the cache key cannot capture (pickle: {exc}); make it"
            " inside the function that uses it, or from constants it reads") from None
    if _is_followed(kind, home):
        reached.append(kind)
    return (f"{kind.__module__}.{kind.__qualname__}"
            f" state sha256:{hashlib.sha256(pickled).hexdigest()}")


def _globals_read(function: Callable, home: str) -> Iterator[tuple[str, str, object]]:
    """(module, name, value) of each module-level name the function's code reads, nested code
    too; through a followed module it names (`helpers.forest()`), the module's names it uses."""
    codes = [function.__code__]
    while codes:
        code = codes.pop()
        codes += [const for const in code.co_consts if isinstance(const, types.CodeType)]
        for name in code.co_names:
            if name not in function.__globals__:
                continue
            value = function.__globals__[name]
            if inspect.ismodule(value) and _followed_module(value.__name__, home):
                yield from _attributes_read(value, code.co_names, home, set())
            else:
                yield function.__module__, name, value


def _attributes_read(module: types.ModuleType, names: tuple[str, ...], home: str,
                     seen: set) -> Iterator[tuple[str, str, object]]:
    """The names of a followed module the code reads (attribute names are among its
    co_names), through followed submodules too (`import pkg.helpers; pkg.helpers.k()`)."""
    seen.add(module)
    namespace = vars(module)
    for attribute in names:
        if attribute not in namespace:
            continue
        value = namespace[attribute]
        if not inspect.ismodule(value):
            yield module.__name__, attribute, value
        elif value not in seen and _followed_module(value.__name__, home):
            yield from _attributes_read(value, names, home, seen)


@functools.cache
def _library_roots() -> tuple[Path, ...]:
    """Where installed libraries and the standard library live: code there is covered by its
    version, not by its source."""
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    roots |= set(site.getsitepackages()) | {site.getusersitepackages()}
    return tuple(Path(root).resolve() for root in roots if root)


@functools.cache
def _followed_module(module_name: str, home: str) -> bool:
    """Whether the digest follows code of `module_name` for an experiment whose own module's
    top-level package is `home`: reportgen, `home`, or a file outside the libraries."""
    top = module_name.split(".")[0]
    if top in ("reportgen", home):
        return True
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if not path:
        return False  # built into the interpreter
    resolved = Path(path).resolve()
    return not any(resolved.is_relative_to(root) for root in _library_roots())


def failure_at(exc: BaseException, experiment: Experiment | None = None) -> str:
    """Where and what: "at /home/me/chapter/first.py:67: ZeroDivisionError: division by zero",
    the line being the deepest of the traceback in code that is not a library's (the user's,
    or reportgen's own sections): the line a user fixes, not one inside scikit-learn."""
    package = Path(__file__).resolve().parents[1]
    engine = Path(__file__).resolve().parent
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [frame for frame in frames if not frame.filename.startswith("<")
            and _outside_libraries(Path(frame.filename).resolve(), package)]
    # the engine only calls what the chapter gave it (a fold task fits the chapter's
    # estimator): a line of the chapter's code, where the traceback has one, is the one to fix
    chapters = [f for f in ours if not Path(f.filename).resolve().is_relative_to(engine)]
    deepest = (chapters or ours or [None])[-1]
    at = f"at {deepest.filename}:{deepest.lineno}: " if deepest else ""
    message = str(exc).strip().splitlines()
    text = message[0].rstrip(".") if message else ""
    given = _chapter_code(experiment) if experiment is not None and not chapters else []
    source = f" (in what {', '.join(given)} gave it)" if given else ""
    return f"{at}{type(exc).__name__}" + (f": {text}" if text else "") + source


def _chapter_code(experiment: Experiment) -> list[str]:
    """The chapter's functions among an experiment's code, by qualified name (a fold task's:
    its estimator and its training data), for a failure whose traceback shows none of them."""
    return [_qualified(code) for code in experiment.code or (experiment.run,)
            if not code.__module__.startswith("reportgen.engine")]


def _outside_libraries(file: Path, package: Path) -> bool:
    return file.is_relative_to(package) or not any(file.is_relative_to(root)
                                                   for root in _library_roots())


def _is_followed(value: object, home: str) -> bool:
    """Code the result depends on and no library version covers."""
    return (inspect.isfunction(value) or inspect.isclass(value)) and _followed_module(
        getattr(value, "__module__", None) or "", home)


def _walk(function: Callable) -> tuple[dict[str, str], set]:
    """The followed functions and classes `function` uses, transitively (by dotted name: their
    source; constants and declared data: their value), and the set of those objects."""
    home = (getattr(function, "__module__", None) or "").split(".")[0]
    found: dict[str, str] = {}
    pending, visited = [function], {function}

    def follow(code: Callable | type) -> None:
        if code in visited:
            return
        visited.add(code)
        found[f"{code.__module__}.{code.__qualname__}"] = _source(code)
        if inspect.isclass(code):
            pending.extend(f for f in vars(code).values() if inspect.isfunction(f))
            for base in code.__mro__[1:]:  # inherited methods are its code too
                if _is_followed(base, home):
                    follow(base)
        else:
            pending.append(code)
        wrapped = getattr(code, "__wrapped__", None)  # functools.wraps: the decorated code
        if wrapped is not None and _is_followed(inspect.unwrap(code), home):
            follow(inspect.unwrap(code))

    while pending:
        current = pending.pop()
        defaults = (*(current.__defaults__ or ()), *(current.__kwdefaults__ or {}).values())
        if defaults:  # `def f(scale=SCALE)`: SCALE is read once, at the def, not in f's code
            where = f"{current.__module__}.{current.__qualname__}.__defaults__"
            found[where] = _declared_at(where, defaults, home, reached := [])
            for code in reached:
                follow(code)
        for module, name, value in _globals_read(current, home):
            if _is_plain(value):
                found[f"{module}.{name}"] = f"{name} = {value!r}"
            elif inspect.isfunction(value) or inspect.isclass(value):
                if _is_followed(value, home):
                    follow(value)
            elif _wraps_followed(value, home):  # functools.cache, lru_cache: the function
                follow(inspect.unwrap(value))
            elif isinstance(value, threading.local):
                continue  # per-thread run state (the engine's thread settings), no input
            elif not inspect.ismodule(value):  # a library module: its version is in the key
                where = f"{module}.{name}"
                found[where] = f"{name} = {_declared_at(where, value, home, reached := [])}"
                for code in reached:
                    follow(code)
    return found, visited


def _wraps_followed(value: object, home: str) -> bool:
    """A callable object wrapping followed code (`functools.cache(f)`): its `__wrapped__`."""
    if getattr(value, "__wrapped__", None) is None:
        return False
    try:
        return _is_followed(inspect.unwrap(value), home)
    except ValueError:  # a cycle of __wrapped__
        return False


def _declared_at(where: str, value: object, home: str, reached: list) -> str:
    """`_declared`, its refusal naming the module-level name that holds the value."""
    try:
        return _declared(value, home, reached)
    except Unfingerprintable as exc:
        raise Unfingerprintable(f"{where} is {exc}") from None


def code_shown(experiments: Iterable[Experiment], shown: Callable[[str], bool]
               ) -> list[tuple[str, str]]:
    """The code a reader is shown for `experiments` (a name, its source): in the experiments'
    order, what each runs (a fold task: the call it stands for, `shown_as`; otherwise its own
    functions), then every followed function and class they use, in the order of their
    modules' text, then the constants they read. Only code of modules `shown` accepts (the
    chapter's, not the engine's plumbing), no dataclass (the results' types) and no nested
    function. The walk is the cache key's, so what is shown is what the key follows."""
    listing: dict[str, str] = {}
    roots: dict[Callable, None] = {}
    for experiment in experiments:
        if experiment.shown_as:
            listing.setdefault(*experiment.shown_as)
        for function in experiment.code or (experiment.run,):
            if inspect.isfunction(function):
                roots.setdefault(function)
    helpers: dict[Callable | type, None] = {}
    constants: dict[str, str] = {}
    for function in roots:
        found, used = _walk(function)
        helpers.update(dict.fromkeys(used))
        code_names = {f"{c.__module__}.{c.__qualname__}" for c in used}
        constants.update({name: text for name, text in found.items()
                          if name not in code_names and not name.endswith(".__defaults__")})
    classes = {(c.__module__, c.__qualname__) for c in helpers if inspect.isclass(c)}

    def visible(code: Callable | type) -> bool:
        return (shown(code.__module__) and not dataclasses.is_dataclass(code)
                and "<locals>" not in code.__qualname__
                and (code.__module__, code.__qualname__.rpartition(".")[0]) not in classes
                and not _source(code).endswith("(no source)"))

    def place(code: Callable | type) -> tuple[str, int]:
        try:
            return code.__module__, inspect.getsourcelines(code)[1]
        except (OSError, TypeError):
            return code.__module__, 0

    ordered = [c for c in roots if visible(c)]
    ordered += sorted((c for c in helpers if c not in roots and visible(c)), key=place)
    for code in ordered:
        listing[f"{code.__module__}.{code.__qualname__}"] = (
            _without_decorators(code) if inspect.isfunction(code) else _source(code))
    read = [_constant_line(name) for name in sorted(constants)
            if shown(name.rsplit(".", 1)[0])]
    if read:
        listing["the constants it reads"] = "\n".join(read)
    return list(listing.items())


def _constant_line(dotted: str, widest: int = 100) -> str:
    """`NAME = value` as a reader would write it; a value whose repr is long (a table of
    dataclasses) is named by its type, since its definition is in the module shown."""
    module, name = dotted.rsplit(".", 1)
    value = getattr(sys.modules.get(module), name, None)
    text = f"{name} = {value!r}"
    if len(text) <= widest or _is_plain(value):
        return text
    size = f", {len(value)} items" if isinstance(value, tuple | list | dict) else ""
    return f"{name} = ...  # a {type(value).__qualname__}{size}, defined in {module}"


def _functions_used_by(function: Callable) -> set:
    """`function` and every followed function and class it uses, transitively."""
    return _walk(function)[1]


_HERE = Path(__file__).parent
_SHARED_CODE = (_HERE / "profiles.py",)  # make_inputs: how every experiment's inputs are made


@dataclass(frozen=True)
class Fitted(typing.Generic[T]):
    """What an experiment returns to keep its fitted model for the experiments that run on it
    (`on_model`): its result (cached, plain data) and the model (used in the task, then
    dropped)."""

    result: T
    model: Any


def experiment_of(name: str, run: Callable, depends_on: tuple[str, ...] = (),
                  cost: float = 1.0, on_model: str | None = None,
                  threads: int = 1) -> Experiment:
    """An experiment from its function; the function's return annotation is its result type
    (`Fitted[R]`: R). With `on_model`, it runs on that experiment's fitted model (see
    `Experiment.on_model`) and is called as `run(inputs, model)`."""
    hints = typing.get_type_hints(run)
    if "return" not in hints:
        raise ValueError(f"experiment {name}: annotate what {run.__name__}() returns (its"
                         " result dataclass, e.g. `-> MyResult`): the cache reads it back by it")
    result_type = hints["return"]
    if not (dataclasses.is_dataclass(result_type) or typing.get_origin(result_type) is Fitted):
        raise ValueError(f"experiment {name}: {run.__name__}() must return a dataclass of"
                         f" numbers and arrays, not {result_type!r}")
    if typing.get_origin(result_type) is Fitted:
        (result_type,) = typing.get_args(result_type)
    if on_model is not None:
        if depends_on:
            raise ValueError(f"experiment {name} runs on the model of {on_model}: it depends"
                             " on nothing else")
        if threads != 1:
            raise ValueError(f"experiment {name} runs on the model of {on_model}, in its"
                             " task: it predicts, on one thread")
        return Experiment(name, run, result_type, (on_model,), cost, on_model=True)
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"experiment {name}: threads must be a whole number of at least 1,"
                         f" got {threads!r}")
    return Experiment(name, run, result_type, tuple(depends_on), cost, threads=threads)


def with_dependencies(names: list[str], experiments: Mapping[str, Experiment]) -> list[str]:
    """`names` and everything they depend on, transitively; an unknown name is an error."""
    wanted, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name not in experiments:
            raise ReportgenError(f"experiment {name} is not part of this chapter (a section's"
                                 " depends_on names it); add the section that defines it")
        if name not in wanted:
            wanted.add(name)
            pending += experiments[name].depends_on
    return sorted(wanted)


def in_dependency_order(names: list[str],
                        experiments: Mapping[str, Experiment]) -> list[Experiment]:
    """A topological order of `names` (each after what it depends on), ties by name so the
    order is the same in every process; a cycle is an error naming its members."""
    remaining = {name: set(experiments[name].depends_on) & set(names) for name in names}
    ordered: list[Experiment] = []
    while remaining:
        ready = sorted(name for name, needs in remaining.items() if not needs)
        if not ready:
            raise ReportgenError(f"circular dependencies among {sorted(remaining)}")
        for name in ready:
            ordered.append(experiments[name])
            del remaining[name]
        for needs in remaining.values():
            needs.difference_update(ready)
    return ordered
