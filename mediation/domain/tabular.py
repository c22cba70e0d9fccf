"""Spreadsheet exports that never turn typed text into formulas (CSV / formula injection, CWE-1236).

Names of enterprises, organisations and people are typed by users; a name such as ``=HYPERLINK(…)`` or
``@SUM(…)`` must reach the supervisor's spreadsheet as the text it is, never as a live formula:

- CSV: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed (or their
  full-width forms, which some spreadsheet programs also accept) is prefixed with a single quote ``'`` — the
  convention spreadsheet programs show as "this is text". Numbers stay numbers.
- XLSX: every text cell is written as a string (``data_type`` ``s``) with Excel's "quote prefix" style, so it
  is shown as text and stays text when the cell is edited; no text is ever written as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

#: First characters that make a spreadsheet program read a cell as a formula (or split it).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(value: Any) -> Any:
    """A CSV cell: text that could start a formula gets a leading ``'``; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_bytes(rows: Iterable[Sequence[Any]], *, bom: bool = True) -> bytes:
    """Rows as CSV (UTF-8, with a byte-order mark so that Excel opens Chinese text correctly), text neutralised
    and ``None`` written as an empty cell."""
    buf = io.StringIO()
    w = csv.writer(buf)
    for row in rows:
        w.writerow(["" if v is None else neutralise(v) for v in row])
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def append_row(ws: Any, values: Sequence[Any]) -> int:
    """Append ``values`` to an openpyxl worksheet, every ``str`` as a text cell (never a formula); returns
    the row number."""
    ws.append(list(values))
    row = ws.max_row
    for i, v in enumerate(values, start=1):
        if isinstance(v, str):
            cell = ws.cell(row=row, column=i)
            cell.value = v
            cell.data_type = "s"
            if v.startswith(FORMULA_TRIGGERS):
                cell.quotePrefix = True
    return row
