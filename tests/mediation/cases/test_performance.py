"""QA #4: performance payments are more than zero, at most the outstanding balance, and dated between
the agreement and today: 422 with Chinese field errors, nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Case, PerformanceRecord
from mediation.domain.errors import GuardFailed
from tests.factories import World, agreement_payload, application, drive, session_payload
from tests.fixtures import Api
from tests.helpers import TODAY
from tests.helpers import fire as _fire
from tests.helpers import refused as _refused

# --- #4 performance ---------------------------------------------------------------------------------

def test_a_payment_is_capped_at_the_outstanding_balance(db: Session, world: World, agreed: Case) -> None:
    ob = agreed.current_agreement.obligations[0]  # type: ignore[union-attr]
    pay = {"obligation_id": ob.id, "performed_on": TODAY.isoformat(), "proof": "银行回单"}
    err = _refused(db, world, agreed, "record_performance", {**pay, "amount": "50000"})
    assert err.errors["amount"] == ["登记金额50,000.00元超过该履行事项尚未履行的余额24,000.00元，请核对"]
    assert db.scalar(select(func.count()).select_from(PerformanceRecord)) == 0
    _fire(db, world, agreed, "record_performance", {**pay, "amount": "20000"})
    err = _refused(db, world, agreed, "record_performance", {**pay, "amount": "4000.01"})
    assert "余额4,000.00元" in err.errors["amount"][0]
    case = _fire(db, world, agreed, "record_performance", {**pay, "amount": "4000"})
    assert case.current_agreement.obligations[0].status == "performed"  # type: ignore[union-attr]
    # its only obligation performed, the case has nothing left to record (the workflow's guard)
    with pytest.raises(GuardFailed) as guard:
        _fire(db, world, case, "record_performance", {**pay, "amount": "1"})
    assert guard.value.blockers[0].guard == "obligation_outstanding"


@pytest.mark.parametrize(("amount", "message"), [("0", "大于0"), ("-5", "大于0"), ("0.001", "两位小数"),
                                                ("0.005", "两位小数")])
def test_a_payment_must_be_more_than_zero(db: Session, world: World, agreed: Case, amount: str, message: str) -> None:
    """More than zero, in fen: 0.001 is refused (it would have been rounded to 0.00), not stored."""
    ob = agreed.current_agreement.obligations[0]  # type: ignore[union-attr]
    err = _refused(db, world, agreed, "record_performance",
                   {"obligation_id": ob.id, "performed_on": TODAY.isoformat(), "proof": "回单", "amount": amount})
    assert message in err.errors["amount"][0]


@pytest.mark.parametrize(("performed_on", "message"), [
    ("2025-10-21", "履行日期不能晚于今天"),
    ("2020-01-01", "履行日期不能早于协议签订日期2025-10-20"),
])
def test_a_payment_is_dated_between_the_agreement_and_today(db: Session, world: World, agreed: Case,
                                                            performed_on: str, message: str) -> None:
    ob = agreed.current_agreement.obligations[0]  # type: ignore[union-attr]
    err = _refused(db, world, agreed, "record_performance",
                   {"obligation_id": ob.id, "performed_on": performed_on, "proof": "回单", "amount": "100"})
    assert err.errors["performed_on"] == [message]


def test_performance_over_http_is_a_422_problem_naming_the_balance(api: Api, db: Session, world: World) -> None:
    today = world.env.today()
    case = svc.create_case(db, actor=world.actor(world.clerk), data=application(world), today=today, env=world.env)
    case = drive(db, world, case, today, "accept")
    case = _fire(db, world, case, "record_session", {**session_payload(), "started_at": f"{today}T09:00:00+08:00"},
                 today)
    case = _fire(db, world, case, "sign_agreement", agreement_payload(today), today)
    ob = case.current_agreement.obligations[0]  # type: ignore[union-attr]
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case.id}/transitions", json={
        "event": "record_performance", "version": case.version,
        "payload": {"obligation_id": ob.id, "amount": "50000", "performed_on": today.isoformat(), "proof": "回单"}})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert "24,000.00元" in r.json["errors"]["amount"][0]
