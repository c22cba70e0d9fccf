"""The hotspot table as a spreadsheet: CSV (UTF-8 with BOM) and XLSX, text cells never formulas."""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mediation.domain import tabular
from mediation.risk.hotspot_query import (
    BY_LABELS,
    MEASURE_LABELS,
)

# --- export -------------------------------------------------------------------------------------------

EXPORT_COLUMNS: tuple[str, ...] = ("cases", "workers", "collective", "open_cases", "amount_claimed",
                                   "amount_recovered", "agreed", "failed", "success_rate", "overdue", "overdue_open")


def export_table(result: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["代码", BY_LABELS[result["by"]], *[MEASURE_LABELS[m] for m in EXPORT_COLUMNS]]
    rows: list[list[Any]] = []
    for r in [*result["rows"], {"key": "", "label": "合计", **result["total"]}]:
        rows.append(["" if r["key"] is None else str(r["key"]), r["label"], *[r[m] for m in EXPORT_COLUMNS]])
    return header, rows


def _title(result: Mapping[str, Any]) -> str:
    w = result["window"]
    return f"{result['scope']['label']} 劳动争议热点（按{BY_LABELS[result['by']]}，{w['from']}至{w['to']}）"


def to_csv(result: Mapping[str, Any]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers correctly."""
    header, rows = export_table(result)
    return tabular.csv_bytes([[_title(result)], header, *rows])  # typed names never become formulas


def to_xlsx(result: Mapping[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = export_table(result)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "热点统计"
    tabular.append_row(ws, [_title(result)])  # text cells are strings, never formulas
    ws["A1"].font = Font(bold=True)
    tabular.append_row(ws, header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    money = {header.index(MEASURE_LABELS["amount_claimed"]), header.index(MEASURE_LABELS["amount_recovered"])}
    rate = header.index(MEASURE_LABELS["success_rate"])
    for r in rows:
        last = tabular.append_row(ws, [Decimal(v) if i in money else v for i, v in enumerate(r)])
        for i in money:
            ws.cell(row=last, column=i + 1).number_format = "#,##0.00"
        ws.cell(row=last, column=rate + 1).number_format = "0.0%"
    ws.column_dimensions["B"].width = 28
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
