"""Hostile or absurd input over HTTP is a 4xx problem naming what is wrong, never a 5xx, and writes nothing
(security item 7: the fuzzer's and the hand probes' findings, each as a regression test)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.db.models import Case, Enterprise
from tests.factories import World, application
from tests.fixtures import Api

PROBLEM = "application/problem+json"


def _counts(db: Session) -> tuple[int, int]:
    db.expire_all()
    return (db.scalar(select(func.count()).select_from(Case)) or 0,
            db.scalar(select(func.count()).select_from(Enterprise)) or 0)


def _raw(api: Api, world: World, url: str, body: str | bytes) -> Any:
    return api.as_(world.clerk).post(url, data=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("body", [
    "[" * 1500 + "]" * 1500,
    '{"title": ' + '{"a": ' * 1200 + "1" + "}" * 1200 + "}",
    '{"title": "x", "parties": ' + "[" * 40 + "]" * 40 + "}",  # deeper than any input of this API
], ids=["array-1500", "object-1200", "nested-40"])
def test_deeply_nested_json_is_a_400(api: Api, world: World, db: Session, body: str) -> None:
    before = _counts(db)
    r = _raw(api, world, "/api/v1/cases/", body)
    assert r.status_code == 400 and r.mimetype == PROBLEM, r.get_data(as_text=True)[:300]
    assert "嵌套" in r.json["detail"] and "json" in r.json["errors"]
    assert _counts(db) == before


@pytest.mark.parametrize("url,body", [
    ("/api/v1/enterprises", '{"name": "\\ud800"}'),
    ("/api/v1/enterprises", '{"name": "ok", "\\udfff": 1}'),
    ("/api/v1/cases/", '{"title": "a\\ud800b", "category": "remuneration"}'),
])
def test_lone_surrogates_are_a_400(api: Api, world: World, db: Session, url: str, body: str) -> None:
    before = _counts(db)
    r = _raw(api, world, url, body)
    assert r.status_code == 400 and r.mimetype == PROBLEM, r.get_data(as_text=True)[:300]
    assert "Unicode" in r.json["detail"]
    assert _counts(db) == before


@pytest.mark.parametrize("url,body", [
    ("/api/v1/enterprises", '{"name": "x", "park_id": ' + "9" * 5000 + "}"),
    ("/api/v1/risk/signals", '{"enterprise_id": 1, "source": "screening", "wage_arrears_amount": ' + "9" * 5000 + "}"),
    ("/api/v1/risk/signals", '{"enterprise_id": 1, "source": "screening", "wage_arrears_amount": 9.' + "9" * 5000
     + "}"),
    ("/api/v1/enterprises", '{"name": "x", "employees": NaN}'),
])
def test_huge_numbers_and_nan_are_a_400(api: Api, world: World, db: Session, url: str, body: str) -> None:
    before = _counts(db)
    r = _raw(api, world, url, body)
    assert r.status_code == 400 and r.mimetype == PROBLEM, r.get_data(as_text=True)[:300]
    assert _counts(db) == before


def test_if_match_with_five_thousand_digits_is_a_conflict(api: Api, world: World, db: Session) -> None:
    case = api.as_(world.clerk).post("/api/v1/cases/", json=application(world)).json
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case['id']}/transitions",
                                     json={"event": "accept", "payload": {}}, headers={"If-Match": "9" * 5000})
    assert r.status_code in (409, 412, 422) and r.mimetype == PROBLEM


@pytest.mark.parametrize("url", [
    "/api/v1/hotspots?from=0001-01-01&to=9999-12-31",
    "/api/v1/hotspots?by=week&from=0001-01-01&to=9999-12-31",
    "/api/v1/hotspots?by=month&to=9999-12-31",
    "/api/v1/hotspots/cases?from=0001-01-01&to=9999-12-31",
    "/api/v1/hotspots/early?from=0001-01-01&to=9999-12-31",
    "/api/v1/hotspots/export.csv?from=0001-01-01&to=9999-12-31",
    "/api/v1/hotspots/export.xlsx?to=9999-12-31",
])
def test_absurd_report_windows_are_a_422_naming_the_field(api: Api, world: World, url: str) -> None:
    r = api.as_(world.supervisor).get(url)
    assert r.status_code == 422 and r.mimetype == PROBLEM, r.get_data(as_text=True)[:300]
    assert set(r.json["errors"]) <= {"from", "to"} and r.json["errors"]
    assert "1900" in str(r.json["errors"])


def test_simulation_window_with_absurd_dates_is_a_422(api: Api, world: World) -> None:
    from mediation.risk.rules import DEFAULT_RULES_JSON

    r = api.as_(world.admin).post("/api/v1/risk/rules/dry-run", json={
        "rules": DEFAULT_RULES_JSON, "from": "0001-01-01", "to": "0001-12-31"})
    assert r.status_code == 422 and "from" in r.json["errors"], r.get_data(as_text=True)[:300]


def test_empty_uscc_twice_is_no_uscc(api: Api, world: World, db: Session) -> None:
    clerk = api.as_(world.clerk)
    for i in range(3):
        r = clerk.post("/api/v1/enterprises", json={"name": f"无代码企业{i}", "uscc": "" if i < 2 else "  "})
        assert r.status_code == 201, r.get_data(as_text=True)
        assert r.json["uscc"] is None


def test_duplicate_uscc_is_a_conflict_not_a_crash(api: Api, world: World, db: Session) -> None:
    from mediation.domain.uscc import make_uscc

    code = make_uscc("9", "1", "330402", "MA2B1234")
    clerk = api.as_(world.clerk)
    assert clerk.post("/api/v1/enterprises", json={"name": "甲", "uscc": code}).status_code == 201
    before = _counts(db)
    r = clerk.post("/api/v1/enterprises", json={"name": "乙", "uscc": code.lower()})
    assert r.status_code == 409 and r.mimetype == PROBLEM
    assert _counts(db) == before


def test_integrity_errors_from_the_database_are_409(api: Api, world: World, db: Session, monkeypatch: Any) -> None:
    """A constraint the view did not check first (a race between two requests) is a 409, and nothing is kept."""
    from mediation.domain.uscc import make_uscc

    code = make_uscc("9", "1", "330402", "MA2B5678")
    db.add(Enterprise(name="先登记的", uscc=code))
    db.commit()
    from api.rest import reference

    real_select = reference.select
    calls = {"n": 0}

    def blind_select(*args: Any) -> Any:  # the view's duplicate check sees nothing, as in a race
        calls["n"] += 1
        stmt = real_select(*args)
        return stmt.where(False) if args and args[0] is Enterprise.id else stmt

    monkeypatch.setattr(reference, "select", blind_select)
    before = _counts(db)
    r = api.as_(world.clerk).post("/api/v1/enterprises", json={"name": "后登记的", "uscc": code})
    assert r.status_code == 409 and r.mimetype == PROBLEM and r.json["code"] == "integrity_conflict", r.json
    assert _counts(db) == before


@pytest.mark.parametrize("where", ["json", "query"])
def test_nul_characters_are_a_422(api: Api, world: World, db: Session, where: str) -> None:
    before = _counts(db)
    if where == "json":
        r = api.as_(world.clerk).post("/api/v1/cases/", json=application(world, title="工资\u0000争议"))
    else:
        r = api.as_(world.clerk).get("/api/v1/enterprises?q=%00")
    assert r.status_code == 422 and r.mimetype == PROBLEM
    assert _counts(db) == before


@pytest.mark.parametrize("method,url,body", [
    ("post", "/api/v1/cases/", {"title": "", "received_on": "0001-01-01"}),
    ("delete", "/api/v1/cases/1/parties/1", None),
    ("post", "/api/v1/enterprises", {"name": "\u0000"}),
    ("get", "/api/v1/hotspots?from=0001-01-01", None),
])
def test_anonymous_calls_are_401_before_any_validation(client: Any, method: str, url: str, body: Any) -> None:
    """Without credentials the answer is 401, not a validation error or a precondition (schemathesis ST203)."""
    r = getattr(client, method)(url, json=body) if body is not None else getattr(client, method)(url)
    assert r.status_code == 401 and r.mimetype == PROBLEM, r.get_data(as_text=True)[:300]


def test_a_deadlock_is_a_409_to_retry_not_a_5xx(api: Api, world: World, db: Session, monkeypatch: Any) -> None:
    """PostgreSQL rolling a transaction back for a concurrent one (deadlock 40P01, serialization 40001) is a 409
    with Retry-After: nothing was written and the same request may be sent again (found by schemathesis)."""
    from sqlalchemy.exc import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    from api.rest import reference

    def deadlocked(*_a: Any, **_k: Any) -> Any:
        raise OperationalError("INSERT …", {}, Deadlock("deadlock detected"))

    monkeypatch.setattr(reference, "ensure_region", deadlocked, raising=False)
    from mediation.accounts import organisations

    monkeypatch.setattr(organisations, "ensure_region", deadlocked)
    before = _counts(db)
    r = api.as_(world.clerk).post("/api/v1/enterprises", json={"name": "甲公司", "region_code": "330402"})
    assert r.status_code == 409 and r.mimetype == PROBLEM and r.json["code"] == "concurrent_update", r.json
    assert r.headers["Retry-After"] == "1"
    assert _counts(db) == before


@pytest.mark.parametrize("body", ["[1]", '["sha256"]', '[["sha256", "0"]]', "1", '"abc"'])
def test_a_verification_body_that_is_no_object_is_a_422(api: Api, world: World, agreed: Case, body: str) -> None:
    """schemathesis (every role): a JSON list as the body of ``…/verify`` was a 500 (the input was turned into a
    dict before its schema saw it). Now it is a 422 problem saying the body must be an object."""
    r = api.as_(world.mediator).post(f"/api/v1/cases/{agreed.id}/documents/1/verify", data=body,
                                     headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.mimetype == PROBLEM, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.json["errors"] == {"_schema": ["请求内容应为 JSON 对象"]}
