"""The risk and hotspot API over HTTP: behaviour, and role × endpoint × organisation."""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Enterprise
from mediation.risk import signals
from mediation.risk.rules import DEFAULT_RULES_JSON
from tests.factories import World, application
from tests.fixtures import Api
from tests.helpers import signal_data

ROLES = ["clerk", "mediator", "outsider", "supervisor", "city_supervisor", "admin", "anonymous"]
SUPERVISORS_ONLY = {"clerk": 403, "mediator": 403, "outsider": 403, "supervisor": 200, "city_supervisor": 200,
                    "admin": 200, "anonymous": 401}
ANY_USER = {r: (401 if r == "anonymous" else 200) for r in ROLES}
OWN_SIGNAL = {"clerk": 200, "mediator": 200, "outsider": 404, "supervisor": 200, "city_supervisor": 200,
              "admin": 200, "anonymous": 401}
OWN_ENTERPRISE = {"clerk": 200, "mediator": 200, "outsider": 403, "supervisor": 200, "city_supervisor": 200,
                  "admin": 200, "anonymous": 401}
ADMIN_ONLY_WRITE = {"clerk": 403, "mediator": 403, "outsider": 403, "supervisor": 403, "city_supervisor": 403,
                    "admin": 201, "anonymous": 401}


def _user(world: World, role: str) -> Any:
    return None if role == "anonymous" else getattr(world, role)


@pytest.fixture
def seeded(db: Session, world: World) -> dict[str, Any]:
    s, _ = signals.record_signal(db, actor=world.actor(world.clerk), data=signal_data(world))
    own = svc.create_case(db, actor=world.actor(world.clerk), data=application(world), env=world.env)
    other_ent = Enterprise(name="秀洲某纺织厂", industry="C", ownership="private", region_code="330411")
    db.add(other_ent)
    db.commit()
    svc.create_case(db, actor=world.actor(world.outsider),
                    data=application(world, organisation_id=world.other_county.id, enterprise_id=other_ent.id),
                    env=world.env)
    return {"signal": s, "case": own}


def test_signal_intake_to_case_over_http(api: Api, world: World) -> None:
    clerk = api.as_(world.clerk)
    r = clerk.post("/api/v1/risk/signals", json=signal_data(world))
    assert r.status_code == 201, r.json
    body = r.json
    assert body["status"] == "open" and body["wage_arrears_amount"] == "450000.00"
    assert body["assessment"]["level"] == "orange" and body["assessment"]["alert_id"] is not None
    assert body["assessment"]["explanation"]["hits"][0]["indicator"] == "wage_arrears_months"
    sid = body["id"]

    bad = clerk.post("/api/v1/risk/signals", json=signal_data(world, source="gossip", workers_affected=-3))
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert set(bad.json["errors"]) == {"source", "workers_affected"}

    assert clerk.get("/api/v1/risk/signals").json["total"] == 1
    assert clerk.get(f"/api/v1/risk/signals/{sid}").json["reporter_name"] == "李网格员"

    r = api.as_(world.mediator).post(f"/api/v1/risk/signals/{sid}/case",
                                     json={"title": "精密机械欠薪风险", "common_claim": "支付拖欠的工资"})
    assert r.status_code == 201, r.json
    assert r.json["status"] == "reported" and r.json["title"] == "精密机械欠薪风险"
    assert r.headers["Location"] == f"/api/v1/cases/{r.json['id']}"
    assert clerk.get(f"/api/v1/risk/signals/{sid}").json["case_id"] == r.json["id"]
    again = api.as_(world.mediator).post(f"/api/v1/risk/signals/{sid}/case", json={})
    assert again.status_code == 422 and "不能再立案" in again.json["detail"]

    risk = api.as_(world.mediator).get(f"/api/v1/risk/enterprises/{world.enterprise.id}")
    assert risk.status_code == 200
    # the case is a collective dispute of 30 workers with a common claim: an open one adds 30 points, orange → red
    assert risk.json["level"] == "red"
    assert [h["to_level"] for h in risk.json["history"]] == ["red", "orange"]
    assert risk.json["indicators"]["wage_arrears_months"] == 1.5


