"""Where reportgen keeps things on disk, and the one way it writes a file: atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from reportgen.errors import ReportgenError


def writable_folder(path: Path, what: str) -> Path:
    """Make sure `path` is a folder we can write in, before any long work; one-line error else.

    `what` names the folder for the user, e.g. "--reports-dir /x" or "the cache ($REPORTGEN_CACHE)".
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = tempfile.TemporaryFile(dir=path)
        probe.close()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ReportgenError(f"cannot write to {what}: {reason}; choose a folder you can write"
                             " to") from None
    return path


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """A hidden folder beside `out` to fill; its files move into `out` only when the block
    completes, so a failure or an interruption (a full disk, Ctrl-C) leaves `out` as it was
    and nothing half-written anywhere."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield staging
        for path in sorted(staging.rglob("*")):
            if path.is_file():
                target = out / path.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def replaced_folder(out: Path) -> Iterator[Path]:
    """A hidden folder beside `out` to fill, which replaces `out` whole when the block
    completes (nothing of an earlier `out` stays beside the new files); a failure or an
    interruption leaves `out` as it was."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield staging
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(staging, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Let `write` fill a temporary file beside `path`, then rename it into place.

    A reader therefore sees either the old file, no file, or the whole new file; never a part.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
