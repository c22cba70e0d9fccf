"""QA #5: dates in the order the steps happen, none in the future: 422 with Chinese field errors,
nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Case, MediationSession
from tests.factories import World, agreement_payload, application, drive, new_case, session_payload
from tests.fixtures import Api
from tests.helpers import TODAY
from tests.helpers import fire as _fire
from tests.helpers import refused as _refused

# --- #5 date order ----------------------------------------------------------------------------------

def test_due_dates_are_not_before_the_default_signing_date(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept", "record_session")
    payload = agreement_payload(TODAY)
    payload["obligations"][0]["due_on"] = "2025-10-10"  # before today, and signed_on not sent
    err = _refused(db, world, case, "sign_agreement", payload)
    assert err.errors["obligations"] == {0: {"due_on": ["履行期限不能早于协议签订日期2025-10-20"]}}
    ok = _fire(db, world, case, "sign_agreement", {**agreement_payload(TODAY), "signed_on": "2025-10-20"})
    assert ok.status == "agreed"


@pytest.mark.parametrize(("signed_on", "message"), [
    ("2026-05-01", "协议签订日期不能晚于今天"),
    ("2025-10-01", "协议签订日期不能早于受理日期2025-10-15"),
])
def test_signing_date_not_in_the_future_nor_before_acceptance(db: Session, world: World, signed_on: str,
                                                              message: str) -> None:
    case = new_case(db, world, dt.date(2025, 10, 14))
    case = drive(db, world, case, dt.date(2025, 10, 15), "accept")
    case = drive(db, world, case, TODAY, "record_session")
    payload = {**agreement_payload(TODAY), "signed_on": signed_on}
    payload["obligations"][0]["due_on"] = "2026-06-01"
    err = _refused(db, world, case, "sign_agreement", payload)
    assert err.errors["signed_on"] == [message]


@pytest.mark.parametrize(("accepted_on", "message"), [
    ("2025-10-01", "受理日期不能早于收到申请日期2025-10-14"),
    ("2025-10-25", "受理日期不能晚于今天"),
])
def test_acceptance_date_between_receipt_and_today(db: Session, world: World, accepted_on: str,
                                                   message: str) -> None:
    case = new_case(db, world, dt.date(2025, 10, 14))
    err = _refused(db, world, case, "accept", {"respondent_consents": True, "mediator_id": world.mediator.id,
                                                "accepted_on": accepted_on})
    assert err.errors["accepted_on"] == [message]


def test_a_session_is_recorded_once_it_has_started(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    err = _refused(db, world, case, "record_session", {**session_payload(), "started_at": "2025-11-30T09:00:00+08:00"})
    assert "不能晚于今天" in err.errors["started_at"][0]
    assert db.scalar(select(func.count()).select_from(MediationSession)) == 0
    # the same day is fine, even a later hour
    case = _fire(db, world, case, "record_session", {**session_payload(), "started_at": "2025-10-20T23:00:00+08:00"})
    assert len(case.sessions) == 1


def test_intake_received_before_the_dispute_arose_is_refused(api: Api, db: Session, world: World) -> None:
    today = world.env.today()
    data = application(world, dispute_arose_on=(today - dt.timedelta(days=5)).isoformat(),
                       received_on=(today - dt.timedelta(days=10)).isoformat())
    r = api.as_(world.clerk).post("/api/v1/cases/", json=data)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert "不能早于争议发生日期" in r.json["errors"]["received_on"][0]
    assert db.scalar(select(func.count()).select_from(Case)) == 0


def test_late_application_date_over_http(api: Api, db: Session, world: World) -> None:
    today = world.env.today()
    case = svc.create_case(db, actor=world.actor(world.clerk), data=application(world), today=today, env=world.env)
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case.id}/transitions", json={
        "event": "accept", "version": case.version,
        "payload": {"respondent_consents": True, "accepted_on": (today - dt.timedelta(days=30)).isoformat()}})
    assert r.status_code == 422 and "受理日期不能早于收到申请日期" in r.json["errors"]["accepted_on"][0]