def test_alert_inbox_acknowledge_report(api: Api, world: World, seeded: dict[str, Any]) -> None:
    sup = api.as_(world.supervisor)
    inbox = sup.get("/api/v1/risk/alerts?status=open")
    assert inbox.status_code == 200 and inbox.json["total"] == 1
    alert = inbox.json["items"][0]
    assert alert["kind"] == "level_raised" and alert["level"] == "orange" and not alert["report_overdue"]
    r = sup.post(f"/api/v1/risk/alerts/{alert['id']}/acknowledge", json={"note": "已电话联系企业"})
    assert r.status_code == 200 and r.json["status"] == "acknowledged"
    r = sup.post(f"/api/v1/risk/alerts/{alert['id']}/report", json={})
    assert r.status_code == 422
    r = sup.post(f"/api/v1/risk/alerts/{alert['id']}/report", json={"actions": "约谈企业负责人，督促补发工资"})
    assert r.status_code == 200 and r.json["status"] == "reported"
    report = api.as_(world.city_supervisor).get(f"/api/v1/risk/alerts/{alert['id']}/report")
    assert report.status_code == 200
    assert report.json["enterprise"]["name"] == world.enterprise.name
    assert report.json["location"]["park"]["name"] == world.park.name
    assert report.json["actions"].startswith("约谈") and report.json["workers_involved"] == 30
    assert report.json["signals"][0]["observed_at"].startswith("20")  # ISO dates inside the report
    # the other county's supervisor-level users don't see it
    assert api.as_(world.outsider).get(f"/api/v1/risk/alerts/{alert['id']}").status_code == 403


def test_rules_read_try_and_save(api: Api, world: World, seeded: dict[str, Any]) -> None:
    r = api.as_(world.city_supervisor).get("/api/v1/risk/rules")
    assert r.status_code == 200 and r.json["version"] == 1 and r.json["versions"][0]["builtin"] is True
    assert r.json["rules"]["levels"] == {"blue": 15, "yellow": 30, "orange": 50, "red": 75}
    candidate = copy.deepcopy(dict(DEFAULT_RULES_JSON))
    candidate["levels"] = {"blue": 10, "yellow": 20, "orange": 30, "red": 40}
    dry = api.as_(world.city_supervisor).post("/api/v1/risk/rules/dry-run", json={
        "rules": candidate, "from": "2026-01-01", "to": "2026-12-31"})
    assert dry.status_code == 200, dry.json
    assert set(dry.json) >= {"candidate", "current", "difference", "recorded_alerts"}
    saved = api.as_(world.admin).post("/api/v1/risk/rules", json={"rules": candidate, "note": "试行收紧"})
    assert saved.status_code == 201 and saved.json["version"] == 2 and saved.json["status"] == "active"
    assert api.as_(world.city_supervisor).get("/api/v1/risk/rules").json["version"] == 2
    bad = api.as_(world.admin).post("/api/v1/risk/rules", json={"rules": {**candidate, "levels": {
        "blue": 50, "yellow": 20, "orange": 30, "red": 40}}, "note": "错误"})
    assert bad.status_code == 422


def test_hotspots_over_http(api: Api, world: World, seeded: dict[str, Any]) -> None:
    sup = api.as_(world.city_supervisor)
    r = sup.get("/api/v1/hotspots?by=county")
    assert r.status_code == 200, r.json
    assert {row["key"]: row["cases"] for row in r.json["rows"]} == {"330402": 1, "330411": 1}
    assert r.json["total"]["cases"] == 2
    drill = r.json["rows"][0]["drill"]
    assert drill["by"] == "park"
    cases = sup.get("/api/v1/hotspots/cases", query_string=drill["filter"])
    assert cases.status_code == 200 and cases.json["total"] == 1
    assert sup.get("/api/v1/hotspots?by=month").json["window"]["grain"] == "month"
    assert sup.get("/api/v1/hotspots/ranking?by=open_cases").status_code == 200
    assert sup.get("/api/v1/hotspots/early").status_code == 200
    warn = sup.get("/api/v1/hotspots/warnings?region=330400")
    assert warn.status_code == 200 and warn.json["available"] and warn.json["by"] == "county"
    levels = {i["key"]: i["red"] + i["orange"] + i["yellow"] for i in warn.json["items"]}
    assert sum(levels.values()) == warn.json["total"]["red"] + warn.json["total"]["orange"] + \
        warn.json["total"]["yellow"]
    missing = sup.get("/api/v1/hotspots/warnings")
    assert missing.status_code == 422 and "region" in missing.json["errors"]
    bad = sup.get("/api/v1/hotspots?by=street")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"

    csv_ = sup.get("/api/v1/hotspots/export.csv?by=county")
    assert csv_.status_code == 200 and csv_.mimetype == "text/csv"
    assert csv_.data.decode("utf-8-sig").splitlines()[1].startswith("代码,区县,案件数")
    xlsx = sup.get("/api/v1/hotspots/export.xlsx?by=county")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    from openpyxl import load_workbook

    assert load_workbook(io.BytesIO(xlsx.data)).active["B2"].value == "区县"  # type: ignore[index]


