"""Fidelity: the engine's numbers equal the chapter's own plain calls, to the last bit.

The chapter's code runs here as written (fetch_openml's float64 pixels, the same estimators,
seeds and folds) on the first 1,500 MNIST training images and 300 test images, next to the
engine on the same prefix. REPORTGEN_FIDELITY_TRAIN_SIZE=60000 runs the same comparison on the
chapter's full data (about an hour on 2 cores).
"""

import os

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_val_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from reportgen.engine.cache import ResultCache
from reportgen.engine.profiles import Profile
from reportgen.metrics import metric_values, sample_intervals
from tests.chapter import run_builtin

N_TRAIN = int(os.environ.get("REPORTGEN_FIDELITY_TRAIN_SIZE", "1500"))
N_TEST = 300 if N_TRAIN < 60000 else 10000


@pytest.fixture(scope="module")
def engine(mnist, tmp_path_factory):
    profile = Profile("fidelity", N_TRAIN, N_TEST)
    run = run_builtin(mnist, profile, jobs=2, cache=ResultCache(tmp_path_factory.mktemp("r")))
    return run, metric_values(run)


@pytest.fixture(scope="module")
def chapter(mnist):
    """The chapter's variables, as its notebook builds them."""
    np.random.seed(42)
    X, y = mnist.X.astype(np.float64), mnist.y
    X_train, X_test = X[:N_TRAIN], X[60000 : 60000 + N_TEST]
    y_train = y[:N_TRAIN]
    return X_train, X_test, y_train, X[0]


def new_sgd():
    return SGDClassifier(max_iter=1000, tol=1e-3, random_state=42)


def test_binary_detector(engine, chapter):
    run, m = engine
    X_train, _, y_train, some_digit = chapter
    y_train_5 = y_train == 5
    sgd_clf = new_sgd().fit(X_train, y_train_5)
    assert m["binary.sgd.predict_first_digit"] == sgd_clf.predict([some_digit])[0]
    assert m["binary.sgd.decision_first_digit"] == sgd_clf.decision_function([some_digit])[0]
    assert m["binary.sgd.cv_accuracy"] == list(
        cross_val_score(sgd_clf, X_train, y_train_5, cv=3, scoring="accuracy")
    )
    y_train_pred = cross_val_predict(sgd_clf, X_train, y_train_5, cv=3)
    assert m["binary.sgd.confusion_matrix"] == confusion_matrix(y_train_5, y_train_pred).tolist()
    assert m["binary.sgd.precision"] == precision_score(y_train_5, y_train_pred)
    assert m["binary.sgd.recall"] == recall_score(y_train_5, y_train_pred)
    assert m["binary.sgd.f1"] == f1_score(y_train_5, y_train_pred)

    y_scores = cross_val_predict(sgd_clf, X_train, y_train_5, cv=3, method="decision_function")
    precisions, recalls, thresholds = precision_recall_curve(y_train_5, y_scores)
    recall_90_precision = recalls[np.argmax(precisions >= 0.90)]
    threshold_90_precision = thresholds[np.argmax(precisions >= 0.90)]
    y_train_pred_90 = y_scores >= threshold_90_precision
    assert m["binary.sgd.threshold_90_precision"] == threshold_90_precision
    assert m["binary.sgd.precision_at_threshold_90"] == precision_score(y_train_5, y_train_pred_90)
    assert m["binary.sgd.recall_at_threshold_90"] == recall_score(y_train_5, y_train_pred_90)
    fpr, tpr, _ = roc_curve(y_train_5, y_scores)
    fpr_90 = fpr[np.argmax(tpr >= recall_90_precision)]
    assert m["binary.sgd.fpr_at_threshold_90"] == fpr_90
    assert m["binary.sgd.roc_auc"] == roc_auc_score(y_train_5, y_scores)
    result = run["binary.sgd"]
    assert np.array_equal(result.pr_precisions, precisions)
    assert np.array_equal(result.roc_tpr, tpr)

    forest_clf = RandomForestClassifier(n_estimators=100, random_state=42)
    y_probas_forest = cross_val_predict(forest_clf, X_train, y_train_5, cv=3,
                                        method="predict_proba")
    y_scores_forest = y_probas_forest[:, 1]
    fpr_forest, tpr_forest, _ = roc_curve(y_train_5, y_scores_forest)
    assert m["binary.forest.roc_auc"] == roc_auc_score(y_train_5, y_scores_forest)
    recall_for_forest = tpr_forest[np.argmax(fpr_forest >= fpr_90)]
    assert m["binary.forest.recall_at_sgd_fpr_90"] == recall_for_forest
    forest_pred = cross_val_predict(forest_clf, X_train, y_train_5, cv=3)
    assert m["binary.forest.precision"] == precision_score(y_train_5, forest_pred)
    assert m["binary.forest.recall"] == recall_score(y_train_5, forest_pred)


