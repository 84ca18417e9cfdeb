"""Fixed subsets of the real MNIST for the training-time benchmarks."""

import numpy as np
import pytest

ROUNDS = 3  # rounds per benchmark; the median is compared

SUBSETS = {"sgd_binary": 10_000, "sgd_multiclass": 2_000, "forest": 5_000, "svc": 5_000,
           "ovr_svc": 1_000, "knn_fit": 10_000, "knn_predict": 500,
           "folds": 10_000, "engine_run": 2_000}


@pytest.fixture(scope="session")
def mnist_train(mnist):
    """The chapter's X_train and y_train as float64, like fetch_openml's."""
    return mnist.X[:60_000].astype(np.float64), mnist.y[:60_000]


def pytest_benchmark_update_json(config, benchmarks, output_json):
    output_json["reportgen_subsets"] = SUBSETS
