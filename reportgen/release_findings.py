"""What a release matrix measured about the chapter's printed values, and the one place the
chapter report's "why it differs" is written from.

For every value the chapter prints, the matrix of the full chapter says which scikit-learn
releases reproduce it to its printed digits: the newest that does, and the first release after
it that does not. That is an explanation measured, not guessed, so it is the only one the
report gives about releases. The findings ship with reportgen (`release_findings.json`, made
by `findings_of` from a matrix version: `reportgen show MATRIX --findings`), so an installed
reportgen knows them without the archive; tests/test_release_findings.py fails when they and
the matrix committed in reports/ disagree.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

FINDINGS = "release_findings.json"


def findings_of(data: dict) -> dict:
    """The findings of a matrix (its matrix.json): for each printed value, the releases that
    reproduce it, the newest of them, and the first release after that which does not."""
    return {
        "matrix": data.get("version"),
        "dataset": data["dataset"]["name"],
        "profile": data["profile"]["name"],
        "repeats": data["repeats"],
        "releases": [release["label"] for release in data["releases"]],
        "metrics": {row["metric"]: {key: row[key] for key in (
            "reproduced_by", "newest_reproducing", "first_not_reproducing")}
            for row in data["published"]},
    }


@functools.cache
def shipped() -> dict | None:
    """The findings shipped with this reportgen (None when it ships none)."""
    try:
        text = resources.files("reportgen").joinpath(FINDINGS).read_text(encoding="utf-8")
        found = json.loads(text)
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and isinstance(found.get("metrics"), dict) else None


def _listed(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def explanation(metric: str, release: str, structural: str = "",
                findings: dict | None = None) -> str:
    """Why this run's `metric` is not the chapter's printed value, as far as a matrix measured
    it (`release`: the scikit-learn release of this run, e.g. "1.9.1"); `structural` adds what
    the section knows by construction (a matrix made of another metric's predictions)."""
    findings = shipped() if findings is None else findings
    found = (findings or {}).get("metrics", {}).get(metric)
    if found is None:
        text = ("not measured: no release matrix of the full chapter covers this value (`reportgen"
                " matrix --profile full --releases 1.5:1.9` measures which releases give it)")
    else:
        releases = findings["releases"]
        source = (f"measured by the release matrix {findings['matrix']}, the full chapter with"
                  f" {releases[0]} to {releases[-1]}")
        newest, first_not = found["newest_reproducing"], found["first_not_reproducing"]
        if newest is None:
            text = (f"none of the releases measured reproduces it, so the scikit-learn release"
                    f" does not explain the difference and its cause is not known ({source})")
        elif first_not is None:
            text = (f"{_listed(found['reproduced_by'])} reproduce it, the newest measured"
                    f" included, so this run's release does not explain the difference; its"
                    f" cause is not known ({source})")
        else:
            later = releases[releases.index(first_not) + 1:]
            again = [label for label in later if label in found["reproduced_by"]]
            after = ("" if not later else ", nor does any later one" if not again
                     else f"; {_listed(again)} again do")
            others = [label for label in found["reproduced_by"] if label != newest]
            also = f" (as do {_listed(others)})" if others else ""
            text = (f"{newest} is the newest release that reproduces it{also}; {first_not},"
                    f" the next release measured, does not{after} ({source})")
    text += f"; this run used scikit-learn {release}"
    return text + (f". {structural[0].upper()}{structural[1:]}" if structural else "")


def book_releases(findings: dict | None = None) -> dict | None:
    """The releases the matrix measured to reproduce every printed value (the book's numbers
    on demand: `reportgen build --scikit-learn X`), and which matrix said so."""
    findings = shipped() if findings is None else findings
    if not findings or not findings.get("metrics"):
        return None
    every = [label for label in findings["releases"]
             if all(label in found["reproduced_by"] for found in findings["metrics"].values())]
    command = None
    if every:  # "scikit-learn 1.7.2" or "scikit-learn 1.5.2, numpy 2.0.2"
        pins = dict(part.split(" ", 1) for part in every[-1].split(", "))
        command = "reportgen build " + " ".join(f"--{name} {release}"
                                                for name, release in pins.items())
    return {"matrix": findings["matrix"], "releases": every,
            "printed": len(findings["metrics"]), "command": command}
