"""reportgen: run the experiments of a machine-learning chapter, check them, publish a report."""

__version__ = "0.1.0"
