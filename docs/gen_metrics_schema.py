"""Write docs/metrics-schema.md from the code: never edit that page by hand.

    python docs/gen_metrics_schema.py            # (re)write docs/metrics-schema.md
    python docs/gen_metrics_schema.py --check    # exit 1 if the committed page is stale
    python docs/gen_metrics_schema.py --out FILE # write elsewhere (the tests do)

What it reads, all from the code as it is:

- the metric names: every `Metric` of every section of the built-in chapter
  (`reportgen.chapter.built_in()`), with its experiment, description and published value;
- the top-level keys of `metrics.json` and the keys nested in them: the dataclasses of the
  version record (`reportgen.record.VersionRecord`, whose codec writes and reads every
  metrics.json), the keys `reportgen.build.build_report` adds to an archived version, and the
  `Profile` fields.

The one hand-written part is `KEY_MEANINGS` below: a sentence per top-level key. The script
refuses to run when the code has a key that has no sentence, or a sentence for a key the code no
longer writes, and it checks the keys against the newest archived chapter version under
reports/, so the page cannot drift from what reportgen writes.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import re
import sys
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "metrics-schema.md"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# One sentence per top-level key of metrics.json (the wording of the former README section).
KEY_MEANINGS = {
    "schema": "the layout's version number",
    "dataset": "the dataset the run used: its name, title, source, checksums and sizes",
    "profile": "the profile and the sizes it took (prefixes of the canonical train/test split)",
    "sections": "the ids of the sections built, in the report's order",
    "metrics": "every metric of those sections by name (the names below): the chapter's run,"
               " repeat 0",
    "timings": "wall time, workers, the scheduler, and for each task its seconds, peak memory,"
               " whether it came from the cache, the tasks it waited for and, when computed, when"
               " it started (seconds after the run began)",
    "warnings": "warnings the tasks raised (e.g. SGD's convergence warnings), per task; only"
                " tasks that raised any",
    "published": "the chapter's printed values next to ours; full MNIST runs only (an empty list"
                 " otherwise)",
    "book_releases": "when `published` is not empty: the scikit-learn releases the committed"
                     " release matrix measured to reproduce every printed value, which matrix"
                     " said so, and the command that builds the book's numbers",
    "repeats": "with `--repeats N` (N of 2 or more): how many repeats, how they are seeded, the"
               " deterministic experiments and metrics (not repeated), and every repeated"
               " metric's values and summary (see Repeats and diffs)",
    "sample_intervals": "when the test section ran: each test-set metric's 95 % interval from"
                        " the test sample (`low`, `high`, `method`, `confidence`) and, for the"
                        " paired differences of two models, `difference`, `p_value`, `test` and"
                        " `null` (see Statistics); the chapter's run's (repeat 0's)",
    "version": "the version's id (archived versions only: written by `reportgen build`)",
    "code": "each task's code digest (part of its cache key) and, by qualified name, the"
            " functions, classes and constants it reads (a one-line constant as written,"
            " anything longer by its sha256): what `reportgen diff` names when code changed",
    "thresholds": "each threshold of the spec with its status PASS, FAIL, WARN or MISSING, what"
                  " it checked, and with repeats in how many it holds (archived versions only)",
}


# -- reading the code ----------------------------------------------------------------------------
def _tree(relative: str) -> ast.Module:
    return ast.parse((ROOT / relative).read_text(encoding="utf-8"))


def _function(tree: ast.AST, name: str) -> ast.FunctionDef:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise SystemExit(f"gen_metrics_schema: no function {name} in the code any more; update"
                     " docs/gen_metrics_schema.py")


def _shape(node: ast.AST):
    """The keys of a dict literal, nested literals as nested shapes; a dict comprehension whose
    values are literals as {"NAME": shape}; anything else None (a value, not a layout)."""
    if isinstance(node, ast.Dict):
        return {key.value: _shape(value) for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and isinstance(key.value, str)}
    if isinstance(node, ast.DictComp):
        return {"NAME": _shape(node.value)}
    return None


def _assigned_dict(function: ast.FunctionDef, variable: str) -> ast.Dict:
    for node in ast.walk(function):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == variable for t in node.targets)):
            return node.value
    raise SystemExit(f"gen_metrics_schema: {function.name} no longer builds `{variable}` as a dict"
                     " literal; update docs/gen_metrics_schema.py")


def _subscript_keys(function: ast.FunctionDef, variable: str) -> list[str]:
    """Keys set later as `variable["key"] = ...`, in the order the code sets them."""
    keys = []
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                        and target.value.id == variable
                        and isinstance(target.slice, ast.Constant)):
                    keys.append(target.slice.value)
    return sorted(set(keys), key=keys.index)


def _returned_dict(function: ast.FunctionDef):
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
            return _shape(node.value)
    raise SystemExit(f"gen_metrics_schema: {function.name} no longer returns a dict literal;"
                     " update docs/gen_metrics_schema.py")


def _appended_dict(function: ast.FunctionDef, variable: str):
    for node in ast.walk(function):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append" and isinstance(node.func.value, ast.Name)
                and node.func.value.id == variable and node.args
                and isinstance(node.args[0], ast.Dict)):
            return _shape(node.args[0])
    raise SystemExit(f"gen_metrics_schema: {function.name} no longer appends dict literals to"
                     f" `{variable}`; update docs/gen_metrics_schema.py")


def _layout(kind) -> dict | None:
    """The keys a type of the record is written with: a dataclass's fields (nested), a
    `dict[str, X]` as {"NAME": X's}, a `list[X]` as {"[]": X's}; a plain value None."""
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return {f.name: _layout(hints[f.name]) for f in dataclasses.fields(kind)}
    arguments = [a for a in typing.get_args(kind) if a is not type(None)]
    origin = typing.get_origin(kind)
    if origin is dict and len(arguments) == 2:
        inner = _layout(arguments[1])
        return {"NAME": inner} if inner else None
    if origin is list and arguments:
        inner = _layout(arguments[0])
        return {"[]": inner} if inner else None
    if len(arguments) == 1:  # X | None
        return _layout(arguments[0])
    return None


def top_level() -> list[dict]:
    """Each top-level key of metrics.json: its name, when it is there, its nested keys, all
    read from the version record's dataclasses (`reportgen.record`), the one codec."""
    from reportgen.engine.profiles import Profile
    from reportgen.record import SCHEMA, DatasetRecord, ProfileRecord, VersionRecord

    schema = SCHEMA
    smallest = VersionRecord(DatasetRecord("d"), ProfileRecord("p"), {},
                             timings=dataclasses.replace(VersionRecord.__dataclass_fields__[
                                 "timings"].default_factory(), wall_seconds=1.0))
    always = list(smallest.to_json())
    annotate = _function(_tree("reportgen/build.py"), "annotate")
    archived = [keyword.arg for node in ast.walk(annotate) if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute) and node.func.attr == "with_"
                for keyword in node.keywords]
    sometimes = [f.name for f in dataclasses.fields(VersionRecord)
                 if f.name not in always and f.name not in archived]
    nested = _layout(VersionRecord)
    # what a version records of its profile: its name and its sizes (`Profile.sizes`)
    nested["profile"] = {"name": None, **dict.fromkeys(Profile("p", 0, 0).sizes())}

    rows = ([{"key": k, "when": "always"} for k in always]
            + [{"key": k, "when": "sometimes"} for k in sometimes]
            + [{"key": k, "when": "archived"} for k in archived])
    keys = [row["key"] for row in rows]
    undescribed = [k for k in keys if k not in KEY_MEANINGS]
    stale = [k for k in KEY_MEANINGS if k not in keys]
    if undescribed or stale:
        raise SystemExit("gen_metrics_schema: metrics.json's keys changed: "
                         + "; ".join(filter(None, [
                             undescribed and f"describe {', '.join(undescribed)} in KEY_MEANINGS",
                             stale and f"drop {', '.join(stale)} from KEY_MEANINGS"])))
    _check_against_archive(set(keys))
    for row in rows:
        row["fields"] = nested.get(row["key"])
        row["meaning"] = KEY_MEANINGS[row["key"]]
        if row["key"] == "schema":
            row["meaning"] += f" ({schema})"
    return rows


