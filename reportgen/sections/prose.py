"""Words the sections' facts are made of, read from the code that owns them: an estimator's
call as the chapter writes it, and what a class label stands for on a given dataset."""

from __future__ import annotations

import inspect

DIGIT_WORDS = ("zeros", "ones", "twos", "threes", "fours", "fives", "sixes", "sevens", "eights",
               "nines")


def estimator_call(estimator, *shown: str) -> str:
    """`SGDClassifier(max_iter=1000, tol=0.001, random_state=42)`, from the estimator itself:
    the parameters it sets away from their defaults, plus those in `shown` (the chapter writes
    some defaults out), in the constructor's order; nested estimators likewise."""
    params = estimator.get_params(deep=False)
    signature = inspect.signature(type(estimator).__init__).parameters
    parts = []
    for name, parameter in signature.items():
        if name == "self" or name not in params:
            continue
        value = params[name]
        if hasattr(value, "get_params"):
            parts.append(f"{name}={estimator_call(value)}" if name != "estimator"
                         else estimator_call(value))
            continue
        if name in shown or value != parameter.default:
            parts.append(f"{name}={value!r}")
    return f"{type(estimator).__name__}({', '.join(parts)})"


def class_label(spec, label: int) -> str:
    """What label `label` is called: "5" for digits, "Sandal" for Fashion-MNIST."""
    return str(label) if spec.classes_are_digits else spec.class_names[label]


def class_plural(spec, label: int) -> str:
    """"fives" for digits; "Sandal images" where labels name classes."""
    return DIGIT_WORDS[label] if spec.classes_are_digits else f"{spec.class_names[label]} images"
