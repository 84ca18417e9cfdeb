"""`reportgen diff`'s text and markdown say what changed, down to a matrix's cells."""

from __future__ import annotations

from reportgen.compare import compare_records
from reportgen.report.diff import format_changes
from tests.versions import record_of


def version(matrix, accuracy):
    return record_of({"metrics": {"m.cm": matrix, "m.acc": accuracy},
                      "timings": {"wall_seconds": 1.0, "experiments": {}}})


def test_a_changed_matrix_names_the_cells_that_changed():
    old, new = version([[50, 2], [3, 45]], 0.95), version([[50, 1], [3, 46]], 0.96)
    changes = compare_records(old, new)
    text = format_changes("text", changes, "v1", "v2", new.metrics)
    assert "m.cm: 2×2 matrix -> 2×2 matrix (2 of 4 cells: [0][1] 2 → 1, [1][1] 45 → 46)" in text
    assert "m.acc: 0.9500 -> 0.9600 (+0.0100)" in text
    markdown = format_changes("markdown", changes, "v1", "v2", new.metrics)
    assert "| `m.cm` | 2×2 matrix | 2×2 matrix | 2 of 4 cells: [0][1] 2 → 1, [1][1] 45 → 46 |" \
        in markdown


def test_a_matrix_with_many_changed_cells_lists_a_few_and_counts_them_all():
    old = version([[i * 10 + j for j in range(10)] for i in range(10)], 0.9)
    new = version([[i * 10 + j + 1 for j in range(10)] for i in range(10)], 0.9)
    text = format_changes("text", compare_records(old, new), "v1", "v2", new.metrics)
    assert "(100 of 100 cells: [0][0] 0 → 1, [0][1] 1 → 2," in text
    assert ", … (100 in all))" in text


def test_a_changed_list_names_the_values_that_changed():
    old = version([[1]], [0.95, 0.94, 0.96, 0.93, 0.97])
    new = version([[1]], [0.95, 0.92, 0.96, 0.93, 0.98])
    text = format_changes("text", compare_records(old, new), "v1", "v2", new.metrics)
    assert "m.acc: 5 values -> 5 values (2 of 5 values: [1] 0.9400 → 0.9200, [4] 0.9700 →" \
           " 0.9800)" in text
