"""One module per section of the chapter; importing them registers their experiments in order."""

from reportgen.engine.experiments import (  # noqa: F401
    dataset,
    binary,
    multiclass,
    error_analysis,
    multilabel,
    multioutput,
)
