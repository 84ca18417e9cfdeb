"""The composition root: a chapter's sections come from the project, the built-in chapter,
installed plugins and --section; every mistake in them is one line."""

import ast
import functools
import linecache
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reportgen.chapter import (
    ChapterError,
    Project,
    built_in,
    find_project,
    load_chapter,
)
from reportgen.engine import registry
from reportgen.engine.registry import Experiment
from reportgen.errors import ReportgenError

PACKAGE = Path(__file__).resolve().parents[1] / "reportgen"

SECTION_MODULE = '''
from dataclasses import dataclass
from pathlib import Path
from reportgen.engine.profiles import Inputs
from reportgen.sections import Metric, Section, field_of
{imports}

@dataclass
class Count:
    value: int

SECTION = Section(id="{id}", title="{id}", order={order},
                  template_dir=Path(__file__).parent,
                  metrics=(Metric("{id}.count.value", "{id}.count", field_of("value"), "v"),))

@SECTION.experiment("{id}.count")
def count(data: Inputs) -> Count:
    return Count({body})
'''


def write_module(folder: Path, name: str, section_id: str | None = None, order: int = 50,
                 imports: str = "", body: str = "len(data.y_train)") -> Path:
    path = folder / f"{name}.py"
    path.write_text(SECTION_MODULE.format(id=section_id or name, order=order, imports=imports,
                                          body=body))
    (folder / f"{section_id or name}.html.j2").write_text("<p>{{ m['%s.count.value'] }}</p>"
                                                         % (section_id or name))
    return path


