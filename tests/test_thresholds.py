"""The thresholds spec: loaded strictly (errors name the line), evaluated in one place."""

import os

import pytest

from reportgen import thresholds
from reportgen.gate import NOTHING_CHECKED, GateFailed
from reportgen.record import StoredOutcome
from reportgen.thresholds import DEFAULT_SPEC, SpecError, derive_bound, thresholds_gate
from tests.chapter import CHAPTER, builtin_spec
from tests.data.helpers import no_hang
from tests.versions import record_of


def evaluate(spec, document: dict):
    """`thresholds.evaluate` on a hand-written metrics.json document, read by its codec."""
    return thresholds.evaluate(spec, record_of(document))


def require_applicable(spec, document: dict, path: str) -> None:
    thresholds.require_applicable(spec, record_of(document), path)

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
    spec = builtin_spec(DEFAULT_SPEC)
    assert len(spec) >= 10
    assert all(t.metric in CHAPTER.metrics() for t in spec)
    assert {t.id for t in spec} >= {"forest-roc-auc", "svc-first-digit", "scaling-helps-sgd"}


@pytest.mark.parametrize(
    "change, message, line",
    [
        (('"binary.forest.roc_auc"', '"binary.forest.auc"'), "unknown metric 'binary.forest.auc'",
         4),
        (('op = ">"', 'op = "=>"'), "bad operator '=>'", 5),
        (("0.99", '"high"'), "bound for full: `>` needs a finite number", 6),
        (('claim = "The forest is nearly perfect."', "claim = 3"), "`claim` must be a non-empty",
         7),
        (("op =", 'colour = "red"\nop ='), "unknown key(s) ['colour']", 5),
    ],
    ids=["unknown-metric", "bad-operator", "wrong-type", "claim-not-text", "unknown-key"],
)
def test_malformed_spec_names_the_line(tmp_path, change, message, line):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(SpecError) as info:
        builtin_spec(path)
    assert f"{path}:{line}:" in str(info.value) and message in str(info.value)


def test_not_toml_is_a_clear_error(tmp_path):
    with pytest.raises(SpecError, match="not valid TOML"):
        builtin_spec(write(tmp_path, "[[threshold]\nid ="))


def test_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(SpecError, match="used twice"):
        builtin_spec(write(tmp_path, GOOD + GOOD))


def test_failure_message_states_value_bound_and_claim(tmp_path):
    spec = builtin_spec(write(tmp_path, GOOD))
    [outcome] = evaluate(spec, document({"binary.forest.roc_auc": 0.97}))
    assert not outcome.passed
    assert outcome.message == (
        "FAIL auc: binary.forest.roc_auc = 0.97, required > 0.98. The forest is nearly perfect."
    )


def test_lists_must_meet_the_bound_in_every_element(tmp_path):
    text = GOOD.replace("binary.forest.roc_auc", "binary.sgd.cv_accuracy")
    spec = builtin_spec(write(tmp_path, text))
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
    spec = builtin_spec(write(tmp_path, text))
    outcomes = evaluate(spec, document({
        "binary.never5.cv_accuracy": [0.91, 0.93],
        "multiclass.svc.predict_first_digit": 5,
        "multiclass.sgd_scaled.cv_accuracy_mean": 0.89,
        "multiclass.sgd.cv_accuracy_mean": 0.87,
    }))
    assert [o.passed for o in outcomes] == [False, True, True]
    assert outcomes[2].bound == 0.87


def test_thresholds_apply_only_to_their_dataset(tmp_path):
    spec = builtin_spec(write(tmp_path, GOOD))
    assert evaluate(spec, document({"binary.forest.roc_auc": 0.5}, dataset="digits")) == []


def test_a_claim_without_a_bound_for_the_profile_is_not_checked_and_fails_the_gate(tmp_path):
    spec = builtin_spec(write(tmp_path, GOOD))
    [outcome] = evaluate(spec, document({"binary.forest.roc_auc": 0.5}, profile="quick-2000"))
    assert outcome.status == "NOT CHECKED" and outcome.blocks and not outcome.passed
    assert outcome.message.startswith("NOT CHECKED auc: the spec gives no bound for profile"
                                      " quick-2000 (only for full, quick); give it a bound")
    gate = thresholds_gate([outcome.stored()], "v1", "")
    assert not gate.passed
    assert "could not be checked: the spec gives no bound for its profile to auc" in gate.problem


