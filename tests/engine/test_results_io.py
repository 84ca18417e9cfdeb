"""A result's bytes: decoded as written, or refused; never other numbers served."""

import dataclasses
import io
import json

import numpy as np
import pytest

from reportgen.engine.results_io import CorruptResult, result_from_bytes, result_to_bytes


@dataclasses.dataclass
class Scores:
    auc: float
    curve: np.ndarray


def rewritten(raw: bytes, edit) -> bytes:
    """The entry re-zipped by hand after `edit(meta, arrays)`: a valid zip, CRCs and all."""
    with np.load(io.BytesIO(raw)) as npz:
        arrays = {name: npz[name] for name in npz.files}
    meta = json.loads(arrays.pop("__meta__").tobytes())
    edit(meta, arrays)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, __meta__=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    return buffer.getvalue()


def test_a_result_comes_back_as_written():
    raw = result_to_bytes(Scores(0.9904, np.arange(4.0)), extra={"key": "k"})
    result, extra = result_from_bytes(raw, Scores)
    assert result.auc == 0.9904 and np.array_equal(result.curve, np.arange(4.0))
    assert extra == {"key": "k"}


@pytest.mark.parametrize("forge", [
    lambda meta, arrays: meta["fields"].update(auc=0.5004),
    lambda meta, arrays: arrays.update(curve=np.arange(4.0)[::-1].copy()),
    lambda meta, arrays: meta["extra"].update(key="another"),
])
def test_an_entry_rewritten_as_a_valid_zip_with_other_content_is_refused(forge):
    raw = result_to_bytes(Scores(0.9904, np.arange(4.0)), extra={"key": "k"})
    with pytest.raises(CorruptResult, match="does not match its digest"):
        result_from_bytes(rewritten(raw, forge), Scores)


def test_an_entry_without_a_digest_is_refused():
    raw = result_to_bytes(Scores(0.9904, np.arange(4.0)))
    with pytest.raises(CorruptResult, match="no content digest"):
        result_from_bytes(rewritten(raw, lambda meta, arrays: meta.pop("content_sha256")),
                          Scores)
