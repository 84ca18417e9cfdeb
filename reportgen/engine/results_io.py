"""Result dataclasses to and from bytes without pickle: arrays in an .npz, the rest as JSON."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import numpy as np

_META = "__meta__"


class CorruptResult(Exception):
    """Stored bytes that do not decode to the expected result."""


def result_to_bytes(result, extra: dict | None = None) -> bytes:
    arrays, plain = {}, {}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, np.ndarray):
            arrays[field.name] = value
        else:
            plain[field.name] = value
    meta = {"type": type(result).__name__, "fields": plain, "extra": extra or {}}
    encoded = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{_META: encoded})
    return buffer.getvalue()


def result_from_bytes(raw: bytes, result_type: type):
    """Decode and check every field is there; returns (result, extra)."""
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            meta = json.loads(npz[_META].tobytes().decode())
            arrays = {name: npz[name] for name in npz.files if name != _META}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise CorruptResult(str(exc)) from None
    if meta.get("type") != result_type.__name__:
        raise CorruptResult(f"holds a {meta.get('type')}, not a {result_type.__name__}")
    values = {**meta["fields"], **arrays}
    expected = {field.name for field in dataclasses.fields(result_type)}
    if set(values) != expected:
        raise CorruptResult(f"fields {sorted(set(values) ^ expected)} differ")
    return result_type(**values), meta["extra"]
