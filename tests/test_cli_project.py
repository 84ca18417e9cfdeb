"""A chapter outside the package, through the real CLI, as its user would run it: the example
chapter in examples/shapes and a project `reportgen init` writes are found through their
pyproject.toml, built, cached by their own code, repeated, checked, diffed, listed, and
rendered again from the archive without their modules."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "shapes"

pytestmark = pytest.mark.slow
# What only the built-in chapter may say: a user's chapter whose report says any of it reads
# as MNIST (its frame retyped the built-in chapter's facts instead of reading its own)
MNIST_WORDS = (r"mnist|hand-written|handwritten|denois|one-versus-rest|5-detector|\bSVC\b"
               r"|\bten classes\b|\bdigits?\b(?! of)")


def reportgen(folder: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "reportgen", *args], cwd=folder,
                          capture_output=True, text=True, timeout=600)
    if ok:
        assert done.returncode == 0, done.stderr + done.stdout
    return done


def computed(done: subprocess.CompletedProcess) -> int:
    """How many tasks a build computed, from its summary line."""
    line = next(line for line in done.stdout.splitlines() if line.startswith("time:"))
    return int(line.split("(")[1].split(" computed")[0])


def built(project: Path) -> None:
    """A test that reads the project's archive runs alone too: build it once if need be."""
    if not list(project.glob("reports/v*")):
        reportgen(project, "build", "--profile", "quick", "--no-pdf", "-q")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the example chapter, as a user's own folder (never the repository's)."""
    folder = tmp_path_factory.mktemp("user") / "shapes"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("reports", "__pycache__"))
    return folder


def test_the_example_chapter_builds_checks_and_caches_by_its_own_code(project):
    first = reportgen(project, "build", "--profile", "quick", "--no-pdf", "-q", "--jobs", "2")
    assert "thresholds: 4 of 4 pass" in first.stdout
    version = next(project.glob("reports/v0001-*"))
    document = json.loads((version / "metrics.json").read_text())
    assert document["dataset"]["name"] == "shapes"
    assert document["sections"] == ["overview", "models"]
    assert (version / "partials" / "models.html.j2").is_file()  # travels with the version
    html = (version / "report.html").read_text()
    assert "<h1 class=\"title\">Shapes</h1>" in html and "Three classifiers" in html
    # the frame reads its facts from this chapter: nothing of the built-in MNIST one
    assert not re.findall(MNIST_WORDS, html, flags=re.I), re.findall(MNIST_WORDS, html, re.I)

    again = reportgen(project, "build", "--profile", "quick", "--no-pdf", "-q")
    assert computed(again) == 0
    helpers = project / "shapes_chapter" / "helpers.py"
    helpers.write_text(helpers.read_text().replace("NEIGHBOURS = 3", "NEIGHBOURS = 5"))
    changed = reportgen(project, "build", "--profile", "quick", "--no-pdf", "-q")
    assert computed(changed) == 4  # the three KNN folds and the KNN experiment: nothing else
    diff = reportgen(project, "diff", "v0002", "v0003", "--format", "json")
    assert {row["metric"] for row in json.loads(diff.stdout)["metrics"]} >= {
        "models.knn.cv_accuracy_mean"}


def test_its_seeds_repeat_through_its_helper(project):
    done = reportgen(project, "build", "--profile", "quick", "--no-pdf", "-q", "--repeats", "2")
    version = sorted(project.glob("reports/v*"))[-1]
    document = json.loads((version / "metrics.json").read_text())
    repeated = document["repeats"]["metrics"]["models.forest.cv_accuracy_mean"]
    assert len(repeated["values"]) == 2 and repeated["values"][0] != repeated["values"][1]
    assert document["repeats"]["deterministic"] == ["overview.counts"]
    assert "repeats:   2" in done.stdout


def test_its_versions_render_and_check_without_its_modules(project, tmp_path):
    hidden = tmp_path / "elsewhere"
    shutil.move(project / "shapes_chapter", hidden)
    try:
        rendered = reportgen(project, "render", "latest", "--out", str(tmp_path / "out"),
                             "--no-pdf")
        assert "wrote" in rendered.stdout
        html = (tmp_path / "out" / "report.html").read_text()
        assert "Three classifiers" in html and "The forest is seeded with 7" in html
        checked = reportgen(project, "check", "latest")
        assert "4 of 4 thresholds pass" in checked.stdout
        listed = reportgen(project, "list")
        assert "shapes" in listed.stdout
        shown = reportgen(project, "show", "latest", "--metric", "models.forest.test_accuracy")
        assert 0 < float(shown.stdout) <= 1
        build = reportgen(project, "build", "--profile", "quick", ok=False)
        assert build.returncode == 1 and "Traceback" not in build.stderr
        assert "cannot import section module shapes_chapter.overview" in build.stderr
    finally:
        shutil.move(hidden, project / "shapes_chapter")


def test_check_says_which_claims_name_a_section_the_version_did_not_build(project, tmp_path):
    """Without the chapter's modules, check knows only the version's metric names: a claim on
    a section it did not build (or a misspelt one) is said to be not checked, never skipped
    silently; one on a metric a built section lacks is MISSING."""
    spec = tmp_path / "spec.toml"
    spec.write_text((project / "thresholds.toml").read_text() + """
