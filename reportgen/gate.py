"""The one rule of every gate: `build`, `check`, `diff --fail-on`, `matrix`, `false-alarms` and
the pytest thresholds pass only what they measured.

A gate that failed a check fails; so does one that could not decide a check (a metric the
version lacks, a change no repeats can judge), and one that checked nothing at all ("0 of 0
thresholds pass" is no pass). Each says why in one line. Callers count and name; the verdict is
made here alone, so no command can pass what another refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.errors import ReportgenError

NOTHING_CHECKED = "a gate that checks nothing cannot pass"
UNDECIDED = "a gate that cannot decide cannot pass"


class GateFailed(ReportgenError):
    """A gate that did not pass; the message is its one line."""


@dataclass(frozen=True)
class Gate:
    """What one gate measured: `checked` checks reached a verdict; `failed` says which of them
    failed (None: none did), `undecided` which checks could not be decided and why (None: every
    one was), `nothing` what it would have checked (said when it checked nothing)."""

    checked: int
    failed: str | None = None
    undecided: str | None = None
    nothing: str = "it checked nothing"

    @property
    def problem(self) -> str | None:
        """Why the gate fails, in one line; None when it passes."""
        if self.undecided:
            also = f"; {self.failed}" if self.failed else ""
            return f"{self.undecided}{also} ({UNDECIDED})"
        if self.failed:
            return self.failed
        if self.checked <= 0:
            return f"{self.nothing}; {NOTHING_CHECKED}"
        return None

    @property
    def passed(self) -> bool:
        return self.problem is None

    def enforce(self) -> None:
        """Raise GateFailed (one line, exit 1) unless the gate passed."""
        problem = self.problem
        if problem is not None:
            raise GateFailed(problem)
