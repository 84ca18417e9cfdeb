"""`reportgen init DIR`: a project with a chapter of its own that builds as generated.

The project is what `reportgen.chapter` looks for: a pyproject.toml whose [tool.reportgen] names
a section module, its partial beside it, a data module and a thresholds file with two claims.
It uses scikit-learn's bundled breast-cancer table, so `reportgen build --profile quick` and
`pytest` work offline straight away; the files say where to change what.
"""

from __future__ import annotations

import importlib.util
import json
import keyword
import re
import shutil
from pathlib import Path
from string import Template

from reportgen.archive import refuse_inside_archive
from reportgen.errors import ReportgenError
from reportgen.storage import atomic_write

_FILES = {
    "pyproject.toml": '''\
# reportgen finds this chapter through [tool.reportgen]: run `reportgen build --profile quick`
# in this folder (or below it). See docs/writing-a-section.md of reportgen.
[tool.reportgen]
title = $title_toml
sections = ["$package.first"]   # section modules, importable from this folder
thresholds = "thresholds.toml"  # the chapter's claims, checked by every build, `reportgen check`
                                # and `pytest` (one test per claim)
dataset = "breast-cancer"       # defined in $package/data.py: scikit-learn's bundled table

[tool.pytest.ini_options]
# `pytest` here checks thresholds.toml on the newest archived version (reports/), or on a
# fresh quick build when none is archived; --claims-build quick always builds afresh.
addopts = "-ra"
''',
    "$package/__init__.py": '''\
"""$title_doc: a reportgen chapter."""
''',
    "$package/data.py": '''\
"""The chapter's data: a module-level DatasetSpec is how a chapter brings its own.

scikit-learn's bundled breast-cancer table: 569 rows of 30 float features, two classes. Its
sizes and names come from the bundle; its rows are shuffled once (seed 0) and the first 80 %
train. To use your own file instead:

    from reportgen.data import DataFileSource, DatasetSpec
    DATA = DatasetSpec(name="my-data", title="...", n_samples=..., n_train=...,
                       n_features=..., target_name="label", class_names=("no", "yes"),
                       sources=(DataFileSource(Path(__file__).parent / "data.csv",
                                               target="label"),))

Pin it once it is right: `reportgen data digest` prints x_sha256=... and y_sha256=... to add.
"""

from reportgen.data import sklearn_dataset

DATA = sklearn_dataset("load_breast_cancer")
''',
    "$package/first.py": '''\
"""The chapter's first section: nearest neighbours on scaled features, cross-validated, and what
k changes.

Experiments return plain results (dataclasses of numbers and arrays); figures are drawn from
results; metrics are named values of results. Seeds go through `reseeded`, so `--repeats`
reaches them. reportgen's cache follows this module's code: change it and its experiments run
again, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from reportgen.engine.profiles import Inputs
from reportgen.engine.repeats import reseeded
from reportgen.figures import subplots
from reportgen.sections import FigureSpec, Metric, Section, field_of
from $package.data import DATA  # noqa: F401 (the chapter's dataset)

NEIGHBOURS = (1, 3, 5, 9, 15)
FOLDS = 5
SPLIT_SEED = 0


@dataclass
class NeighbourScores:
    neighbours: list[int]
    cv_accuracy: list[float]  # mean over the folds, per number of neighbours
    best_accuracy: float
    majority_share: float  # the accuracy of always guessing the commoner class


def accuracy_by_k(result: NeighbourScores):
    fig, ax = subplots(figsize=(6, 3))
    ax.plot(result.neighbours, result.cv_accuracy, marker="o", label="KNN")
    ax.axhline(result.majority_share, color="grey", linestyle="--",
               label="always the commoner class")
    ax.set_xlabel("neighbours (k)")
    ax.set_ylabel("cross-validated accuracy")
    ax.legend()
    ax.grid(True, alpha=0.4)
    fig.tight_layout()
    return fig


SECTION = Section(
    id="first",
    title="Nearest neighbours",
    order=10,
    template_dir=Path(__file__).parent / "templates",  # first.html.j2 lives there
    metrics=(
        Metric("first.knn.best_accuracy", "first.knn", field_of("best_accuracy"),
               "Best cross-validated accuracy over k", headline="Best KNN accuracy"),
        Metric("first.knn.cv_accuracy", "first.knn", field_of("cv_accuracy"),
               "Cross-validated accuracy for each k"),
        Metric("first.knn.majority_share", "first.knn", field_of("majority_share"),
               "Accuracy of always guessing the commoner class"),
    ),
    figures=(FigureSpec("accuracy_by_k", "Cross-validated accuracy ({folds} folds) for each"
                        " number of neighbours.", ("first.knn",), accuracy_by_k),),
    facts=lambda results, spec: {"folds": FOLDS, "neighbours": list(NEIGHBOURS),
                                 "dataset": spec.title},
    seeds=lambda: {"fold split random_state": SPLIT_SEED},
)


def knn(k: int):
    """Nearest neighbours measure distances: the features are scaled first."""
    return make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=k))


@SECTION.experiment("first.knn", cost=0.1)
def knn_by_k(data: Inputs) -> NeighbourScores:
    """Cross-validate KNN for each k on the training rows."""
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=reseeded(SPLIT_SEED))
    scores = [float(cross_val_score(knn(k), data.X_train, data.y_train, cv=folds).mean())
              for k in NEIGHBOURS]
    counts = [int((data.y_train == c).sum()) for c in set(data.y_train.tolist())]
    return NeighbourScores(neighbours=list(NEIGHBOURS), cv_accuracy=scores,
                           best_accuracy=max(scores),
                           majority_share=max(counts) / len(data.y_train))
''',
    "$package/templates/first.html.j2": '''\
{# The section's prose: plain data in (facts, m = metrics, figures), formatting by filters. #}
{% import "partials/_macros.html.j2" as ui %}
  <p>k-nearest neighbours on {{ facts.dataset }}, its features scaled, cross-validated with
  {{ facts.folds }} folds for k in {{ facts.neighbours|join(", ") }}: the best reaches
  <strong>{{ m['first.knn.best_accuracy']|num }}</strong>, where always guessing the commoner
  class reaches {{ m['first.knn.majority_share']|num }}.</p>
  {{ ui.figure(figures.accuracy_by_k) }}
''',
    "thresholds.toml": '''\
# The chapter's claims: each is checked by `reportgen build` (a failure fails the build), by
# `reportgen check` and by `pytest` in this folder. State the claim first, then the bound it
# implies; never tune a bound to pass. A scalar bound holds for every profile.
[[threshold]]
id = "knn-beats-the-majority-guess"
metric = "first.knn.best_accuracy"
op = ">"
bound_metric = "first.knn.majority_share"
claim = "Nearest neighbours beat always guessing the commoner class."
dataset = "breast-cancer"

[[threshold]]
id = "knn-is-accurate"
metric = "first.knn.best_accuracy"
op = ">"
bound = 0.9
claim = "On scaled features, nearest neighbours classify nine tumours in ten correctly."
dataset = "breast-cancer"
''',
    "README.md": '''\
# $title

A chapter of experiments run, checked and published by reportgen:

    reportgen build --profile quick    # run, check and archive a report under reports/
    reportgen build --preview out/     # look at a build without archiving it
    pytest                             # one test per claim of thresholds.toml
    reportgen diff 1 2                 # what changed between two versions, and why

Sections: `$package/` (one module per section, its partial in `$package/templates/`).
Data: `$package/data.py`. Claims: `thresholds.toml`. Configuration: `pyproject.toml`.
''',
}


