"""Datasets: verified images and labels from the cache, the network, or the user's files."""

from reportgen.data.datasets import DATASETS, Dataset, DatasetSpec, get_spec, load_dataset

__all__ = ["DATASETS", "Dataset", "DatasetSpec", "get_spec", "load_dataset"]
