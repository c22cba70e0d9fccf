"""The spreadsheet helpers: text that could start a formula is neutralised, numbers are left alone."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from mediation.domain import tabular


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "\nx", "＝1+1", "＋1", "－1", "＠A1"])
def test_csv_neutralises_formula_triggers(text: str) -> None:
    assert tabular.neutralise(text) == "'" + text
    raw = tabular.csv_bytes([[text, 5, Decimal("1.50"), None]])
    assert next(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))) == ["'" + text, "5", "1.50", ""]


@pytest.mark.parametrize("value", ["南湖区", "2026-05", "330402", 5, Decimal("-3.00"), None, ""])
def test_ordinary_values_are_unchanged(value: object) -> None:
    assert tabular.neutralise(value) == value


def test_xlsx_cells_are_strings_never_formulas() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    tabular.append_row(ws, ["=HYPERLINK(\"http://x\")", "普通", 3, Decimal("2.50")])
    out = io.BytesIO()
    wb.save(out)
    ws2 = load_workbook(io.BytesIO(out.getvalue())).active
    assert ws2 is not None
    a, b, c, d = ws2[1]
    assert (a.data_type, a.value, a.quotePrefix) == ("s", "=HYPERLINK(\"http://x\")", True)
    assert (b.data_type, b.quotePrefix) == ("s", False)
    assert c.data_type == "n" and d.data_type == "n"
