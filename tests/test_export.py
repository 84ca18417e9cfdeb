"""Writing a run's files: strict JSON, and what cannot be written is named in one line."""

import json

import numpy as np
import pytest

from reportgen.errors import ReportgenError
from reportgen.export import write_json


@pytest.mark.parametrize("document, named", [
    ({"metrics": {"a.b": 1.0, "models.knn.score": float("nan")}}, "metrics.models.knn.score = nan"),
    ({"metrics": {"x.y": [1.0, float("inf")]}}, "metrics.x.y[1] = inf"),
    ({"facts": {"s": {"call": object()}}}, "facts.s.call (object)"),
])
def test_what_json_cannot_hold_is_named_and_nothing_is_written(tmp_path, document, named):
    path = tmp_path / "metrics.json"
    with pytest.raises(ReportgenError) as error:
        write_json(path, document)
    assert str(error.value).startswith(f"metrics.json cannot hold {named}:")
    assert not path.exists() and not list(tmp_path.iterdir())


def test_numpy_values_are_written_as_plain_numbers(tmp_path):
    path = tmp_path / "m.json"
    write_json(path, {"a": np.float64(1.5), "b": np.arange(3), "c": np.bool_(True)})
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [0, 1, 2], "c": True}