def write_project(folder: Path, table: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(f"[project]\nname = 'x'\n\n[tool.reportgen]\n{textwrap.dedent(table)}")
    (folder / "thresholds.toml").write_text("")
    return path


@pytest.fixture
def fresh_modules():
    """Module names the test imports are forgotten afterwards (each test writes its own), and
    no bytecode is cached: a test that edits a module within the second it was first imported,
    keeping its size, would otherwise import the first version's stale .pyc again."""
    before, path, no_bytecode = set(sys.modules), list(sys.path), sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    yield
    sys.dont_write_bytecode = no_bytecode
    for name in set(sys.modules) - before:
        del sys.modules[name]
    sys.path[:] = path


def test_without_a_project_the_chapter_is_the_built_in_one(tmp_path):
    project = find_project(tmp_path)
    assert project == Project()
    chapter = load_chapter(project, plugins=False)
    assert chapter.title == "Classification" and chapter.dataset == "mnist"
    assert {s.id for s in chapter.sections} >= {"binary", "multiclass", "test"}
    assert all(module.startswith("reportgen.sections.") for module in chapter.sources.values())


def test_the_nearest_project_with_a_reportgen_table_is_found(tmp_path):
    outer = write_project(tmp_path / "outer", 'sections = ["a"]\nthresholds = "thresholds.toml"')
    inner = tmp_path / "outer" / "inner" / "deeper"
    inner.mkdir(parents=True)
    (tmp_path / "outer" / "inner" / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    project = find_project(inner)
    assert project.path == outer.resolve()
    assert project.sections == ("a",) and not project.builtin
    assert project.thresholds_path == outer.parent.resolve() / "thresholds.toml"


@pytest.mark.parametrize("table, message", [
    ('section = ["a"]', "unknown key(s) section; allowed:"),
    ('sections = "a"', "`sections` must be a list of strings"),
    ('sections = ["a"]', "names its own sections but no thresholds file"),
    ('builtin = "yes"', "`builtin` must be true or false"),
    ('title = ""', "`title` must be a non-empty string"),
])
def test_a_wrong_project_table_is_one_line(tmp_path, table, message):
    path = write_project(tmp_path, table)
    with pytest.raises(ChapterError) as error:
        find_project(tmp_path)
    assert str(error.value).startswith(f"{path.resolve()} [tool.reportgen]: ")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_project_chapter_has_its_sections_in_their_order(tmp_path, fresh_modules):
    write_project(tmp_path, 'sections = ["late", "early"]\nthresholds = "thresholds.toml"\n'
                            'title = "Mine"\ndataset = "digits"')
    write_module(tmp_path, "late", order=20)
    write_module(tmp_path, "early", order=10)
    chapter = load_chapter(find_project(tmp_path), plugins=False)
    assert [s.id for s in chapter.sections] == ["early", "late"]
    assert chapter.title == "Mine" and chapter.dataset == "digits"
    assert set(chapter.metrics()) == {"early.count.value", "late.count.value"}
    assert chapter.sources == {"early": "early", "late": "late"}


def test_builtin_true_adds_the_built_in_sections(tmp_path, fresh_modules):
    write_project(tmp_path, 'sections = ["extra"]\nbuiltin = true')
    write_module(tmp_path, "extra", order=99)
    chapter = load_chapter(find_project(tmp_path), plugins=False)
    ids = [s.id for s in chapter.sections]
    assert ids[-1] == "extra" and "binary" in ids
    assert chapter.thresholds == built_in().thresholds  # no spec of its own: the built-in one


def test_a_section_module_from_the_command_line(tmp_path, monkeypatch, fresh_modules):
    monkeypatch.chdir(tmp_path)
    write_module(tmp_path, "cli_only", order=99)
    chapter = load_chapter(Project(), sections=["cli_only"], plugins=False)
    assert chapter.sections[-1].id == "cli_only"
    assert chapter.sources["cli_only"] == "cli_only"


@pytest.mark.parametrize("source, message", [
    (None, "cannot import section module nowhere (named by --section): no module nowhere"),
    ("x = 1\n", "module nowhere (named by --section) defines no Section"),
    ("import json\n\n\ndef f():\n    return 1 / 0\n\n\nf()\n",
     "section module nowhere (named by --section) failed to import at {path}:5:"
     " ZeroDivisionError: division by zero"),  # the line of the user's code that failed
    ("import not_installed_anywhere\n",
     "section module nowhere (named by --section) failed to import at {path}:1:"
     " ModuleNotFoundError: No module named 'not_installed_anywhere'"),
])
def test_a_module_that_fails_is_one_line(tmp_path, monkeypatch, fresh_modules, source, message):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "nowhere.py"
    if source is not None:
        path.write_text(source)
    with pytest.raises(ChapterError) as error:
        load_chapter(Project(), sections=["nowhere"], plugins=False)
    assert str(error.value).startswith(message.format(path=path))
    assert "\n" not in str(error.value)


def test_two_sections_with_one_id_are_refused(tmp_path, monkeypatch, fresh_modules):
    monkeypatch.chdir(tmp_path)
    write_module(tmp_path, "one", section_id="same")
    write_module(tmp_path, "two", section_id="same")
    with pytest.raises(ChapterError, match="section id 'same' is defined by one and by two"):
        load_chapter(Project(), sections=["one", "two"], plugins=False)


def test_a_dependency_no_section_defines_is_refused(tmp_path, monkeypatch, fresh_modules):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "needs.py").write_text(textwrap.dedent('''
        from dataclasses import dataclass
        from pathlib import Path
        from reportgen.sections import Section

        @dataclass
        class R:
            x: int

        SECTION = Section(id="needs", title="t", order=1, template_dir=Path(__file__).parent)

        @SECTION.experiment("needs.it", depends_on=("missing.one",))
        def it(data, missing) -> R:
            return R(1)
    '''))
    with pytest.raises(Exception, match="experiment missing.one is not part of this chapter"):
        load_chapter(Project(builtin=False), sections=["needs"], plugins=False)


def test_installed_plugins_join_unless_disabled(tmp_path):
    """A package that declares the entry point group `reportgen.sections` is found the way
    pip installs it (a dist-info folder on the path); the environment variable turns it off."""
    site = tmp_path / "site"
    site.mkdir()
    write_module(site, "plugged", order=98)
    info = site / "plugged_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plugged-pkg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[reportgen.sections]\nplugged = plugged\n")
    script = ("from reportgen.chapter import load_chapter, Project\n"
              "c = load_chapter(Project())\n"
              "print(c.sections[-1].id, c.sources.get('plugged'))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("REPORTGEN_DISABLE_PLUGIN_AUTOLOAD", None)
    found = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True)
    assert found.stdout.split() == ["plugged", "plugged"]
    env["REPORTGEN_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    off = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True)
    assert off.stdout.split() == ["test", "None"]


def _digest_of(folder: Path, module: str, experiment: str) -> Experiment:
    for name in [m for m in sys.modules if m.split(".")[0] in (module, "helper_of_" + module)]:
        del sys.modules[name]
    registry._source.cache_clear()
    registry._followed_module.cache_clear()
    linecache.clearcache()
    chapter = load_chapter(Project(builtin=False, pythonpath=(folder,)), sections=[module],
                           plugins=False)
    return chapter.experiments()[experiment]


def test_the_cache_key_follows_a_helper_outside_the_package(tmp_path, fresh_modules):
    """Change a constant in a helper module of the user's, and the experiment's code digest
    changes (its cached result is not served); a seed asked for there makes it repeat."""
    helper = tmp_path / "helper_of_ext.py"
    helper.write_text("from reportgen.engine.repeats import reseeded\nSIZE = 3\n\n\n"
                      "def seed():\n    return reseeded(42)\n\n\ndef size():\n    return SIZE\n")
    write_module(tmp_path, "ext", imports="import helper_of_ext",
                 body="helper_of_ext.size() + helper_of_ext.seed() * 0")
    first = _digest_of(tmp_path, "ext", "ext.count")
    assert first.draws_seeds()
    again = _digest_of(tmp_path, "ext", "ext.count")
    assert again.code_digest() == first.code_digest()
    # another length too: Python would take the old .pyc for a same-size edit in one second
    helper.write_text(helper.read_text().replace("SIZE = 3", "SIZE = 40"))
    changed = _digest_of(tmp_path, "ext", "ext.count")
    assert changed.code_digest() != first.code_digest()


def test_library_code_is_covered_by_its_version_not_followed():
    import numpy

    assert not registry._is_followed(numpy.mean, "ext")
    assert not registry._is_followed(functools.reduce, "ext")
    assert registry._is_followed(registry.experiment_of, "ext")


MODULES = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
           for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """The reportgen modules a file imports, at its top or inside a function (`from
    reportgen.sections import binary` imports the module binary); annotations only
    (TYPE_CHECKING) do not count."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for inner in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "reportgen"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names} & MODULES
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("reportgen")}
    return found


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_engine_imports_no_section_and_no_composition():
    for path in (PACKAGE / "engine").glob("*.py"):
        imported = _imports(path)
        assert not {m for m in imported if m.startswith(("reportgen.sections",
                                                         "reportgen.chapter",
                                                         "reportgen.build",
                                                         "reportgen.cli"))}, path.name


def test_no_import_circle_in_the_package():
    """Not even through an import inside a function: each module can be read knowing only
    what is below it."""
    graph = {_module_name(path): _imports(path) for path in PACKAGE.rglob("*.py")}
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        if state.get(module) == "done" or module not in graph:
            return
        assert state.get(module) != "open", " -> ".join([*trail, module])
        state[module] = "open"
        for imported in graph[module]:
            visit(imported, [*trail, module])
        state[module] = "done"

    for module in graph:
        visit(module, [])


def test_the_cache_key_follows_default_values(tmp_path, fresh_modules):
    """`def g(scale=SCALE)` reads SCALE once, where g is defined, not in g's code: a change of
    it must still change the digest of the experiments that call g."""
    helper = tmp_path / "helper_of_dflt.py"
    helper.write_text("SCALE = 22\n\n\ndef g(scale=SCALE):\n    return float(scale)\n")
    write_module(tmp_path, "dflt", imports="import helper_of_dflt",
                 body="int(helper_of_dflt.g())")
    first = _digest_of(tmp_path, "dflt", "dflt.count")
    helper.write_text(helper.read_text().replace("SCALE = 22", "SCALE = 230"))
    changed = _digest_of(tmp_path, "dflt", "dflt.count")
    assert changed.code_digest() != first.code_digest()


@pytest.mark.parametrize("source, message", [
    ("{header}SECTION = Section(id='bad id', title='t', order=1, template_dir=HERE)\n",
     "at {path}:{first}: ValueError: section id 'bad id' must be a Python identifier"),
    ("{header}SECTION = Section(id='s', title='t', order=1)\n",
     "section s (module probe_mod) has no template_dir: give it the folder that holds its"
     " partial s.html.j2"),
    ("{header}SECTION = Section(id='s', title='t', order=1, template_dir=HERE)\n\n"
     "@SECTION.experiment('../../escape')\ndef f(data) -> R:\n    return R(1)\n",
     "at {path}:{third}: ValueError: experiment of section s: '../../escape' must be dotted Python"
     " identifiers"),
    ("{header}SECTION = Section(id='s', title='t', order=1, template_dir=HERE)\n\n"
     "@SECTION.experiment('s.f')\ndef f(data):\n    return R(1)\n",
     "ValueError: experiment s.f: annotate what f() returns"),
    ("{header}SECTION = Section(id='s', title='t', order=1, template_dir=HERE,\n"
     "    metrics=(Metric('s.m', 'nowhere.exp', field_of('x'), 'd'),))\n",
     "section s's metric s.m reads experiment nowhere.exp, which no section of the chapter"
     " defines"),
    ("{header}SECTION = Section(id='s', title='t', order=1, template_dir=HERE,\n"
     "    figures=(FigureSpec('../x', 'c', (), None),))\n",
     "ValueError: figure id '../x' of section s must be a Python identifier"),
    ("x = (\n", "at {path}:1: SyntaxError: '(' was never closed"),
])
def test_a_section_defined_wrong_is_one_line_pointing_at_its_code(tmp_path, monkeypatch,
                                                                  fresh_modules, source,
                                                                  message):
    monkeypatch.chdir(tmp_path)
    header = ("from dataclasses import dataclass\nfrom pathlib import Path\n"
              "from reportgen.sections import FigureSpec, Metric, Section, field_of\n"
              "HERE = Path(__file__).parent\n@dataclass\nclass R:\n    x: int\n")
    header_lines = header.count("\n")
    path = tmp_path / "probe_mod.py"
    path.write_text(source.format(header=header))
    expected = message.format(path=path, first=header_lines + 1, third=header_lines + 3)
    with pytest.raises(ChapterError) as error:
        load_chapter(Project(builtin=False), sections=["probe_mod"], plugins=False)
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_a_pyproject_whose_tool_is_not_a_table_is_one_line(tmp_path):
    (tmp_path / "pyproject.toml").write_text("tool = 3\n")
    with pytest.raises(ChapterError, match=r"`tool` must be a table"):
        find_project(tmp_path)


def test_a_broken_plugin_says_how_to_build_without_it(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken_plugin.py").write_text("raise ImportError('half installed')\n")
    info = site / "broken_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[reportgen.sections]\nbroken = broken_plugin:SECTION\n")
    script = ("from reportgen.chapter import load_chapter, Project\n"
              "try:\n    load_chapter(Project())\nexcept Exception as exc:\n    print(exc)")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("REPORTGEN_DISABLE_PLUGIN_AUTOLOAD", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, check=True)
    assert "section module broken_plugin (named by the entry point broken of broken-plugin;" \
           " to build without it, set REPORTGEN_DISABLE_PLUGIN_AUTOLOAD=1 or plugins = false" \
           " in [tool.reportgen])" in done.stdout
    assert "ImportError: half installed" in done.stdout


def test_an_experiment_that_returns_the_wrong_thing_is_named(digits, tmp_path, fresh_modules,
                                                             monkeypatch):
    from reportgen.engine.cache import ResultCache
    from reportgen.engine.profiles import resolve_profile
    from reportgen.errors import ReportgenError
    from tests.chapter import run_builtin

    monkeypatch.chdir(tmp_path)
    write_module(tmp_path, "wrong", body="0) if False else 42  # (")
    chapter = load_chapter(Project(builtin=False), sections=["wrong"], plugins=False)
    with pytest.raises(ReportgenError, match="experiment wrong.count returned int, not the Count"
                                             " its annotation says"):
        run_builtin(digits, resolve_profile("quick", digits), sections=list(chapter.sections),
                    cache=ResultCache(tmp_path / "c"), jobs=1)


def _edited_digests(tmp_path: Path, name: str, helper_text: str, edit: tuple[str, str]
                    ) -> tuple[str, str]:
    """The digest of `name`.count, whose body calls helper_of_<name>.value(), before and after
    `edit` of the helper's source."""
    helper = tmp_path / f"helper_of_{name}.py"
    helper.write_text(helper_text)
    write_module(tmp_path, name, imports=f"import helper_of_{name}",
                 body=f"int(helper_of_{name}.value())")
    first = _digest_of(tmp_path, name, f"{name}.count").code_digest()
    helper.write_text(helper_text.replace(*edit))
    return first, _digest_of(tmp_path, name, f"{name}.count").code_digest()


def test_a_module_level_estimator_is_in_the_cache_key(tmp_path, fresh_modules):
    """`MODEL = SGDClassifier(random_state=42)` edited to 7: the object, made by module-level
    code, is in the key by its state (it was dropped, and the old result was served)."""
    first, changed = _edited_digests(
        tmp_path, "est", "from sklearn.linear_model import SGDClassifier\n"
        "MODEL = SGDClassifier(random_state=42)\n\n\n"
        "def value():\n    return MODEL.random_state\n", ("random_state=42", "random_state=7"))
    assert first != changed


def test_a_module_level_array_and_an_estimator_default_are_in_the_cache_key(
        tmp_path, fresh_modules):
    first, changed = _edited_digests(
        tmp_path, "arr", "import numpy as np\nWEIGHTS = np.arange(3)\n\n\n"
        "def value():\n    return WEIGHTS.sum()\n", ("arange(3)", "arange(4)"))
    assert first != changed
    first, changed = _edited_digests(
        tmp_path, "dmodel", "from sklearn.tree import DecisionTreeClassifier\n\n\n"
        "def value(model=DecisionTreeClassifier(max_depth=2)):\n    return model.max_depth\n",
        ("max_depth=2", "max_depth=3"))
    assert first != changed


def test_a_module_level_random_generator_is_refused_in_one_line(tmp_path, fresh_modules):
    """Its draws would depend on which tasks ran before in the process, and repeats could not
    reseed it: no digest can make that honest."""
    (tmp_path / "helper_of_rng.py").write_text(
        "import numpy as np\nRNG = np.random.default_rng(0)\n\n\n"
        "def value():\n    return RNG.integers(10)\n")
    write_module(tmp_path, "rng", imports="import helper_of_rng", body="int(helper_of_rng.value())")
    with pytest.raises(ReportgenError, match=r"experiment rng\.count: helper_of_rng\.RNG is a"
                       r" random generator .*reseeded\(seed\)") as refused:
        _digest_of(tmp_path, "rng", "rng.count").code_digest()
    assert "\n" not in str(refused.value)


def test_reseeded_at_module_level_is_refused_at_import(tmp_path, fresh_modules):
    """Evaluated once, at import, it would give every repeat the chapter's seed."""
    (tmp_path / "helper_of_seed.py").write_text(
        "from reportgen.engine.repeats import reseeded\nSEED = reseeded(42)\n\n\n"
        "def value():\n    return SEED\n")
    write_module(tmp_path, "seed", imports="import helper_of_seed",
                 body="int(helper_of_seed.value())")
    with pytest.raises(ChapterError, match=r"reseeded\(42\) is called at module level"
                       r" \(.*helper_of_seed\.py:2\)"):
        _digest_of(tmp_path, "seed", "seed.count")
