"""QA #13 (risk-signal reporters masked like parties, reads recorded) and #20 (double-wage calculator
dates; collective-dispute alerts without an enterprise have a sensible level label)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models_access import PersonalDataAccess
from mediation.db.models_risk import RiskAlert
from mediation.domain.calculators import double_wage_no_contract
from mediation.domain.clock import china_today
from mediation.risk import alerts, signals
from tests.factories import World, new_case
from tests.fixtures import Api
from tests.helpers import csrf_token, signal_data, ui_get

UNMASKED = {"clerk": True, "mediator": True, "supervisor": False, "city_supervisor": False, "admin": False}


def _reads(db: Session, signal_id: int) -> list[PersonalDataAccess]:
    return list(db.scalars(select(PersonalDataAccess).where(PersonalDataAccess.signal_id == signal_id)).all())


@pytest.mark.parametrize("role", sorted(UNMASKED))
def test_signal_reporter_is_masked_by_role_and_unmasked_reads_are_recorded(api: Api, db: Session, world: World,
                                                                           role: str) -> None:
    s, _ = signals.record_signal(db, actor=world.actor(world.clerk),
                                 data=signal_data(world, reporter_name="李四", reporter_phone="13700001234"))
    who = api.as_(getattr(world, role))
    listed = who.get("/api/v1/risk/signals")
    assert listed.status_code == 200
    one = who.get(f"/api/v1/risk/signals/{s.id}")
    assert one.status_code == 200
    for body in (listed.json["items"][0], one.json):
        if UNMASKED[role]:
            assert (body["reporter_name"], body["reporter_phone"], body["masked"]) == ("李四", "13700001234", False)
        else:
            assert (body["reporter_name"], body["reporter_phone"], body["masked"]) == ("李*", "137****1234", True)
    reads = _reads(db, s.id)
    if UNMASKED[role]:
        user = getattr(world, role)
        assert {(r.user_id, r.endpoint) for r in reads} == {(user.id, "risk_signals"), (user.id, "risk_signal")}
        assert all(r.case_id is None and r.fields == ["reporter_name", "reporter_phone"] for r in reads)
    else:
        assert reads == []


def test_signal_write_responses_mask_the_reporter(api: Api, world: World) -> None:
    r = api.as_(world.clerk).post("/api/v1/risk/signals", json=signal_data(world, reporter_name="王五"))
    assert r.status_code == 201, r.json
    assert r.json["reporter_name"] == "王*" and r.json["masked"] is True


def test_double_wage_end_before_start_is_an_error_like_compensation() -> None:
    with pytest.raises(ValueError, match="不能早于"):
        double_wage_no_contract(monthly_wage=Decimal("6000"), employment_start=dt.date(2025, 5, 1),
                                contract_signed_on=None, until=dt.date(2025, 1, 1))


def test_double_wage_end_before_start_in_the_calculator_page(world: World, client: Any) -> None:
    r = ui_get(client, world.mediator, "/ui/calculator")
    token = csrf_token(r)
    r = client.post("/ui/calculator", data={"csrf_token": token, "calc_kind": "double_wage",
                                            "calc_monthly_wage": "6000", "calc_start": "2025-05-01",
                                            "calc_end": "2025-01-01"})
    assert r.status_code == 422
    assert "计算截止日期不能早于用工之日" in r.get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    ({"calc_kind": "compensation", "calc_monthly_wage": "六千", "calc_start": "2022-03-01", "calc_end": "2025-09-30"},
     "月工资应填写阿拉伯数字，如 6000（“六千”无法识别）"),
    ({"calc_kind": "compensation", "calc_monthly_wage": "8000", "calc_start": "2022-3-1", "calc_end": ""},
     "请填写离职日期"),
    ({"calc_kind": "unpaid_wages", "calc_monthly_wage": "6000"}, "请填写拖欠的月数或天数"),
    ({"calc_kind": "penalty", "calc_unpaid": "12000", "calc_rate": "30"}, "加付比例应在50%至100%之间"),
])
def test_calculator_names_every_bad_field_and_shows_no_old_result(world: World, client: Any, data: dict[str, str],
                                                                  message: str) -> None:
    token = csrf_token(ui_get(client, world.mediator, "/ui/calculator"))
    # htmx asks for the fragment: the answer is 200 so that the error replaces any earlier result
    r = client.post("/ui/calculator", data={"csrf_token": token, **data}, headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and message in html and "参考金额" not in html and 'role="alert"' in html


def test_calculator_fragments_for_the_agreement_form(world: World, client: Any) -> None:
    token = csrf_token(ui_get(client, world.mediator, "/ui/calculator"))
    r = client.post("/ui/calculator", headers={"HX-Request": "true"}, data={
        "csrf_token": token, "calc_embedded": "1", "calc_kind": "unpaid_wages", "calc_monthly_wage": "６,０００",
        "calc_months": "2", "calc_days": "10", "calc_paid": "1000"})
    html = r.get_data(as_text=True)
    assert "参考金额：13,758.62元" in html and 'data-claim-type="wages"' in html
    assert 'data-description="支付拖欠工资"' in html
    assert "第八十五条" in html  # the note pointing to the additional compensation
    r = client.post("/ui/calculator", headers={"HX-Request": "true"}, data={
        "csrf_token": token, "calc_embedded": "1", "calc_kind": "penalty", "calc_unpaid": "12000", "calc_rate": "50"})
    html = r.get_data(as_text=True)
    assert "参考金额：6,000.00元" in html and "《劳动合同法》第八十五条" in html and 'data-claim-type="damages"' in html


def test_collective_alert_without_an_enterprise_is_not_labelled_no_warning(db: Session, world: World) -> None:
    case = new_case(db, world, china_today(), workers_count=15, enterprise_id=None, title="十五名职工追索工资")
    [alert] = db.scalars(select(RiskAlert).where(RiskAlert.case_id == case.id)).all()
    assert alert.level == "none" and alert.kind == "collective_dispute"
    out = alerts.alert_dict(alert, china_today())
    assert out["level_label"] == alerts.COLLECTIVE_UNRATED_LABEL
    assert "无预警" not in out["level_label"]