def test_a_supervisor_sees_only_their_subtree(api: Api, world: World, seeded: dict[str, Any]) -> None:
    sup = api.as_(world.supervisor)
    r = sup.get("/api/v1/hotspots?by=county")
    assert [row["key"] for row in r.json["rows"]] == ["330402"]
    assert sup.get(f"/api/v1/hotspots?organisation_id={world.other_county.id}").status_code == 404
    assert sup.get(f"/api/v1/hotspots/cases?organisation_id={world.city.id}").status_code == 404
    listed = sup.get("/api/v1/hotspots/cases?per_page=100").json
    assert [c["id"] for c in listed["items"]] == [seeded["case"].id]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/hotspots?by=county", SUPERVISORS_ONLY),
        ("/api/v1/hotspots/cases", SUPERVISORS_ONLY),
        ("/api/v1/hotspots/ranking", SUPERVISORS_ONLY),
        ("/api/v1/hotspots/early", SUPERVISORS_ONLY),
        ("/api/v1/hotspots/warnings?region=330400", SUPERVISORS_ONLY),
        ("/api/v1/hotspots/export.csv?by=county", SUPERVISORS_ONLY),
        ("/api/v1/hotspots/export.xlsx?by=county", SUPERVISORS_ONLY),
        ("/api/v1/risk/alerts", SUPERVISORS_ONLY),
        ("/api/v1/risk/rules", SUPERVISORS_ONLY),
        ("/api/v1/risk/signals", ANY_USER),
        ("/api/v1/risk/signals/{signal}", OWN_SIGNAL),
        ("/api/v1/risk/enterprises/{enterprise}", OWN_ENTERPRISE),
    ],
)
def test_role_by_endpoint(api: Api, world: World, seeded: dict[str, Any], role: str, path: str,
                          expected: dict[str, int]) -> None:
    url = path.format(signal=seeded["signal"].id, enterprise=world.enterprise.id)
    r = api.as_(_user(world, role)).get(url)
    assert r.status_code == expected[role], (role, url, r.get_data(as_text=True)[:300])
    if r.status_code >= 400:
        assert r.mimetype == "application/problem+json"
        assert "李网格员" not in r.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_save_rules(api: Api, world: World, role: str) -> None:
    r = api.as_(_user(world, role)).post("/api/v1/risk/rules", json={"rules": DEFAULT_RULES_JSON, "note": "复核"})
    assert r.status_code == ADMIN_ONLY_WRITE[role], (role, r.json)


@pytest.mark.parametrize("role", ROLES)
def test_signal_writes_by_role(api: Api, world: World, seeded: dict[str, Any], role: str) -> None:
    r = api.as_(_user(world, role)).post("/api/v1/risk/signals", json=signal_data(world))
    expected = {"clerk": 201, "mediator": 201, "outsider": 403, "supervisor": 201, "city_supervisor": 201,
                "admin": 201, "anonymous": 401}
    assert r.status_code == expected[role], (role, r.json)
    sid = seeded["signal"].id
    r = api.as_(_user(world, role)).post(f"/api/v1/risk/signals/{sid}/resolve",
                                         json={"outcome": "dismissed", "note": "经核实不属实"})
    expected = {**OWN_SIGNAL, "anonymous": 401}
    assert r.status_code == expected[role], (role, r.json)
