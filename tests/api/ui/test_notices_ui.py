"""The notifications in the web UI: the header's bell, one's notices (mark read), the preferences form (errors
beside their fields), the case page's 通知记录 section (recipient masked) and the supervisors' failed list."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mediation.db.models import Case
from mediation.db.models_notify import NotificationMessage, NotificationPreference
from tests.api.ui.test_ui_pages import login, text_of
from tests.factories import World, new_case
from tests.fixtures import Api
from tests.helpers import TODAY


def _accepted(api: Api, world: World, db: Session) -> Case:
    case = new_case(db, world, TODAY)
    db.commit()
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case.id}/transitions",
                                     json={"event": "accept", "version": case.version,
                                           "payload": {"respondent_consents": True, "mediator_id": world.mediator.id}})
    assert r.status_code == 200, r.json
    return case


def test_bell_list_and_mark_read(client: FlaskClient, api: Api, db: Session, world: World) -> None:
    case = _accepted(api, world, db)
    token = login(client, world.mediator.username)
    page = client.get("/ui/").get_data(as_text=True)
    assert 'hx-get="/ui/notices/badge"' in page
    badge = client.get("/ui/notices/badge").get_data(as_text=True)
    assert 'data-unread="1"' in badge
    html = client.get("/ui/notices").get_data(as_text=True)
    assert f"新指派案件（{case.number}）" in html and "未读" in html
    r = client.post("/ui/notices/read", data={"csrf_token": token})
    assert r.status_code == 302
    assert "data-unread" not in client.get("/ui/notices/badge").get_data(as_text=True)
    assert client.post("/ui/notices/read", data={"csrf_token": token, "id": "999999"}).status_code == 404


def test_preferences_form(client: FlaskClient, db: Session, world: World) -> None:
    token = login(client, world.mediator.username)
    html = client.get("/ui/notices/preferences").get_data(as_text=True)
    assert "免打扰" in html and "站内通知始终开启" in html
    r = client.post("/ui/notices/preferences", data={"csrf_token": token, "email_enabled": "1",
                                                     "quiet_start": "22:00"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'data-error-for="email"' in html and 'data-error-for="quiet_end"' in html and "aria-invalid" in html
    assert db.get(NotificationPreference, world.mediator.id) is None  # nothing half-written
    r = client.post("/ui/notices/preferences", data={"csrf_token": token, "email_enabled": "1",
                                                     "email": "med@example.cn", "quiet_start": "22:00",
                                                     "quiet_end": "07:30"})
    assert r.status_code == 302
    db.expire_all()
    pref = db.get(NotificationPreference, world.mediator.id)
    assert pref is not None and pref.email == "med@example.cn" and f"{pref.quiet_end:%H:%M}" == "07:30"


def test_case_section_and_failed_list(client: FlaskClient, api: Api, db: Session, world: World) -> None:
    case = _accepted(api, world, db)
    login(client, world.clerk.username)
    page = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert f'hx-get="/ui/cases/{case.id}/notices"' in page
    section = text_of(client.get(f"/ui/cases/{case.id}/notices").get_data(as_text=True))
    assert "已受理" in section and "138****5678" in section and "张*" in section and "短信" in section
    assert "13812345678" not in section

    db.execute(update(NotificationMessage).where(NotificationMessage.case_id == case.id,
                                                 NotificationMessage.channel == "sms",
                                                 NotificationMessage.event == "accepted")
               .values(status="failed", attempts=5, last_error="短信接口返回503"))
    db.commit()
    assert client.get("/ui/notices/failed").status_code == 403  # a clerk
    login(client, world.supervisor.username)
    html = text_of(client.get("/ui/notices/failed").get_data(as_text=True))
    assert "短信接口返回503（已尝试5次）" in html and "调解申请已受理" not in html  # the subject stays on the case
    assert "已受理" in html


def test_supervisor_sends_a_failed_message_again(client: FlaskClient, api: Api, db: Session, world: World) -> None:
    case = _accepted(api, world, db)
    db.execute(update(NotificationMessage).where(NotificationMessage.case_id == case.id,
                                                 NotificationMessage.channel == "sms",
                                                 NotificationMessage.event == "accepted")
               .values(status="failed", attempts=5, last_error="短信接口返回503"))
    db.commit()
    token = login(client, world.supervisor.username)
    html = client.get("/ui/notices/failed").get_data(as_text=True)
    assert "重新发送" in html
    mid = db.scalar(select(NotificationMessage.id).where(NotificationMessage.status == "failed"))
    r = client.post(f"/ui/notices/{mid}/retry", data={"csrf_token": token})
    assert r.status_code == 302
    db.expire_all()
    m = db.get(NotificationMessage, mid)
    assert m is not None and m.status == "sent"  # the demo's SMS adapter took it this time
    assert client.post(f"/ui/notices/{mid}/retry", data={"csrf_token": token}).status_code == 404