def _check_against_archive(keys: set[str]) -> None:
    """The newest archived chapter version (manifest kind not "matrix") holds no top-level key
    that the code above does not write: what the page says is what reportgen writes."""
    versions = sorted((path for path in (ROOT / "reports").glob("v[0-9]*")
                       if (path / "manifest.json").is_file() and (path / "metrics.json").is_file()),
                      key=lambda path: path.name)
    for path in reversed(versions):
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("kind", "chapter") == "matrix":
            continue
        document = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
        unknown = sorted(set(document) - keys)
        if unknown:
            raise SystemExit(f"gen_metrics_schema: {path.name}/metrics.json has key(s)"
                             f" {', '.join(unknown)} that the code does not write")
        return


# -- writing the page ----------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")
_SPECIAL = re.compile(r"([\\`*_\[\]|>])")


def _text(description: str) -> str:
    """A description as Markdown: Markdown's special characters escaped, each `{fact}`
    placeholder (a fact of the section, filled in by the report) as inline code, raw."""
    parts, last = [], 0
    for match in _PLACEHOLDER.finditer(description):
        parts.append(_escaped(description[last:match.start()]))
        parts.append(f"`{match.group(0)}`")
        last = match.end()
    parts.append(_escaped(description[last:]))
    return "".join(parts)