def test_an_optional_claim_may_go_unchecked_and_the_gate_says_what_it_checked(tmp_path):
    spec = builtin_spec(write(tmp_path, GOOD.replace('claim =', 'optional = true\nclaim =')
                              + GOOD.replace('"auc"', '"auc-any"')
                                    .replace("{ full = 0.99, quick = 0.98 }", "0.4")))
    outcomes = evaluate(spec, document({"binary.forest.roc_auc": 0.5}, profile="quick-2000"))
    assert [(o.threshold.id, o.status, o.blocks) for o in outcomes] == [
        ("auc", "NOT CHECKED", False), ("auc-any", "PASS", False)]
    assert "optional: it is left unchecked" in outcomes[0].message
    assert thresholds_gate([o.stored() for o in outcomes], "v1", "").passed
    only_optional = [o.stored() for o in outcomes[:1]]
    assert NOTHING_CHECKED in thresholds_gate(only_optional, "v1", "none").problem


@pytest.mark.parametrize("bound, value, passed", [("0.9", 0.95, True), ("0.9", 0.85, False)])
def test_one_bound_holds_for_every_profile(tmp_path, bound, value, passed):
    [threshold] = builtin_spec(write(tmp_path, GOOD.replace(
        "{ full = 0.99, quick = 0.98 }", bound)))
    for profile in ("full", "quick", "quick-2000"):
        [outcome] = evaluate([threshold], document({"binary.forest.roc_auc": value},
                                                   profile=profile))
        assert outcome.passed is passed and outcome.bound == 0.9


def test_a_scalar_bound_is_checked_like_any_other(tmp_path):
    with pytest.raises(SpecError, match="bound: `>` needs a finite number"):
        builtin_spec(write(tmp_path, GOOD.replace("{ full = 0.99, quick = 0.98 }", '"high"')))
    with pytest.raises(SpecError, match="`optional` must be true or false"):
        builtin_spec(write(tmp_path, GOOD.replace('claim =', 'optional = "yes"\nclaim =')))


def repeated(values: dict, count: int = 3) -> dict:
    """A quick MNIST document whose metrics have `count` repeats (the first is the value)."""
    doc = document({name: v[0] for name, v in values.items()})
    doc["repeats"] = {"count": count, "deterministic": [], "metrics": {
        name: {"values": v, "mean": sum(v) / len(v), "ci_low": min(v), "ci_high": max(v)}
        for name, v in values.items()}}
    return doc


def spec_with(tmp_path, extra: str):
    return builtin_spec(write(tmp_path, GOOD.replace('claim =', f'{extra}\nclaim =')))


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


@pytest.mark.parametrize("on, passed, checked", [("sample_low", False, 0.975),
                                                  ("sample_high", True, 0.995)])
def test_on_sample_checks_an_end_of_the_interval_from_the_test_sample(tmp_path, on, passed,
                                                                       checked):
    """The value (0.985) meets the bound; whether its test sample says so too is the low end."""
    [threshold] = spec_with(tmp_path, f'on = "{on}"')
    doc = document({"binary.forest.roc_auc": 0.985})
    doc["sample_intervals"] = {"binary.forest.roc_auc": {"low": 0.975, "high": 0.995,
                                                         "method": "percentile bootstrap"}}
    [outcome] = evaluate([threshold], doc)
    assert (outcome.passed, outcome.value, outcome.checked) == (passed, checked, on)
    assert "95 % interval from the test sample = " in outcome.message


def test_on_sample_without_an_interval_checks_the_value_and_says_so(tmp_path):
    [threshold] = spec_with(tmp_path, 'on = "sample_low"')
    [outcome] = evaluate([threshold], document({"binary.forest.roc_auc": 0.985}))
    assert outcome.passed and outcome.checked == "value"
    assert "no an interval" not in outcome.message
    assert "has no interval of it from its test sample: its value was checked" in outcome.message


def test_on_sample_needs_a_fixed_bound(tmp_path):
    text = GOOD.replace('bound = { full = 0.99, quick = 0.98 }',
                        'bound_metric = "binary.sgd.roc_auc"\non = "sample_low"')
    with pytest.raises(SpecError, match="test the two metrics' difference"):
        builtin_spec(write(tmp_path, text))


def test_a_failing_warn_threshold_is_shown_but_does_not_block(tmp_path):
    [threshold] = spec_with(tmp_path, 'severity = "warn"')
    [outcome] = evaluate([threshold], document({"binary.forest.roc_auc": 0.95}))
    assert (outcome.passed, outcome.status, outcome.blocks) == (False, "WARN", False)
    assert outcome.message.startswith("WARN auc: binary.forest.roc_auc = 0.95, required > 0.98.")


