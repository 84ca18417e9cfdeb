"""One test per claim of the chapter (reportgen/thresholds.toml), against a report's metrics."""

from reportgen.thresholds import evaluate


def test_claim_holds(threshold, checked_document):
    [outcome] = evaluate([threshold], checked_document)
    assert outcome.passed, outcome.message


def test_the_checked_document_is_the_chapters_dataset(checked_document):
    assert checked_document["dataset"]["name"] == "mnist"
    assert checked_document["dataset"]["x_sha256"].startswith("5b92582e")