def _escaped(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")


def _value(value) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if len(text) > 60:
        text = text[:57].rstrip(", ") + " …"
    return f"`{text}`"


def _fields(shape, indent: str = "    ") -> list[str]:
    lines = []
    for key, inner in (shape or {}).items():
        label = {"NAME": "*each by name*", "[]": "*each entry*"}.get(key, f"`{key}`")
        if key in ("NAME", "[]") and inner:
            label += ":"
        lines.append(f"{indent}- {label}")
        lines += _fields(inner, indent + "    ")
    return lines


WHEN = {"always": "always", "sometimes": "when it applies", "archived": "archived versions"}


def page() -> str:
    from reportgen.chapter import built_in

    chapter = built_in()
    lines = [
        "<!-- Generated by docs/gen_metrics_schema.py from the code: do not edit by hand."
        " Run `python docs/gen_metrics_schema.py` after changing a metric. -->",
        "",
        "# metrics.json and the metric names",
        "",
        "Every run writes `metrics.json` (`reportgen run --out DIR`, and every archived"
        " version); it is built in one place, `reportgen.metrics.build_record`, and written and"
        " read by one codec, `reportgen.record.VersionRecord` (`to_json`, and `from_json`,"
        " which reads every earlier schema as today's record)."
        " Metric names are a stable contract: each is declared by its section's module, and"
        " the report's \"Metric names\" appendix lists them all with their meaning. This page"
        " is generated from the code by `docs/gen_metrics_schema.py`"
        " (`python docs/gen_metrics_schema.py --check` tells whether it is current; the"
        " `docs` tox environment and `tests/test_docs.py` run that check).",
        "",
        "## Top-level keys",
        "",
        "| key | present | what it holds |",
        "|---|---|---|",
    ]
    rows = top_level()
    for row in rows:
        lines.append(f"| `{row['key']}` | {WHEN[row['when']]} | {row['meaning']} |")
    lines += ["", "The keys inside them, as the code writes them:", ""]
    for row in rows:
        if row["fields"]:
            lines.append(f"- `{row['key']}`")
            lines += _fields(row["fields"])
    lines += [
        "",
        "## Metric names of the built-in chapter",
        "",
        "Per section, in the report's order: each metric's name (the key under `metrics`),"
        " the experiment whose result it reads, its description as the report shows it, and"
        " the value the chapter printed for it on full MNIST where it prints one (a long value"
        " is cut short with …; the section's module holds it whole). Ours reproduces a"
        " printed value when it rounds to it at the digits printed"
        " (`reportgen.metrics.agrees_with_published`; a list counts its longest element's"
        " digits). A"
        " description may name a fact of its section as `{key}` (the positive digit, the"
        " folds, ...): the report fills it in from the section's facts; it is shown here"
        " raw.",
        "",
    ]
    total = published = 0
    for section in chapter.sections:
        lines += [f"### `{section.id}`: {_text(section.title)}", "",
                  f"Module `{chapter.sources.get(section.id, '?')}`, order {section.order}"
                  + ("" if section.from_chapter else "; goes beyond the chapter") + ".", ""]
        if not section.metrics:
            lines += ["No metrics (figures and facts only).", ""]
            continue
        lines += ["| name | experiment | description | published |", "|---|---|---|---|"]
        for metric in section.metrics:
            total += 1
            published += metric.published is not None
            shown = "" if metric.published is None else _value(metric.published)
            headline = f" (headline: {_text(metric.headline)})" if metric.headline else ""
            lines.append(f"| `{metric.name}` | `{metric.experiment}` |"
                         f" {_text(metric.description)}{headline} | {shown} |")
        lines.append("")
    lines += [f"{total} metrics in {len(chapter.sections)} sections; the chapter prints a value"
              f" for {published} of them.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/metrics-schema.md differs from what the code gives")
    parser.add_argument("--out", type=Path, default=PAGE, help="where to write the page")
    args = parser.parse_args(argv)
    text = page()
    if args.check:
        committed = PAGE.read_text(encoding="utf-8") if PAGE.is_file() else ""
        if committed != text:
            print(f"{PAGE.relative_to(ROOT)} is stale: run python docs/gen_metrics_schema.py",
                  file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
