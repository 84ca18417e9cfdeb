"""The shapes of the JSON files reportgen writes, and the one check of a file against one.

A shape is a tuple of types (isinstance; a bool is never a number), a dict (an object with
these keys, "?" marking optional ones), [shape] (a list of such items), Each(shape) (an object
whose every value has it) or Maybe(shape) (it, or null). `problem` says what in a value does not
have its shape, in words a one-line error can quote.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Each:
    shape: object


@dataclass(frozen=True)
class Maybe:
    shape: object


STR, INT, BOOL, NUMBER = (str,), (int,), (bool,), (int, float)
ANY = (object,)


def problem(value, shape) -> str | None:
    """What in `value` does not have `shape`, or None."""
    return _shape_problem(value, shape, "")


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _shape_problem(value, shape, where: str) -> str | None:
    """What in `value` does not have `shape` (`where`: its path, for the message), or None."""
    it = where or "the file"
    if isinstance(shape, Maybe):
        return None if value is None else _shape_problem(value, shape.shape, where)
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{it} is {_kind(value)}, not an object"
        for key, inner in shape.items():
            name = key.removesuffix("?")
            if name in value:
                problem = _shape_problem(value[name], inner, f"{where}.{name}".lstrip("."))
                if problem:
                    return problem
            elif not key.endswith("?"):
                return f"{it} has no {name!r}"
        return None
    if isinstance(shape, Each | list):
        items = value.items() if isinstance(value, dict) else enumerate(value) \
            if isinstance(value, list) else None
        wanted = dict if isinstance(shape, Each) else list
        if items is None or not isinstance(value, wanted):
            return f"{it} is {_kind(value)}, not {'an object' if wanted is dict else 'a list'}"
        inner = shape.shape if isinstance(shape, Each) else shape[0]
        for key, item in items:
            problem = _shape_problem(item, inner, f"{where}[{key!r}]")
            if problem:
                return problem
        return None
    if shape is ANY:
        return None
    if not isinstance(value, shape) or (isinstance(value, bool) and bool not in shape):
        wanted = " or ".join({str: "a string", int: "an integer", float: "a number",
                              bool: "a boolean", list: "a list"}[t] for t in shape)
        return f"{it} is {_kind(value)}, not {wanted}"
    return None
