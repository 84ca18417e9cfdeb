"""The thresholds spec: loaded strictly (errors name the line), evaluated in one place."""

import pytest

from reportgen.sections import metrics_by_name
from reportgen.thresholds import DEFAULT_SPEC, SpecError, derive_bound, evaluate, load_spec

GOOD = """
[[threshold]]
id = "auc"
metric = "binary.forest.roc_auc"
op = ">"
bound = { full = 0.99, quick = 0.98 }
claim = "The forest is nearly perfect."
"""


def write(tmp_path, text):
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def document(metrics, profile="quick", dataset="mnist"):
    return {"dataset": {"name": dataset}, "profile": {"name": profile}, "metrics": metrics}


def test_the_shipped_spec_loads_and_names_real_metrics():
    spec = load_spec(DEFAULT_SPEC)
    assert len(spec) >= 10
    assert all(t.metric in metrics_by_name() for t in spec)
    assert {t.id for t in spec} >= {"forest-roc-auc", "svc-first-digit", "scaling-helps-sgd"}


@pytest.mark.parametrize(
    "change, message, line",
    [
        (('"binary.forest.roc_auc"', '"binary.forest.auc"'), "unknown metric 'binary.forest.auc'",
         4),
        (('op = ">"', 'op = "=>"'), "bad operator '=>'", 5),
        (("0.99", '"high"'), "bound for full: `>` needs a number", 6),
        (('claim = "The forest is nearly perfect."', "claim = 3"), "`claim` must be a non-empty",
         7),
        (("op =", 'colour = "red"\nop ='), "unknown key(s) ['colour']", 5),
    ],
    ids=["unknown-metric", "bad-operator", "wrong-type", "claim-not-text", "unknown-key"],
)
def test_malformed_spec_names_the_line(tmp_path, change, message, line):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert f"{path}:{line}:" in str(info.value) and message in str(info.value)


def test_not_toml_is_a_clear_error(tmp_path):
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(write(tmp_path, "[[threshold]\nid ="))


def test_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(SpecError, match="used twice"):
        load_spec(write(tmp_path, GOOD + GOOD))


