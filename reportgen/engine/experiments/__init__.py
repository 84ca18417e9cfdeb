"""One module per section of the chapter; importing them registers their experiments in order."""

from reportgen.engine.experiments import (  # noqa: F401
    binary,
    dataset,
    error_analysis,
    multiclass,
    multilabel,
    multioutput,
)
