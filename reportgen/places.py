"""Where reportgen keeps what it makes for itself: the cache folder, which may never lie inside
an archive (its layout is the archive's to recognize, its writing the storage's)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from reportgen.archive import refuse_inside_archive
from reportgen.errors import ReportgenError
from reportgen.storage import writable_folder


def cache_root() -> Path:
    """The cache folder, made if missing: $REPORTGEN_CACHE, else (unset) the user's cache
    folder; set but empty is refused, never read as unset."""
    configured = os.environ.get("REPORTGEN_CACHE")
    if configured is not None and not configured.strip():  # set, but to nothing: a mistake
        raise ReportgenError("$REPORTGEN_CACHE is set but empty: set it to a folder, or unset"
                             " it to use the user's cache folder")
    if configured:
        what = f"the cache folder $REPORTGEN_CACHE={configured}"
        return writable_folder(refuse_inside_archive(Path(configured), what), what)
    default = Path(platformdirs.user_cache_dir("reportgen"))
    what = f"the cache folder {default} (set $REPORTGEN_CACHE)"
    return writable_folder(refuse_inside_archive(default, what), what)
