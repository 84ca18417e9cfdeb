"""Where reportgen keeps things on disk, and the one way it writes a file: atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import platformdirs


def cache_root() -> Path:
    """The cache folder: $REPORTGEN_CACHE, else the platform's user cache folder."""
    configured = os.environ.get("REPORTGEN_CACHE")
    return Path(configured) if configured else Path(platformdirs.user_cache_dir("reportgen"))


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