def test_failure_message_states_value_bound_and_claim(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    [outcome] = evaluate(spec, document({"binary.forest.roc_auc": 0.97}))
    assert not outcome.passed
    assert outcome.message == (
        "FAIL auc: binary.forest.roc_auc = 0.97, required > 0.98. The forest is nearly perfect."
    )


def test_lists_must_meet_the_bound_in_every_element(tmp_path):
    text = GOOD.replace("binary.forest.roc_auc", "binary.sgd.cv_accuracy")
    spec = load_spec(write(tmp_path, text))
    assert evaluate(spec, document({"binary.sgd.cv_accuracy": [0.99, 0.985]}))[0].passed
    assert not evaluate(spec, document({"binary.sgd.cv_accuracy": [0.99, 0.97]}))[0].passed


def test_between_equality_and_bound_metrics(tmp_path):
    text = """
[[threshold]]
id = "range"
metric = "binary.never5.cv_accuracy"
op = "between"
bound = { quick = [0.90, 0.92] }
claim = "c"

[[threshold]]
id = "five"
metric = "multiclass.svc.predict_first_digit"
op = "=="
bound = { quick = 5 }
claim = "c"

[[threshold]]
id = "scaled-wins"
metric = "multiclass.sgd_scaled.cv_accuracy_mean"
op = ">"
bound_metric = "multiclass.sgd.cv_accuracy_mean"
claim = "c"
"""
    spec = load_spec(write(tmp_path, text))
    outcomes = evaluate(spec, document({
        "binary.never5.cv_accuracy": [0.91, 0.93],
        "multiclass.svc.predict_first_digit": 5,
        "multiclass.sgd_scaled.cv_accuracy_mean": 0.89,
        "multiclass.sgd.cv_accuracy_mean": 0.87,
    }))
    assert [o.passed for o in outcomes] == [False, True, True]
    assert outcomes[2].bound == 0.87


def test_thresholds_apply_only_to_their_dataset_and_profiles(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert evaluate(spec, document({"binary.forest.roc_auc": 0.5}, dataset="digits")) == []
    assert evaluate(spec, document({"binary.forest.roc_auc": 0.5}, profile="quick-2000")) == []


def repeated(values: dict, count: int = 3) -> dict:
    """A quick MNIST document whose metrics have `count` repeats (the first is the value)."""
    doc = document({name: v[0] for name, v in values.items()})
    doc["repeats"] = {"count": count, "deterministic": [], "metrics": {
        name: {"values": v, "mean": sum(v) / len(v), "ci_low": min(v), "ci_high": max(v)}
        for name, v in values.items()}}
    return doc


def spec_with(tmp_path, extra: str):
    return load_spec(write(tmp_path, GOOD.replace('claim =', f'{extra}\nclaim =')))


@pytest.mark.parametrize("on, passed, checked", [
    ("value", True, 0.985), ("mean", False, 0.98), ("every_repeat", False, [0.985, 0.99, 0.965]),
    ("ci_low", False, 0.965), ("ci_high", True, 0.99)])
def test_on_chooses_which_number_of_the_repeats_is_checked(tmp_path, on, passed, checked):
    [threshold] = spec_with(tmp_path, f'on = "{on}"')
    [outcome] = evaluate([threshold], repeated({"binary.forest.roc_auc": [0.985, 0.99, 0.965]}))
    assert (outcome.passed, outcome.value) == (passed, pytest.approx(checked))
    assert outcome.repeats_holding == 2 and outcome.repeat_count == 3
    assert "Holds in 2 of 3 repeats." in outcome.message


def test_without_repeats_on_mean_checks_the_value_and_says_so(tmp_path):
    [threshold] = spec_with(tmp_path, 'on = "mean"')
    [outcome] = evaluate([threshold], document({"binary.forest.roc_auc": 0.985}))
    assert outcome.passed and outcome.checked == "value"
    assert "this version has no repeats of it: its value was checked" in outcome.message


def test_a_failing_warn_threshold_is_shown_but_does_not_block(tmp_path):
    [threshold] = spec_with(tmp_path, 'severity = "warn"')
    [outcome] = evaluate([threshold], document({"binary.forest.roc_auc": 0.95}))
    assert (outcome.passed, outcome.status, outcome.blocks) == (False, "WARN", False)
    assert outcome.message.startswith("WARN auc: binary.forest.roc_auc = 0.95, required > 0.98.")


def test_every_repeat_against_another_metric_compares_repeat_by_repeat(tmp_path):
    spec = load_spec(write(tmp_path, GOOD.replace('bound = { full = 0.99, quick = 0.98 }',
                                                   'bound_metric = "binary.sgd.roc_auc"\n'
                                                   'on = "every_repeat"')))
    doc = repeated({"binary.forest.roc_auc": [0.99, 0.98, 0.97],
                    "binary.sgd.roc_auc": [0.95, 0.97, 0.975]})
    [outcome] = evaluate(spec, doc)
    assert not outcome.passed and outcome.repeats_holding == 2


@pytest.mark.parametrize("key, value", [("on", "median"), ("severity", "info")])
def test_unknown_on_or_severity_is_refused(tmp_path, key, value):
    with pytest.raises(SpecError, match=f"`{key}` must be one of"):
        spec_with(tmp_path, f'{key} = "{value}"')


def test_a_derived_bound_keeps_the_claim_where_every_repeat_meets_it():
    assert derive_bound(">", 0.95, [0.96, 0.952, 0.97], mean=0.96, std=0.009) == 0.95
    assert derive_bound("between", [0.9, 0.92], [[0.91, 0.915]] * 3, mean=[0.91, 0.915],
                        std=[0.0, 0.0]) == [0.9, 0.92]


def test_a_derived_bound_sits_four_deviations_from_the_mean_where_some_repeat_misses():
    assert derive_bound(">", 0.97, [0.95, 0.953, 0.947], mean=0.95, std=0.003) == 0.93
    assert derive_bound("<", 0.50, [0.55, 0.56, 0.54], mean=0.55, std=0.01) == 0.59
    assert derive_bound(">", 0.95, [[0.96, 0.94], [0.96, 0.95]], mean=[0.96, 0.945],
                        std=[0.001, 0.007]) == 0.91  # the worse fold: 0.945 - 0.028