[[threshold]]
id = "misspelt"
metric = "modles.forest.cv_accuracy_mean"
op = ">"
bound = { quick = 0.5 }
claim = "c"
dataset = "shapes"
""")
    done = reportgen(project, "check", "latest", "--thresholds", str(spec))
    assert "NOT CHECKED misspelt:" in done.stdout and "ran no section modles" in done.stdout
    assert "4 of 4 thresholds pass" in done.stdout
    spec.write_text(spec.read_text().replace("modles.forest.cv_accuracy_mean",
                                             "models.forest.no_such_metric"))
    missing = reportgen(project, "check", "latest", "--thresholds", str(spec), ok=False)
    assert missing.returncode == 1
    assert "MISSING misspelt: models.forest.no_such_metric" in missing.stdout


@pytest.mark.parametrize("command", [["check", "latest"],
                                     ["render", "latest", "--out", "rendered", "--no-pdf"]])
def test_check_and_render_load_no_section_and_no_estimator(project, command):
    """They work from the version's files alone: no chapter module is imported, and so no
    scikit-learn (which only the sections use)."""
    built(project)
    script = ("import sys\nfrom reportgen.cli import main\n"
              f"sys.argv = ['reportgen', *{command!r}]\ntry:\n    main()\n"
              "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
              "print('sklearn' in sys.modules, 'shapes_chapter' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True,
                          text=True, timeout=120)
    assert done.stderr.strip().splitlines()[-1] == "False False", done.stderr


def test_an_init_project_builds_as_generated(tmp_path):
    made = reportgen(tmp_path, "init", "my-chapter")
    assert "wrote" in made.stdout
    folder = tmp_path / "my-chapter"
    listed = reportgen(folder, "sections")
    assert "first" in listed.stdout and "my_chapter.first" in listed.stdout
    built = reportgen(folder, "build", "--profile", "quick", "-q")
    assert "thresholds: 2 of 2 pass" in built.stdout
    assert "455 training rows" in built.stdout  # a table: rows, not images
    version = next(folder.glob("reports/v0001-*"))
    assert (version / "report.pdf").stat().st_size > 10_000
    claims = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=folder, capture_output=True, text=True, timeout=600)
    assert claims.returncode == 0 and "3 passed" in claims.stdout, claims.stdout  # 2 + gate
    again = reportgen(tmp_path, "init", "my-chapter", ok=False)
    assert again.returncode == 1 and "is not an empty folder" in again.stderr


def test_a_partial_that_does_not_parse_is_one_line_before_any_work(project, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("reports"))
    partial = broken / "shapes_chapter" / "templates" / "models.html.j2"
    partial.write_text(partial.read_text() + "{% if facts.x %}never closed\n")
    done = reportgen(broken, "build", "--profile", "quick", "--no-pdf", "-q", ok=False)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith(f"Error: {partial}:") and "fix the partial" in lines[0]
    assert not (broken / "reports").exists() or not list((broken / "reports").glob("v*"))


def test_an_archived_partial_cannot_run_code_when_rendered(project, tmp_path):
    """A version's partials come from its archive, which may come from anyone: rendering is
    sandboxed, even when the partial and its manifest digest were both rewritten."""
    import hashlib

    built(project)
    copy = tmp_path / "reports"
    shutil.copytree(project / "reports", copy)
    version = sorted(copy.glob("v*"))[-1]
    partial = version / "partials" / "models.html.j2"
    partial.write_text("{{ cycler.__init__.__globals__.os.popen('echo ran').read() }}")
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["files"]["partials/models.html.j2"] = hashlib.sha256(partial.read_bytes()).hexdigest()
    (version / "manifest.json").write_text(json.dumps(manifest))
    done = reportgen(project, "render", version.name, "--reports-dir", str(copy), "--out",
                     str(tmp_path / "out"), "--no-pdf", ok=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "tried what the report's templates may not" in done.stderr
    assert not (tmp_path / "out" / "report.html").exists()


@pytest.fixture(scope="module")
def init_project(tmp_path_factory):
    """A project as `reportgen init` writes it, for each test to copy and break."""
    folder = tmp_path_factory.mktemp("init")
    reportgen(folder, "init", "faulty")
    return folder / "faulty"


DOCSTRING = '    """Cross-validate KNN for each k on the training rows."""\n'
FAULTS = {  # where the fault goes: (file under the package, [(text after which (None: at the
    # end), inserted text)], the one line expected)
    "experiment": ("first.py", [(DOCSTRING, "    1 / 0\n")],
                   r"experiment first\.knn failed at {module}:\d+:"
                   r" ZeroDivisionError: division by zero; nothing was cached for it"),
    "experiment-exit": ("first.py", [(DOCSTRING, "    import sys\n    sys.exit(0)\n")],
                        r"experiment first\.knn called sys\.exit\(0\) at {module}:\d+: an"
                        r" experiment returns its result; nothing was cached for it"),
    "numpy-scalar": ("first.py", [(DOCSTRING, "    import numpy\n    return NeighbourScores("
                                   "neighbours=[1], cv_accuracy=[0.5],"
                                   " best_accuracy=numpy.int64(1), majority_share=0.5)\n")],
                     r"experiment first\.knn returned best_accuracy: numpy\.int64 in its"
                     r" NeighbourScores, which the cache cannot store: .*; nothing was cached"
                     r" for it"),
    "module-state": ("first.py", [(None, "\nMODEL = KNeighborsClassifier()\n"),
                                  (DOCSTRING, "    MODEL.fit(data.X_train, data.y_train)\n")],
                     r"experiment first\.knn changed faulty\.first\.MODEL while it ran .*;"
                     r" nothing was cached for it"),
    "partial": ("templates/first.html.j2", [(None, "{{ 1 / 0 }}\n")],
                r"{partial}:\d+: the partial raises: ZeroDivisionError: division by zero; fix"
                r" the partial \(nothing was archived\)"),
    "partial-name": ("templates/first.html.j2", [(None, "{{ facts.nope }}\n")],
                     r"{partial}:\d+: the partial names what its facts, metrics or figures do"
                     r" not give: UndefinedError: .*nope.*; fix the partial"
                     r" \(nothing was archived\)"),
    "partial-figure": ("templates/first.html.j2", [(None, "{{ ui.figure(figures.nofig) }}\n")],
                       r"{partial}:\d+: the partial names what its facts, metrics or figures do"
                       r" not give: UndefinedError: .*nofig.*; fix the partial"
                       r" \(nothing was archived\)"),
    "figure": ("first.py", [("    ax.grid(True, alpha=0.4)\n", "    ax.plot(undefined_name)\n")],
               r"figure accuracy_by_k of section first failed at {module}:\d+: NameError:"
               r" name 'undefined_name' is not defined; fix its draw function"),
    "import-exit": ("first.py", [(None, "import sys\nsys.exit(3)\n")],
                    r"section module faulty\.first \(named by .*pyproject\.toml\) failed to"
                    r" import at {module}:\d+: it called sys\.exit\(3\); a section module must"
                    r" not exit"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_in_the_users_code_is_one_line_naming_it_and_nothing_is_kept(
        init_project, tmp_path, fault):
    """Each was a long traceback (three, through loky's workers, for an experiment) or, for
    an exit at import, no word at all; the staging folder a partial's error named was gone."""
    import re

    folder = tmp_path / "faulty"
    shutil.copytree(init_project, folder)
    file, edits, expected = FAULTS[fault]
    path = folder / "faulty" / file
    text = path.read_text()
    for after, inserted in edits:
        assert after is None or after in text
        text = text.replace(after, after + inserted) if after else text + inserted
    path.write_text(text)
    done = reportgen(folder, "build", "--profile", "quick", "--no-pdf", "-q", "--jobs", "2",
                     ok=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    module = folder / "faulty" / "first.py"
    partial = folder / "faulty" / "templates" / "first.html.j2"
    assert re.fullmatch("Error: " + expected.format(module=re.escape(str(module)),
                                                    partial=re.escape(str(partial))), last), last
    assert not list(folder.glob("reports/v*")) and not list(folder.glob("reports/.staging*"))
    cache = Path(os.environ["REPORTGEN_CACHE"]) / "results"
    assert not list(cache.glob("first.knn/*")) or not fault.startswith(("experiment", "numpy",
                                                                        "module"))