def package_name(folder: Path) -> str:
    """A Python package name from the folder's name: "My chapter-2" -> "my_chapter_2"."""
    name = re.sub(r"\W+", "_", folder.resolve().name.lower()).strip("_")
    if not name or name[0].isdigit():
        name = f"chapter_{name}".rstrip("_")
    return name


def scaffold(folder: Path, title: str | None = None, package: str | None = None) -> list[Path]:
    """Write the project into `folder` (new or empty); returns the files written. A folder
    that holds anything is refused: nothing of the user's is overwritten."""
    folder = refuse_inside_archive(Path(folder), f"the project folder {folder}")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ReportgenError(f"{folder} is not an empty folder; give a new or empty one (init"
                             " never overwrites)")
    package = package or package_name(folder)
    if not package.isidentifier() or keyword.iskeyword(package):
        raise ReportgenError(f"--package {package!r} is not a name Python can import; give"
                             " --package a lowercase identifier")
    if importlib.util.find_spec(package) is not None:
        raise ReportgenError(f"a module {package} is already importable here (a library's?),"
                             " so the project's would be shadowed; give --package another name")
    title = title or folder.resolve().name.replace("-", " ").replace("_", " ").capitalize()
    title = " ".join(title.split())  # one line
    values = {"package": package, "title": title.replace('"', "'"),
              "title_toml": json.dumps(title, ensure_ascii=False),  # a TOML basic string
              "title_doc": title.replace("\\", "\\\\").replace('"', "'")}
    created = not folder.exists()
    written: list[Path] = []
    try:
        for relative, text in _FILES.items():
            path = folder / Template(relative).substitute(values)
            content = Template(text).safe_substitute(values)
            atomic_write(path, lambda tmp, c=content: tmp.write_text(c, encoding="utf-8"))
            written.append(path)
    except BaseException as exc:
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for path in written:
                path.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ReportgenError(f"cannot write the project into {folder}:"
                                 f" {exc.strerror or exc}; choose a folder you can write in"
                                 ) from None
        raise
    return written
