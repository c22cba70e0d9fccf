"""Hostile or absurd input in the web UI's forms and URLs: a 4xx (a Chinese page or a problem), never a 5xx,
nothing written (security item 7; NUL matters most on PostgreSQL, whose text cannot hold it)."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.db.models import Case
from tests.api.ui.test_ui_pages import login
from tests.factories import World


def _cases(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Case)) or 0


def _intake(token: str, **extra: str) -> dict[str, str]:
    return {"csrf_token": token, "source": "walk_in_written", "category": "remuneration", "worker_name": "李四",
            "worker_phone": "13812345678", "employer_name": "某公司", "title": "工资争议", **extra}


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_nul_in_a_form_is_refused_and_nothing_written(client: FlaskClient, db: Session, world: World,
                                                       encoding: str) -> None:
    token = login(client, world.clerk.username)
    before = _cases(db)
    data = _intake(token, facts="拖欠\x00工资")
    if encoding == "multipart":
        r = client.post("/ui/intake", data={**data, "attachment": (io.BytesIO(b"x"), "a.txt")},
                        content_type="multipart/form-data")
    else:
        r = client.post("/ui/intake", data=data)
    assert 400 <= r.status_code < 500, r.get_data(as_text=True)[:300]
    assert _cases(db) == before


def test_nul_in_a_page_url_is_refused(client: FlaskClient, world: World) -> None:
    login(client, world.supervisor.username)
    r = client.get("/ui/dashboard?region=33%0004")
    assert 400 <= r.status_code < 500


@pytest.mark.parametrize("field,value", [
    ("workers_count", "9" * 5000), ("workers_count", "²"), ("enterprise_id", "9" * 40), ("enterprise_id", "³"),
])
def test_absurd_numbers_in_the_intake_form_are_no_crash(client: FlaskClient, db: Session, world: World, field: str,
                                                         value: str) -> None:
    token = login(client, world.clerk.username)
    r = client.post("/ui/intake", data=_intake(token, **{field: value}))
    assert r.status_code < 500, r.get_data(as_text=True)[:300]


@pytest.mark.parametrize("query", ["from=0001-01&to=9999-12", "to=9999-12-31", "from=0001-01-01"])
def test_absurd_dashboard_windows_fall_back_to_the_default(client: FlaskClient, world: World, query: str) -> None:
    login(client, world.supervisor.username)
    assert client.get(f"/ui/dashboard?{query}").status_code == 200
    assert client.get(f"/ui/dashboard/export.csv?{query}").status_code == 200


def test_calculator_refuses_a_wage_with_more_than_two_decimals(client: FlaskClient, world: World) -> None:
    token = login(client, world.mediator.username)
    r = client.post("/ui/calculator", data={"csrf_token": token, "kind": "compensation",
                                            "calc_monthly_wage": "8000.001", "calc_start": "2020-01-01",
                                            "calc_end": "2025-06-30"})
    assert r.status_code == 422 and "两位小数" in r.get_data(as_text=True)
