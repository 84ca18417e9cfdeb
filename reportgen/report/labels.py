"""Column headers copied onto their cells: `<td data-label="Value">`.

On a narrow screen the stylesheet stacks a wide table's rows (each cell on a line of its own)
instead of cutting them off, and a stacked cell needs its column's name beside it; CSS cannot
read a column's header, so every body cell of a table with a `<thead>` carries it as
`data-label` (shown by `td[data-label]::before` in report.css, and nowhere in print). Done once
over the rendered HTML, so every table gets it, those of a version's own partials too, without
any template repeating its headers.
"""

from __future__ import annotations

import html
import re

__all__ = ["label_cells"]

_TABLE = re.compile(r"(<table\b[^>]*>)(.*?)(</table>)", re.S | re.I)
_THEAD = re.compile(r"<thead\b.*?</thead>", re.S | re.I)
_ROW = re.compile(r"<tr\b.*?</tr>", re.S | re.I)
_CELL = re.compile(r"<(t[hd])\b([^>]*)>(.*?)</\1>", re.S | re.I)
_CELL_OPEN = re.compile(r"<(t[hd])\b([^>]*)>", re.I)
_TAG = re.compile(r"<[^>]+>")
_SPAN = re.compile(r"""\bcolspan\s*=\s*["']?(\d+)""", re.I)


def _span(attributes: str) -> int:
    match = _SPAN.search(attributes)
    return max(1, int(match.group(1))) if match else 1


def _headers(thead: str) -> list[str]:
    """The label of each column: the last header row's cells, spread over their colspans."""
    rows = _ROW.findall(thead)
    if not rows:
        return []
    labels: list[str] = []
    for _, attributes, content in _CELL.findall(rows[-1]):
        text = " ".join(html.unescape(_TAG.sub(" ", content)).split())
        labels.extend([text] * _span(attributes))
    return labels


def _label_row(row: str, labels: list[str]) -> str:
    column = 0

    def label(match: re.Match) -> str:
        nonlocal column
        tag, attributes = match.group(1), match.group(2)
        span = _span(attributes)
        here, column = column, column + span
        text = labels[here] if span == 1 and here < len(labels) else ""
        if not text or "data-label" in attributes:
            return match.group(0)
        return f'<{tag}{attributes} data-label="{html.escape(text, quote=True)}">'

    return _CELL_OPEN.sub(label, row)


def _label_table(match: re.Match) -> str:
    opening, body, closing = match.groups()
    thead = _THEAD.search(body)
    if not thead or not (labels := _headers(thead.group(0))):
        return match.group(0)
    head, rest = body[:thead.end()], body[thead.end():]
    rest = _ROW.sub(lambda row: _label_row(row.group(0), labels), rest)
    return opening + head + rest + closing


def label_cells(document: str) -> str:
    """`document` with each body cell of each table with a header row labelled by its column."""
    return _TABLE.sub(_label_table, document)