def test_every_repeat_against_another_metric_compares_repeat_by_repeat(tmp_path):
    spec = builtin_spec(write(tmp_path, GOOD.replace('bound = { full = 0.99, quick = 0.98 }',
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


# A spec that selects nothing, or bounds that decide nothing, are errors: a gate must not pass
# by accident. Each is one line naming the file and line.

@pytest.mark.parametrize("change, message, line", [
    (('claim =', 'dataset = "digts"\nclaim ='),
     "unknown dataset 'digts' (did you mean 'digits'?); choose one of: digits, fashion-mnist,"
     " mnist", 7),
    (('claim =', 'dataset = 5\nclaim ='), "unknown dataset 5; choose one of: digits", 7),
    (("quick = 0.98", "quik = 0.98"),
     "bound for quik: unknown profile 'quik' (did you mean 'quick'?); choose one of: full,"
     " quick (or PROFILE-N, the profile with --train-size N)", 6),
    (("quick = 0.98", '"quik-2000" = 0.98'),
     "bound for quik-2000: unknown profile 'quik-2000' (did you mean 'quick-2000'?)", 6),
    (("quick = 0.98", "quick = nan"), "bound for quick: `>` needs a finite number, got nan", 6),
    (("quick = 0.98", "quick = inf"), "bound for quick: `>` needs a finite number, got inf", 6),
    (("quick = 0.98", "quick = -inf"), "bound for quick: `>` needs a finite number, got -inf", 6),
    (("quick = 0.98", "quick = true"), "bound for quick: `>` needs a finite number, got True", 6),
    (('op = ">"\nbound = { full = 0.99, quick = 0.98 }',
      'op = "between"\nbound = { full = [0.9, inf] }'),
     "bound for full: `between` needs [low, high] finite numbers with low <= high", 6),
    (('op = ">"\nbound = { full = 0.99, quick = 0.98 }', 'op = "=="\nbound = { full = nan }'),
     "bound for full: `==` needs a finite number, got nan", 6),
    (('bound = { full = 0.99, quick = 0.98 }', 'bound_metric = ["binary.sgd.roc_auc"]'),
     "unknown metric ['binary.sgd.roc_auc']", 6),
], ids=["dataset-typo", "dataset-number", "profile-typo", "sized-profile-typo", "nan", "inf",
        "minus-inf", "bool", "between-inf", "equals-nan", "bound-metric-list"])
def test_a_spec_that_would_decide_nothing_names_the_line(tmp_path, change, message, line):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(SpecError) as info:
        builtin_spec(path)
    assert str(info.value).startswith(f"{path}:{line}: {message}")


def test_bounds_for_a_train_size_profile_and_every_dataset_load(tmp_path):
    text = GOOD.replace("quick = 0.98", '"quick-2000" = 0.98, "full-500" = 0.9')
    text = text.replace("claim =", 'dataset = "digits"\nclaim =')
    [threshold] = builtin_spec(write(tmp_path, text))
    assert threshold.bounds == {"full": 0.99, "quick-2000": 0.98, "full-500": 0.9}
    assert threshold.dataset == "digits"


@pytest.mark.parametrize("text, message", [
    ("threshold = 5\n", ":1: `threshold` must be an array of tables ([[threshold]])"),
    ("# claims\nthreshold = [1, 2]\n", ":2: threshold 1 is 1, not a table; write each as a"
                                       " [[threshold]] table"),
    ("threshold = []\n", ": no [[threshold]] tables; a spec that states no claim checks nothing"),
    ("", ": no [[threshold]] tables"),
    (GOOD + "\n[[thresold]]\nid = 'x'\n", ":9: unknown top-level key 'thresold' (did you mean"
                                          " 'threshold'?)"),
], ids=["not-an-array", "not-tables", "empty-array", "empty-file", "misspelt-table"])
def test_a_spec_without_threshold_tables_is_one_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        builtin_spec(path)
    assert str(info.value).startswith(f"{path}{message}")


def test_a_spec_that_is_not_utf8_names_the_file_and_line(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_bytes(GOOD.replace("nearly perfect", "presque parfaite, \xe0 peu pr\xe8s")
                     .encode("latin-1"))
    with pytest.raises(SpecError) as info:
        builtin_spec(path)
    offset = GOOD.index("nearly perfect") + len("presque parfaite, ")
    assert str(info.value) == (f"{path}:7: not UTF-8 text (byte 0xe0 at offset {offset});"
                               " save the spec as UTF-8")


def test_a_utf8_spec_loads_with_or_without_a_byte_order_mark(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_bytes(("\ufeff" + GOOD.replace("nearly perfect", "presque parfaite, à peu près"))
                     .encode("utf-8"))
    [threshold] = builtin_spec(path)
    assert threshold.claim == "The forest is presque parfaite, à peu près."


def test_a_spec_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "spec.toml"
    os.mkfifo(path)
    with no_hang(), pytest.raises(SpecError) as info:
        builtin_spec(path)
    assert str(info.value) == (f"thresholds spec {path} is a FIFO (named pipe), not a regular"
                               " file; pass a TOML file")


def test_a_spec_that_applies_to_the_document_passes_the_applicable_check(tmp_path):
    spec = builtin_spec(write(tmp_path, GOOD))
    require_applicable(spec, document({}, profile="full"), "spec.toml")
    require_applicable(spec, {**document({}), "sections": ["binary"]}, "spec.toml")


@pytest.mark.parametrize("doc, message", [
    (document({}, dataset="digits"), "applies to dataset digits with profile quick (the spec"
     " covers: datasets mnist; profiles full, quick)"),
    (document({}, profile="quick-2000"), "applies to dataset mnist with profile quick-2000 (the"
     " spec covers: datasets mnist; profiles full, quick)"),
    ({**document({}), "sections": ["errors"]}, "applies to dataset mnist with profile quick and"
     " sections errors (the spec covers: datasets mnist; profiles full, quick; sections binary)"),
], ids=["other-dataset", "other-profile", "other-sections"])
def test_a_spec_of_which_nothing_applies_is_an_error(tmp_path, doc, message):
    spec = builtin_spec(write(tmp_path, GOOD))
    assert all(outcome.status == "NOT CHECKED" for outcome in evaluate(spec, doc))
    with pytest.raises(GateFailed) as info:
        require_applicable(spec, doc, "spec.toml")
    assert str(info.value) == (f"none of the 1 thresholds of spec.toml {message}; a gate that"
                               " checks nothing cannot pass")


@pytest.mark.parametrize("value", ["0.99", None, {"a": 1}, True, [0.99, "x"]])
def test_a_value_no_operator_can_order_is_one_line_not_a_pass(tmp_path, value):
    """A damaged metrics.json (or a metric of another kind): never True > 0.98."""
    spec = builtin_spec(write(tmp_path, GOOD))
    with pytest.raises(SpecError, match="threshold auc: > cannot compare"):
        evaluate(spec, document({"binary.forest.roc_auc": value}))


def test_a_list_bound_metric_against_a_number_is_one_line(tmp_path):
    text = GOOD.replace('bound = { full = 0.99, quick = 0.98 }',
                        'bound_metric = "binary.sgd.cv_accuracy"')
    spec = builtin_spec(write(tmp_path, text))
    with pytest.raises(SpecError, match="with binary.sgd.cv_accuracy"):
        evaluate(spec, document({"binary.forest.roc_auc": 0.99,
                                 "binary.sgd.cv_accuracy": [0.9, 0.8]}))


def test_a_boolean_equals_no_number(tmp_path):
    text = GOOD.replace('op = ">"', 'op = "=="').replace(
        "{ full = 0.99, quick = 0.98 }", "{ quick = false }")
    spec = builtin_spec(write(tmp_path, text))
    assert not evaluate(spec, document({"binary.forest.roc_auc": 0}))[0].passed
    assert evaluate(spec, document({"binary.forest.roc_auc": False}))[0].passed


def test_on_sample_of_a_metric_without_an_interval_is_a_spec_error(tmp_path):
    """A version with test-sample intervals has none for a cross-validated metric: checking
    its value instead would pass a claim nobody asked."""
    [threshold] = spec_with(tmp_path, 'on = "sample_low"')
    doc = document({"binary.forest.roc_auc": 0.985})
    doc["sample_intervals"] = {"test.svc.accuracy": {"low": 0.9, "high": 0.95, "method": "m"}}
    with pytest.raises(SpecError, match="has none"):
        evaluate([threshold], doc)


def test_the_gate_fails_what_it_did_not_check_or_could_not_decide():
    """The one rule (reportgen.gate): a failure fails, an undecided check fails, and so does a
    gate that checked nothing; it passes only what it measured."""
    from reportgen.gate import NOTHING_CHECKED, UNDECIDED, Gate

    assert Gate(3).passed
    assert Gate(0, nothing="no claim applies").problem == f"no claim applies; {NOTHING_CHECKED}"
    assert Gate(2, failed="1 failed").problem == "1 failed"
    assert Gate(2, undecided="1 unknown").problem == f"1 unknown ({UNDECIDED})"
    with pytest.raises(GateFailed, match=NOTHING_CHECKED):
        Gate(0).enforce()


def test_the_thresholds_gate_counts_fail_and_missing_and_passes_warn():
    from reportgen.thresholds import thresholds_gate

    def stored(id, status, missing=None):
        return StoredOutcome(id=id, metric=f"m.{id}", passed=status == "PASS", message="",
                             status=status, missing=missing)

    assert thresholds_gate([stored("a", "PASS"), stored("b", "WARN")], "v1", "").passed
    assert thresholds_gate([stored("a", "FAIL")], "v1", "").problem == \
        "1 threshold(s) failed: a"
    assert "v1 has no metric m.x" in thresholds_gate(
        [stored("a", "PASS"), stored("b", "MISSING", "m.x")], "v1", "").problem
    assert "no claim applies" in thresholds_gate([], "v1", "no claim applies").problem
