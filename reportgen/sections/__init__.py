"""The built-in chapter: the MNIST classification chapter of Hands-On Machine Learning.

Each module defines one section (see `api`); `reportgen.chapter` imports every module of this
package and orders the sections it finds by `Section.order`, so adding a section is adding its
module (and its partial and thresholds). Modules that define no section (`api`, `prose`, the
chapter's shared estimators) are libraries of the others. Importing a module registers nothing.
"""

from __future__ import annotations

from reportgen.sections.api import FigureSpec, Metric, Section, field_of, mean_of

__all__ = ["FigureSpec", "Metric", "Section", "field_of", "mean_of"]
