"""Result dataclasses to and from bytes without pickle: arrays in an .npz, the rest as JSON.

The bytes carry a digest of their content (every field, array and extra), checked on read: a zip
that is valid but holds other numbers (an entry rewritten by hand or by a faulty disk, which
zip's own CRC does not catch once the zip is rewritten) is refused, not served.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile

import numpy as np

_META = "__meta__"
_DIGEST = "content_sha256"  # in the meta: the digest of everything else the bytes hold


class CorruptResult(Exception):
    """Stored bytes that do not decode to the expected result."""


def unstorable(result) -> list[str]:
    """The fields of a result the cache cannot store ("best: numpy.int64"): a field is a numpy
    array or plain JSON data (numbers, strings, booleans, None, lists and dicts of them)."""
    found = []
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, np.ndarray):
            continue
        try:
            json.dumps(value, allow_nan=True)
        except (TypeError, ValueError):
            found.append(f"{field.name}: {_kind(value)}")
    return found


def _kind(value) -> str:
    """The type a field holds, or for a list or dict, the first item's that JSON refuses."""
    items = value.values() if isinstance(value, dict) else value if isinstance(
        value, list | tuple) else None
    if items is not None:
        for item in items:
            try:
                json.dumps(item)
            except (TypeError, ValueError):
                return f"a {type(value).__name__} holding {_kind(item)}"
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else (
        kind.__qualname__)


def result_to_bytes(result, extra: dict | None = None) -> bytes:
    arrays, plain = {}, {}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, np.ndarray):
            arrays[field.name] = value
        else:
            plain[field.name] = value
    meta = json.loads(json.dumps({"type": type(result).__name__, "fields": plain,
                                  "extra": extra or {}}))  # as a reader will see it
    meta[_DIGEST] = _content_digest(meta, arrays)
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
    if not isinstance(meta, dict) or meta.get(_DIGEST) is None:
        raise CorruptResult("it carries no content digest (an older reportgen wrote it)")
    stored = meta.pop(_DIGEST)
    if stored != _content_digest(meta, arrays):
        raise CorruptResult("its content does not match its digest")
    if meta.get("type") != result_type.__name__:
        raise CorruptResult(f"holds a {meta.get('type')}, not a {result_type.__name__}")
    values = {**meta["fields"], **arrays}
    expected = {field.name for field in dataclasses.fields(result_type)}
    if set(values) != expected:
        raise CorruptResult(f"fields {sorted(set(values) ^ expected)} differ")
    return result_type(**values), meta["extra"]


def _content_digest(meta: dict, arrays: dict[str, np.ndarray]) -> str:
    """sha256 of the meta (as JSON, keys sorted) and of each array's name, dtype, shape and
    bytes, in name order."""
    digest = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"\0{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()
