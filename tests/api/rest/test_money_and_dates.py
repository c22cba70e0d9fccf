"""Money and dates are refused rather than silently changed (security item 8): more than two decimals is an
error everywhere money is typed (0.001 was stored as 0.00), and case dates before 2008-05-01 (the LDMAL's entry
into force) or after 2099 are refused — each naming the field, nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.db.models import Case
from tests.factories import World, agreement_payload, application
from tests.fixtures import Api
from tests.helpers import TODAY, signal_data


def _cases(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Case)) or 0


@pytest.mark.parametrize("amount", ["0.001", "12.345", 0.001, "1e-3", "100000000000.01"])
def test_claim_amounts_refuse_more_than_two_decimals(api: Api, world: World, db: Session, amount: Any) -> None:
    data = application(world)
    data["claims"] = [{"claim_type": "wages", "amount": amount}]
    before = _cases(db)
    r = api.as_(world.clerk).post("/api/v1/cases/", json=data)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    [message] = r.json["errors"]["claims"]["0"]["amount"]
    assert "两位小数" in message or "1000亿" in message
    assert _cases(db) == before


@pytest.mark.parametrize("amount", ["24000", "24000.5", "24000.50", "24000.500", 24000.5])
def test_claim_amounts_in_fen_are_kept_exactly(api: Api, world: World, amount: Any) -> None:
    data = application(world)
    data["claims"] = [{"claim_type": "wages", "amount": amount}]
    r = api.as_(world.clerk).post("/api/v1/cases/", json=data)
    assert r.status_code == 201, r.json
    got = api.as_(world.mediator).get(f"/api/v1/cases/{r.json['id']}").json["claims"][0]["amount"]
    assert got in ("24000.00", "24000.50")


def test_agreement_and_signal_amounts_refuse_more_than_two_decimals(api: Api, world: World) -> None:
    clerk = api.as_(world.clerk)
    r = clerk.post("/api/v1/risk/signals", json=signal_data(world, wage_arrears_amount="450000.001"))
    assert r.status_code == 422 and "wage_arrears_amount" in r.json["errors"]
    case = clerk.post("/api/v1/cases/", json={**application(world), "respondent_consents": True}).json
    med = api.as_(world.mediator)
    case = med.post(f"/api/v1/cases/{case['id']}/transitions",
                    json={"event": "accept", "payload": {"respondent_consents": True}, "version": case["version"]})
    assert case.status_code == 200, case.json
    payload = agreement_payload(TODAY)
    payload["obligations"][0]["amount"] = "100.001"
    r = med.post(f"/api/v1/cases/{case.json['id']}/transitions",
                 json={"event": "sign_agreement", "payload": payload, "version": case.json["version"]})
    assert r.status_code == 422, r.json
    assert "两位小数" in str(r.json["errors"])


@pytest.mark.parametrize("field", ["received_on", "dispute_arose_on", "reported_on"])
@pytest.mark.parametrize("value", ["0001-01-01", "2008-04-30", "2100-01-01"])
def test_case_dates_before_the_ldmal_or_absurd_are_refused(api: Api, world: World, db: Session, field: str,
                                                            value: str) -> None:
    before = _cases(db)
    r = api.as_(world.clerk).post("/api/v1/cases/", json={**application(world), field: value})
    assert r.status_code == 422 and field in r.json["errors"], r.json
    assert "2008年5月1日" in r.json["errors"][field][0]
    assert _cases(db) == before


def test_the_first_day_of_the_ldmal_is_accepted(api: Api, world: World) -> None:
    r = api.as_(world.clerk).post("/api/v1/cases/", json={**application(world), "dispute_arose_on": "2008-05-01"})
    assert r.status_code == 201, r.json


def test_event_dates_before_the_ldmal_are_refused(api: Api, world: World) -> None:
    case = api.as_(world.clerk).post("/api/v1/cases/", json=application(world)).json
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case['id']}/transitions", json={
        "event": "accept", "payload": {"respondent_consents": True, "accepted_on": "0001-01-01"},
        "version": case["version"]})
    assert r.status_code == 422 and "accepted_on" in r.json["errors"], r.json
