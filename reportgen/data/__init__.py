"""Datasets: checked samples and labels (images or a table) from the cache, the network, the
user's files or scikit-learn's bundles."""

from reportgen.data.datasets import (
    DATASETS,
    Dataset,
    DatasetSpec,
    Features,
    get_spec,
    load_dataset,
    sklearn_dataset,
)
from reportgen.data.sources import DataFileSource, SklearnBundledSource

__all__ = ["DATASETS", "DataFileSource", "Dataset", "DatasetSpec", "Features",
           "SklearnBundledSource", "get_spec", "load_dataset", "sklearn_dataset"]