def test_manual_kfold_and_never5(engine, chapter):
    _, m = engine
    X_train, _, y_train, _ = chapter
    y_train_5 = y_train == 5
    skfolds = StratifiedKFold(n_splits=3, shuffle=True, random_state=42)
    accuracies = []
    for train_index, test_index in skfolds.split(X_train, y_train_5):
        clone_clf = clone(new_sgd())
        clone_clf.fit(X_train[train_index], y_train_5[train_index])
        y_pred = clone_clf.predict(X_train[test_index])
        accuracies.append(sum(y_pred == y_train_5[test_index]) / len(y_pred))
    assert m["binary.manual_kfold.fold_accuracy"] == accuracies

    class Never5Classifier(BaseEstimator):
        def fit(self, X, y=None):
            return self

        def predict(self, X):
            return np.zeros((len(X), 1), dtype=bool)

    assert m["binary.never5.cv_accuracy"] == list(
        cross_val_score(Never5Classifier(), X_train, y_train_5, cv=3, scoring="accuracy")
    )


def test_multiclass_and_error_analysis(engine, chapter):
    _, m = engine
    X_train, _, y_train, some_digit = chapter
    svm_clf = SVC().fit(X_train, y_train)
    assert m["multiclass.svc.predict_first_digit"] == svm_clf.predict([some_digit])[0]
    assert m["multiclass.svc.decision_first_digit"] == list(
        svm_clf.decision_function([some_digit])[0]
    )
    ovr_clf = OneVsRestClassifier(SVC(gamma="auto", random_state=42))
    ovr_clf.fit(X_train[:1000], y_train[:1000])
    assert m["multiclass.ovr.predict_first_digit"] == ovr_clf.predict([some_digit])[0]
    assert m["multiclass.ovr.n_estimators"] == len(ovr_clf.estimators_)

    sgd_clf = new_sgd().fit(X_train, y_train)
    assert m["multiclass.sgd.predict_first_digit"] == sgd_clf.predict([some_digit])[0]
    assert m["multiclass.sgd.decision_first_digit"] == list(
        sgd_clf.decision_function([some_digit])[0]
    )
    assert m["multiclass.sgd.cv_accuracy"] == list(
        cross_val_score(sgd_clf, X_train, y_train, cv=3, scoring="accuracy")
    )
    X_train_scaled = StandardScaler().fit_transform(X_train.astype(np.float64))
    assert m["multiclass.sgd_scaled.cv_accuracy"] == list(
        cross_val_score(sgd_clf, X_train_scaled, y_train, cv=3, scoring="accuracy")
    )
    y_train_pred = cross_val_predict(sgd_clf, X_train_scaled, y_train, cv=3)
    assert m["errors.confusion_matrix"] == confusion_matrix(y_train, y_train_pred).tolist()


@pytest.fixture
def one_thread():
    """As the engine runs each experiment: KNN's tie-breaking depends on the thread count."""
    with threadpool_limits(limits=1):
        yield


def test_multilabel_and_multioutput(engine, chapter, one_thread):
    run, m = engine
    X_train, X_test, y_train, some_digit = chapter
    y_multilabel = np.c_[y_train >= 7, y_train % 2 == 1]
    knn_clf = KNeighborsClassifier().fit(X_train, y_multilabel)
    assert m["multilabel.knn.predict_first_digit"] == knn_clf.predict([some_digit])[0].tolist()
    y_train_knn_pred = cross_val_predict(knn_clf, X_train, y_multilabel, cv=3)
    assert m["multilabel.knn.f1_macro"] == f1_score(y_multilabel, y_train_knn_pred,
                                                    average="macro")

    np.random.seed(42)  # the notebook's seed; nothing in between draws from np.random
    noise = np.random.randint(0, 100, (len(X_train), 784))
    X_train_mod = X_train + noise
    noise = np.random.randint(0, 100, (len(X_test), 784))
    X_test_mod = X_test + noise
    knn_clf.fit(X_train_mod, X_train)
    clean_digit = knn_clf.predict([X_test_mod[0]])
    result = run["multioutput.knn"]
    assert np.array_equal(result.noisy_digit.ravel(), X_test_mod[0])
    assert np.array_equal(result.cleaned_digit.ravel(), clean_digit[0])
    cleaned = knn_clf.predict(X_test_mod)
    assert m["test.denoise.rmse_cleaned"] == np.sqrt(np.mean((cleaned - X_test) ** 2))
    assert m["test.denoise.rmse_noisy"] == np.sqrt(np.mean((X_test_mod - X_test) ** 2))


