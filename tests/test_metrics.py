"""Metric names are a public contract: each resolves, and the issue's list is all there."""

import json

import pytest

from reportgen.metrics import (
    agrees_with_published,
    build_record,
    metric_values,
    rounded_like,
)
from tests.chapter import CHAPTER

CONTRACT = """
binary.sgd.cv_accuracy binary.manual_kfold.accuracy binary.never5.cv_accuracy
binary.sgd.confusion_matrix binary.sgd.precision binary.sgd.recall binary.sgd.f1
binary.sgd.threshold_90_precision binary.sgd.precision_at_threshold_90
binary.sgd.recall_at_threshold_90 binary.sgd.roc_auc binary.forest.roc_auc
multiclass.svc.predict_first_digit multiclass.ovr.n_estimators multiclass.sgd.cv_accuracy
multiclass.sgd_scaled.cv_accuracy errors.confusion_matrix multilabel.knn.f1_macro
test.sgd.precision test.sgd.recall test.sgd.roc_auc test.forest.roc_auc test.svc.accuracy
test.sgd_multiclass.accuracy test.sgd_scaled.accuracy test.knn_multilabel.f1_macro
""".split()


def test_the_contracted_names_exist():
    assert set(CONTRACT) <= set(CHAPTER.metrics())


def test_names_are_unique_and_read_registered_experiments():
    metrics = [metric for section in CHAPTER.sections for metric in section.metrics]
    assert len(CHAPTER.metrics()) == len(metrics)
    assert {m.experiment for m in metrics} <= set(CHAPTER.experiments())


def test_the_record_says_which_sections_it_holds(digits_run):
    record = build_record(digits_run)
    assert record.sections == [section.id for section in CHAPTER.sections]
    assert list(record.metrics) == [m.name for s in CHAPTER.sections for m in s.metrics]


def test_every_metric_has_a_json_value(digits_run):
    values = metric_values(digits_run)
    json.dumps(values, allow_nan=False)
    assert values["multiclass.ovr.n_estimators"] == 10


def test_record_holds_dataset_profile_and_timings(digits_run):
    record = build_record(digits_run)
    assert record.dataset.name == "digits"
    assert record.dataset.x_sha256.startswith("8f26b2bd")
    assert record.profile.train_size == 1500
    assert set(record.timings.experiments) == set(CHAPTER.experiments())
    assert record.published == []  # the chapter's values describe full MNIST only


@pytest.mark.parametrize(
    "value, published, agrees",
    [
        (0.9604938554008616, 0.9604938554008616, True),
        (2164.2203023926595, 2164.22030239, True),  # printed to 8 decimals
        (2164.2203125, 2164.22030239, False),
        ([0.95035, 0.96035, 0.9604], [0.95035, 0.96035, 0.9604], True),
        ([0.9042, 0.9477, 0.96785], [0.9669, 0.91625, 0.96785], False),
        ([[1, 2], [3, 4]], [[1, 2], [3, 4]], True),
        (True, True, True),
        (3, 5, False),
    ],
)
def test_agreement_uses_the_printed_digits(value, published, agrees):
    assert agrees_with_published(value, published) is agrees


def test_a_printed_array_shares_one_precision():
    # numpy printed array([0.8983, 0.891 , 0.9018]): 0.891 means 0.8910
    assert not agrees_with_published([0.8983, 0.8905, 0.9018], [0.8983, 0.891, 0.9018])
    assert rounded_like([0.89835, 0.8902], [0.8983, 0.891]) == [0.8983, 0.8902]
