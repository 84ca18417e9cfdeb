"""SIGTERM and SIGINT stop a command, with everything it started, and are never lost.

Python runs a signal's handler between any two bytecodes of the main thread, in a weakref
callback or a `__del__` too; a KeyboardInterrupt raised there is printed as "Exception
ignored" and dropped, and a build went on to archive a version and exit 0. So the handler
records the signal before anything else and raises only outside such clean-up; the steps that
must not happen after a signal (the next task, publishing a version, a command's success) ask
`stop_if_signalled` first, which raises what the handler could not.

A child process (a run in a release environment, uv making one) starts in a process group of
its own, with everything it starts in turn: on a signal the whole group gets SIGTERM, then
SIGKILL if it lingers; and the kernel sends it SIGTERM if this process dies (SIGKILL too).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from types import FrameType

GRACE_SECONDS = 10  # what a child group gets to clean up after SIGTERM, before SIGKILL
_PR_SET_PDEATHSIG = 1

_received: int | None = None  # the signal that stops this command, once one came


def install() -> None:
    """Stop this command on SIGTERM and SIGINT (from the main thread; a command starts with no
    signal received)."""
    global _received
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set a handler; it gets the signals anyway
    _received = None
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if not getattr(sys.unraisablehook, "_reportgen", False):
        sys.unraisablehook = _quiet_if_recorded(sys.unraisablehook)


def signalled() -> int | None:
    """The signal received since `install`, if any."""
    return _received


_finished: list[str] = []  # what completed whole in this process (an archived version)


def finished(what: str) -> None:
    """Record that `what` completed whole: a signal that lands after it must say it stays,
    not that nothing was kept."""
    _finished.append(what)


def finished_whole() -> list[str]:
    return list(_finished)


def stop_if_signalled() -> None:
    """Raise KeyboardInterrupt when a signal came, though its own raise was deferred or lost."""
    if _received is not None:
        raise KeyboardInterrupt


def _stop(signum: int, frame: FrameType | None) -> None:
    global _received
    _received = signum
    if not _in_clean_up(frame):
        raise KeyboardInterrupt


def _in_clean_up(frame: FrameType | None) -> bool:
    """Whether the interrupted code is a finaliser: a `__del__`, or a weakref callback."""
    while frame is not None:
        if frame.f_code.co_name == "__del__" or frame.f_code.co_filename == weakref.__file__:
            return True
        frame = frame.f_back
    return False


def _quiet_if_recorded(previous: Callable) -> Callable:
    """An unraisable-exception hook that drops a KeyboardInterrupt once the signal is recorded
    (a callback `_in_clean_up` cannot tell): the command stops at its next step anyway."""
    def hook(unraisable) -> None:
        if _received is not None and isinstance(unraisable.exc_value, KeyboardInterrupt):
            return
        previous(unraisable)
    hook._reportgen = True
    return hook


def run_child(command: list[str], *, timeout: float | None = None, input: str | None = None,
              capture_output: bool = False, **popen) -> subprocess.CompletedProcess:
    """`subprocess.run` for a child that must not outlive this command, nor leave anything it
    started running: see the module's docstring. A timeout ends the group the same way, then
    raises subprocess.TimeoutExpired."""
    if input is not None:
        popen["stdin"] = subprocess.PIPE
    if capture_output:
        popen["stdout"] = popen["stderr"] = subprocess.PIPE
    with subprocess.Popen(command, process_group=0, preexec_fn=_dies_with(os.getpid()),
                          **popen) as child:
        try:
            stdout, stderr = child.communicate(input, timeout=timeout)
        except BaseException:
            end_group(child)
            raise
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr)


def end_group(child: subprocess.Popen) -> None:
    """SIGTERM to the child's process group, SIGKILL after GRACE_SECONDS; waits for the
    child."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(GRACE_SECONDS)
    except ProcessLookupError:
        pass  # the group is gone already
    except subprocess.TimeoutExpired:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    child.wait()


def _dies_with(parent: int) -> Callable[[], None]:
    """What a child runs before its program: the kernel sends it SIGTERM when `parent` dies;
    if it died already (before the request), the child goes at once."""
    libc = ctypes.CDLL(None) if sys.platform.startswith("linux") else None  # loaded here

    def request() -> None:
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os._exit(1)
    return request
