"""The notifications API: one's own in-app notices and preferences, the case's messages (recipient masked),
failed deliveries for supervisors, and fixing a session ahead."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mediation.db.models_notify import NotificationMessage
from tests.factories import World, new_case
from tests.fixtures import Api
from tests.helpers import TODAY


def _accept(api: Api, world: World, db: Session) -> Any:
    case = new_case(db, world, TODAY)
    case.parties_with_role("worker")[0].email = "zhangsan@example.cn"
    db.commit()
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case.id}/transitions",
                                     json={"event": "accept", "version": case.version,
                                           "payload": {"respondent_consents": True, "mediator_id": world.mediator.id}})
    assert r.status_code == 200, r.json
    return case


def test_accepting_a_case_notifies_the_mediator_in_app(api: Api, world: World, db: Session) -> None:
    case = _accept(api, world, db)
    r = api.as_(world.mediator).get("/api/v1/me/notifications")
    assert r.status_code == 200
    assert r.json["unread"] == 1
    [notice] = r.json["items"]
    assert notice["event"] == "new_assignment" and notice["channel"] == "inapp" and notice["status"] == "sent"
    assert notice["subject"] == f"新指派案件（{case.number}）"
    assert notice["read_at"] is None
    # nobody else sees it, nor may mark it read
    assert api.as_(world.mediator2).get("/api/v1/me/notifications").json["total"] == 0
    assert api.as_(world.mediator2).post(f"/api/v1/me/notifications/{notice['id']}/read").status_code == 404
    r = api.as_(world.mediator).post(f"/api/v1/me/notifications/{notice['id']}/read")
    assert r.status_code == 200 and r.json == {"marked": 1, "unread": 0}
    assert api.as_(world.mediator).get("/api/v1/me/notifications?unread=true").json["total"] == 0
    assert api.as_(world.mediator).get("/api/v1/me/notifications?unread=maybe").status_code == 422


def test_the_case_lists_its_messages_with_the_recipient_masked(api: Api, world: World, db: Session) -> None:
    case = _accept(api, world, db)
    r = api.as_(world.clerk).get(f"/api/v1/cases/{case.id}/notifications")
    assert r.status_code == 200
    by = {(m["event"], m["channel"]): m for m in r.json["items"]}
    sms = by[("accepted", "sms")]
    assert sms["recipient"] == "张*" and sms["address"] == "138****5678" and sms["status"] == "sent"
    assert f"案号{case.number}）已于" in sms["body"]
    mail = by[("accepted", "email")]
    assert mail["address"] == "z***@example.cn"
    # no SMTP server is configured here: the e-mail waits for its retry, the transition went through
    assert mail["status"] == "pending" and mail["attempts"] == 1 and "未配置邮件服务器" in mail["error"]
    assert api.as_(world.outsider).get(f"/api/v1/cases/{case.id}/notifications").status_code == 404


def test_failed_deliveries_for_supervisors_only(api: Api, world: World, db: Session) -> None:
    case = _accept(api, world, db)
    db.execute(update(NotificationMessage).where(NotificationMessage.case_id == case.id,
                                                 NotificationMessage.channel == "email")
               .values(status="failed", attempts=5))
    db.commit()
    r = api.as_(world.supervisor).get("/api/v1/notifications/failed")
    assert r.status_code == 200 and r.json["total"] == 1
    assert r.json["items"][0]["event"] == "accepted" and r.json["items"][0]["status_label"] == "发送失败"
    r = api.as_(world.mediator).get("/api/v1/notifications/failed")
    assert r.status_code == 403 and r.content_type == "application/problem+json"
    assert api.as_(world.supervisor).get("/api/v1/notifications/failed?page=0").status_code == 422

    # sent again: pending, attempts afresh, its job run (inline) — still no mail server here, so one attempt
    mid = api.as_(world.supervisor).get("/api/v1/notifications/failed").json["items"][0]["id"]
    assert api.as_(world.mediator).post(f"/api/v1/notifications/{mid}/retry").status_code == 403
    other = api.as_(world.supervisor).post("/api/v1/notifications/999999/retry")
    assert other.status_code == 404 and other.content_type == "application/problem+json"
    r = api.as_(world.supervisor).post(f"/api/v1/notifications/{mid}/retry")
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["attempts"]) == ("pending", 1) and "未配置邮件服务器" in r.json["error"]
    assert api.as_(world.supervisor).get("/api/v1/notifications/failed").json["total"] == 0


def test_preferences(api: Api, world: World) -> None:
    me = api.as_(world.mediator)
    r = me.get("/api/v1/me/notification-preferences")
    assert r.status_code == 200 and r.json["inapp_enabled"] is True and r.json["email_enabled"] is False

    def put(body: dict[str, Any]) -> Any:
        return api.client.put("/api/v1/me/notification-preferences", json=body, headers=me.headers)

    r = put({"email": "med@example.cn", "email_enabled": True, "quiet_start": "22:00", "quiet_end": "08:00"})
    assert r.status_code == 200, r.json
    assert (r.json["email"], r.json["email_enabled"], r.json["quiet_start"], r.json["quiet_end"]) == \
        ("med@example.cn", True, "22:00", "08:00")
    assert me.get("/api/v1/me/notification-preferences").json["quiet_start"] == "22:00"

    for body, field in [({"email_enabled": True}, "email"),
                        ({"email": "not-an-address"}, "email"),
                        ({"quiet_start": "25:00", "quiet_end": "08:00"}, "quiet_start"),
                        ({"quiet_start": "22:00"}, "quiet_end"),
                        ({"colour": "red"}, "colour")]:
        r = put(body)
        assert r.status_code == 422, (body, r.json)
        assert r.content_type == "application/problem+json"
        assert field in r.json["errors"], (body, r.json)


def test_schedule_a_session(api: Api, world: World, db: Session) -> None:
    case = _accept(api, world, db)
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case.id}/appointments",
                                     json={"starts_at": starts.isoformat(), "place": "东栅街道调解室"})
    assert r.status_code == 201, r.json
    assert r.json["notified"] == 2  # the worker: e-mail and SMS (the employer has no phone or e-mail)
    rows = db.scalars(select(NotificationMessage).where(NotificationMessage.case_id == case.id,
                                                        NotificationMessage.event == "session_scheduled")).all()
    assert {m.channel for m in rows} == {"email", "sms"}
    assert "东栅街道调解室" in rows[0].body

    r = api.as_(world.mediator).post(f"/api/v1/cases/{case.id}/appointments",
                                     json={"starts_at": "2020-01-01T09:00:00+08:00", "place": "调解室"})
    assert r.status_code == 422 and "starts_at" in r.json["errors"]
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case.id}/appointments", json={"starts_at": "明天"})
    assert r.status_code == 422 and {"starts_at", "place"} <= set(r.json["errors"])
    r = api.as_(world.supervisor).post(f"/api/v1/cases/{case.id}/appointments",
                                       json={"starts_at": starts.isoformat(), "place": "调解室"})
    assert r.status_code == 403


def test_party_email_is_optional_and_validated(api: Api, world: World, db: Session) -> None:
    from tests.factories import application

    data = application(world)
    data["parties"][0]["email"] = "不是邮箱"
    r = api.as_(world.clerk).post("/api/v1/cases/", json=data)
    assert r.status_code == 422 and r.content_type == "application/problem+json"
    assert "电子邮件地址格式不正确" in str(r.json["errors"]) and "email" in str(r.json["errors"])
    data["parties"][0]["email"] = "zhangsan@example.cn"
    r = api.as_(world.clerk).post("/api/v1/cases/", json=data)
    assert r.status_code == 201, r.json
    worker = next(p for p in r.json["parties"] if p["role"] == "worker")
    assert worker["email"] in ("zhangsan@example.cn", "z***@example.cn")
    shown = api.as_(world.supervisor).get(f"/api/v1/cases/{r.json['id']}").json
    assert next(p for p in shown["parties"] if p["role"] == "worker")["email"] == "z***@example.cn"


def test_a_reassigned_mediator_is_told(api: Api, world: World, db: Session) -> None:
    case = _accept(api, world, db)
    db.refresh(case)
    r = api.as_(world.supervisor).post(f"/api/v1/cases/{case.id}/assignment",
                                       json={"mediator_id": world.mediator2.id, "version": case.version,
                                             "reason": "调岗"})
    assert r.status_code == 200, r.json
    items = api.as_(world.mediator2).get("/api/v1/me/notifications").json["items"]
    assert [i["subject"] for i in items] == [f"新指派案件（{case.number}）"]
    # the bulk reassignment tells the new mediator of each case too
    r = api.as_(world.supervisor).post("/api/v1/cases/bulk/reassign",
                                       json={"case_ids": [case.id], "mediator_id": world.mediator.id})
    assert r.status_code == 200 and r.json["done"] == 1, r.json
    assert api.as_(world.mediator).get("/api/v1/me/notifications").json["total"] == 2