def test_test_set_section(engine, chapter, one_thread, mnist):
    """Each final model fitted on the whole training set as the chapter builds it, scored once
    on the test images with plain scikit-learn calls."""
    _, m = engine
    X_train, X_test, y_train, _ = chapter
    y_test = mnist.y[60000 : 60000 + N_TEST]
    y_train_5, y_test_5 = y_train == 5, y_test == 5

    sgd_clf = new_sgd().fit(X_train, y_train_5)
    assert m["test.sgd.precision"] == precision_score(y_test_5, sgd_clf.predict(X_test))
    assert m["test.sgd.recall"] == recall_score(y_test_5, sgd_clf.predict(X_test))
    assert m["test.sgd.roc_auc"] == roc_auc_score(y_test_5, sgd_clf.decision_function(X_test))

    forest_clf = RandomForestClassifier(n_estimators=100, random_state=42)
    forest_clf.fit(X_train, y_train_5)
    assert m["test.forest.roc_auc"] == roc_auc_score(y_test_5,
                                                     forest_clf.predict_proba(X_test)[:, 1])

    svm_clf = SVC().fit(X_train, y_train)
    assert m["test.svc.accuracy"] == accuracy_score(y_test, svm_clf.predict(X_test))
    sgd_multi = new_sgd().fit(X_train, y_train)
    assert m["test.sgd_multiclass.accuracy"] == accuracy_score(y_test, sgd_multi.predict(X_test))
    scaler = StandardScaler().fit(X_train)
    sgd_scaled = new_sgd().fit(scaler.transform(X_train), y_train)
    assert m["test.sgd_scaled.accuracy"] == accuracy_score(
        y_test, sgd_scaled.predict(scaler.transform(X_test)))

    y_multilabel = np.c_[y_train >= 7, y_train % 2 == 1]
    knn_clf = KNeighborsClassifier().fit(X_train, y_multilabel)
    assert m["test.knn_multilabel.f1_macro"] == f1_score(
        np.c_[y_test >= 7, y_test % 2 == 1], knn_clf.predict(X_test), average="macro")

    # the test sample's intervals and paired tests, as plain scipy computes them
    intervals = sample_intervals(engine[0])
    svc_right = svm_clf.predict(X_test) == y_test
    exact = binomtest(int(svc_right.sum()), N_TEST).proportion_ci(method="exact")
    assert (intervals["test.svc.accuracy"]["low"], intervals["test.svc.accuracy"]["high"]) == (
        exact.low, exact.high)
    scaled_right = sgd_scaled.predict(scaler.transform(X_test)) == y_test
    only_svc = int(np.sum(svc_right & ~scaled_right))
    only_scaled = int(np.sum(~svc_right & scaled_right))
    comparison = intervals["test.svc_vs_sgd_scaled.accuracy_difference"]
    assert comparison["p_value"] == binomtest(only_svc, only_svc + only_scaled).pvalue
    assert comparison["difference"] == m["test.svc.accuracy"] - m["test.sgd_scaled.accuracy"]


def test_denoising_in_batches_equals_one_call(chapter, one_thread):
    """The engine predicts the denoised digits in batches (memory); the chapter in one call."""
    from reportgen.sections.multioutput import predict_in_batches

    X_train, X_test, _, _ = chapter
    rng = np.random.RandomState(42)
    X_train_mod = X_train + rng.randint(0, 100, X_train.shape)
    X_test_mod = X_test + rng.randint(0, 100, X_test.shape)
    knn_clf = KNeighborsClassifier().fit(X_train_mod, X_train)
    assert np.array_equal(predict_in_batches(knn_clf, X_test_mod, batch=7),
                          knn_clf.predict(X_test_mod))
