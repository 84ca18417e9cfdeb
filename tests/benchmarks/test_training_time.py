"""Training time of each of the chapter's models on fixed subsets (pytest-benchmark).

Each benchmark runs three rounds; saved runs accumulate in benchmarks/ (tox -e bench) and each
run is compared with the previous saved one, failing on a median more than twice as slow.
"""

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

from reportgen.sections.shared import sgd_classifier as sgd
from tests.benchmarks.conftest import ROUNDS, SUBSETS


def test_sgd_binary_fit(benchmark, mnist_train):
    X, y = mnist_train
    n = SUBSETS["sgd_binary"]
    model = benchmark.pedantic(lambda: sgd().fit(X[:n], y[:n] == 5), rounds=ROUNDS)
    assert model.score(X[:n], y[:n] == 5) > 0.9


def test_sgd_multiclass_fit(benchmark, mnist_train):
    X, y = mnist_train
    n = SUBSETS["sgd_multiclass"]
    model = benchmark.pedantic(lambda: sgd().fit(X[:n], y[:n]), rounds=ROUNDS)
    assert len(model.classes_) == 10


def test_random_forest_fit(benchmark, mnist_train):
    X, y = mnist_train
    n = SUBSETS["forest"]
    forest = RandomForestClassifier(n_estimators=100, random_state=42)
    model = benchmark.pedantic(lambda: forest.fit(X[:n], y[:n] == 5), rounds=ROUNDS)
    assert len(model.estimators_) == 100


def test_svc_fit(benchmark, mnist_train):
    X, y = mnist_train
    n = SUBSETS["svc"]
    model = benchmark.pedantic(lambda: SVC().fit(X[:n], y[:n]), rounds=ROUNDS)
    assert len(model.classes_) == 10


def test_ovr_svc_fit(benchmark, mnist_train):
    X, y = mnist_train
    n = SUBSETS["ovr_svc"]
    model = benchmark.pedantic(
        lambda: OneVsRestClassifier(SVC(gamma="auto", random_state=42)).fit(X[:n], y[:n]),
        rounds=ROUNDS,
    )
    assert len(model.estimators_) == 10


def test_knn_fit(benchmark, mnist_train):
    X, y = mnist_train
    n = SUBSETS["knn_fit"]
    labels = np.c_[y[:n] >= 7, y[:n] % 2 == 1]
    model = benchmark.pedantic(lambda: KNeighborsClassifier().fit(X[:n], labels), rounds=ROUNDS)
    assert model.n_samples_fit_ == n


def test_knn_predict(benchmark, mnist_train):
    X, y = mnist_train
    n, m = SUBSETS["knn_fit"], SUBSETS["knn_predict"]
    knn = KNeighborsClassifier().fit(X[:n], np.c_[y[:n] >= 7, y[:n] % 2 == 1])
    queries = X[n : n + m]
    predictions = benchmark.pedantic(lambda: knn.predict(queries), rounds=ROUNDS)
    assert predictions.shape == (m, 2)
