"""Helpers shared by tests: firing events as the world's mediator, refusals that write nothing, a browser-session
login, risk-signal input, and text extraction from real PDFs."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Case, CaseEvent, User
from mediation.domain.errors import ValidationFailed
from tests.factories import World

TODAY = dt.date(2025, 10, 20)


def events_count(db: Session, case_id: int) -> int:
    return db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)) or 0


def fire(db: Session, w: World, case: Case, event: str, payload: dict[str, Any], today: dt.date = TODAY) -> Case:
    """Fire an event as the world's mediator."""
    return svc.fire_event(db, case_id=case.id, event=event, actor=w.actor(w.mediator), payload=payload, env=w.env,
                          today=today)


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




def browser_login(flask_client: FlaskClient, user: User) -> str:
    """Give the client a browser session of ``user`` (a real server-side session, as a login opens);
    returns the session id."""
    from api.auth import login_id
    from api.db import db_session
    from mediation.accounts.sessions import open_session

    with flask_client.application.test_request_context():
        _, sid = open_session(db_session(), user=user)
    with flask_client.session_transaction() as sess:
        sess["_user_id"] = login_id(user, sid)
        sess["_fresh"] = True
    return sid


def ui_get(flask_client: FlaskClient, user: User, url: str) -> Any:
    """Log ``user`` in (a browser session) and GET a page."""
    browser_login(flask_client, user)
    r = flask_client.get(url)
    assert r.status_code == 200, r.status_code
    return r


def csrf_token(page: Any) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert m is not None
    return m.group(1)


def signal_data(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "enterprise_id": world.enterprise.id,
        "organisation_id": world.township.id,
        "source": "screening",
        "reporter_name": "李网格员",
        "reporter_phone": "13900001111",
        "description": "排查发现企业近两个月未发工资，职工情绪不稳",
        "evidence": "职工工资条、考勤记录",
        "workers_affected": 30,
        "wage_arrears_months": "1.5",
        "wage_arrears_amount": "450000.00",
    }
    data.update(overrides)
    return data


def pdf_text(content: bytes) -> str:
    """All the text of a PDF, whitespace removed (justified CJK text is extracted with stray spaces)."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


def pdf_pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)
