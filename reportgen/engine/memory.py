"""Peak resident memory of one experiment, measured in the process that runs it.

Linux keeps a process's peak resident set size (VmHWM) and lets the process reset it (writing
5 to /proc/self/clear_refs), so each experiment's own peak is measured even in a worker that ran
others before it. Elsewhere the process's lifetime peak (getrusage) is the best available: an
upper bound.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _reset_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def _peak_bytes() -> int:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere


@contextmanager
def peak_memory() -> Iterator[dict]:
    """`with peak_memory() as peak:` ... then `peak["bytes"]` holds the block's peak RSS."""
    measured: dict = {"bytes": None}
    _reset_peak()
    try:
        yield measured
    finally:
        measured["bytes"] = _peak_bytes()
