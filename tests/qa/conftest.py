"""Fixtures for the QA-defect tests: the API fixtures, the standard world, and a browser-session login."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.db.models import Case, CaseEvent, User
from mediation.domain.errors import ValidationFailed
from mediation.services import cases as svc
from tests.api.conftest import api, app, client, world  # noqa: F401
from tests.factories import World, drive, new_case

TODAY = dt.date(2025, 10, 20)


def events_count(db: Session, case_id: int) -> int:
    return db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)) or 0


def fire(db: Session, w: World, case: Case, event: str, payload: dict[str, Any], today: dt.date = TODAY) -> Case:
    """Fire an event as the world's mediator."""
    return svc.fire_event(db, case_id=case.id, event=event, actor=w.actor(w.mediator), payload=payload, today=today)


def refused(db: Session, w: World, case: Case, event: str, payload: dict[str, Any],
            today: dt.date = TODAY) -> ValidationFailed:
    """Fire an event that must be refused with field errors; assert nothing was written."""
    before = (events_count(db, case.id), case.version)
    with pytest.raises(ValidationFailed) as exc:
        fire(db, w, case, event, payload, today)
    db.expire_all()
    fresh = db.get(Case, case.id)
    assert fresh is not None and (events_count(db, case.id), fresh.version) == before  # nothing written
    return exc.value


@pytest.fixture
def agreed(db: Session, world: World) -> Case:  # noqa: F811 (the imported fixture)
    """A case with a signed mediation agreement (one obligation), on TODAY."""
    case = new_case(db, world, TODAY)
    return drive(db, world, case, TODAY, "accept", "record_session", "sign_agreement")


def ui_get(flask_client: FlaskClient, user: User, url: str) -> Any:
    """Log ``user`` in (a browser session) and GET a page."""
    with flask_client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True
    r = flask_client.get(url)
    assert r.status_code == 200, r.status_code
    return r


def csrf_token(page: Any) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert m is not None
    return m.group(1)
