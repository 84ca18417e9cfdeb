"""The built-in chapter: the MNIST classification chapter of Hands-On Machine Learning.

Each module defines one section (see `api`); `reportgen.chapter` imports the modules `BUILT_IN`
names and orders their sections by `Section.order`. Importing a module registers nothing.
"""

from __future__ import annotations

from reportgen.sections.api import FigureSpec, Metric, Section, field_of, mean_of

__all__ = ["BUILT_IN", "FigureSpec", "Metric", "Section", "field_of", "mean_of"]

BUILT_IN = ("dataset", "binary", "multiclass", "errors", "multilabel", "multioutput", "test_set")
