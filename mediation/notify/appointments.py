"""Fixing a mediation session ahead (LDMAL art. 13): the appointment row and the parties' notice, in one unit
of work. The session's record is still made afterwards by the ``record_session`` event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.orm import Session

from mediation.db.models import Case
from mediation.db.models_notify import NotificationMessage, SessionAppointment
from mediation.domain.clock import CHINA_TZ
from mediation.domain.errors import ValidationFailed
from mediation.notify.observer import case_fields
from mediation.notify.service import Notifier, case_parties

OPEN_FOR_SESSIONS = frozenset({"mediating", "negotiating", "lapsed"})


class AppointmentSchema(Schema):
    starts_at = fields.AwareDateTime(required=True, error_messages={
        "required": "请填写调解会议时间", "invalid": "调解会议时间格式不正确",
        "invalid_awareness": "调解会议时间须带时区（如 +08:00）"})
    place = fields.String(required=True, validate=validate.Length(min=1, max=200, error="地点须为1至200个字"),
                          error_messages={"required": "请填写调解会议地点"})


def when_text(at: dt.datetime) -> str:
    return f"{at.astimezone(CHINA_TZ):%Y年%m月%d日 %H:%M}"


def schedule_session(session: Session, *, case: Case, data: Mapping[str, Any], actor_id: int | None,
                     notifier: Notifier) -> tuple[SessionAppointment, list[NotificationMessage]]:
    """Validate ``data`` (``starts_at``, ``place``), store the appointment and tell the parties (the messages
    recorded: one per party and channel)."""
    try:
        d = AppointmentSchema().load(dict(data))
    except ValidationError as exc:
        raise ValidationFailed("调解会议信息有误", errors=exc.normalized_messages()) from exc
    starts_at: dt.datetime = d["starts_at"].astimezone(dt.UTC)
    if case.status not in OPEN_FOR_SESSIONS:
        raise ValidationFailed("案件当前状态不能安排调解会议", errors={"starts_at": ["案件不在调解或协商中"]})
    if starts_at <= notifier.clock():
        raise ValidationFailed("调解会议时间须晚于现在", errors={"starts_at": ["调解会议时间须晚于现在"]})
    appointment = SessionAppointment(case_id=case.id, starts_at=starts_at, place=d["place"].strip(),
                                     created_by_id=actor_id, created_at=notifier.clock())
    session.add(appointment)
    session.flush()
    messages = notifier.record(session, event="session_scheduled",
                               recipients=case_parties(case, notifier.party_quiet),
                               fields={**case_fields(case), "when": when_text(starts_at),
                                       "place": appointment.place},
                               case_id=case.id, occasion=f"session_scheduled:{appointment.id}")
    return appointment, messages

