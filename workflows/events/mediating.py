"""Events while a case is being mediated: sessions, extending the period, the period running out (the sweep's
``lapse``), and terminating the mediation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from mediation.db.models import MediationSession
from mediation.domain.clock import china_date
from mediation.domain.deadline_rules import DeadlineKind as K
from mediation.domain.enums import DeadlineStatus
from workflows import deadlines as dl
from workflows.events.acceptance import end_mediation
from workflows.events.spec import ON_LAPSE, ON_TERMINATION, EventSpec
from workflows.operation import Operation
from workflows.schema import MAX_TEXT, NoteSchema, case_datetime


class SessionSchema(NoteSchema):
    started_at = case_datetime(load_default=None, allow_none=True)
    ended_at = case_datetime(load_default=None, allow_none=True)
    place = fields.String(load_default="", validate=validate.Length(max=200))
    recorder = fields.String(load_default="", validate=validate.Length(max=64))
    attendees = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list)
    record = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    signed_by_all = fields.Boolean(load_default=False)

    @validates_schema
    def _order(self, data: Mapping[str, Any], **_: Any) -> None:
        if data.get("started_at") and data.get("ended_at") and data["ended_at"] < data["started_at"]:
            raise ValidationError("结束时间不能早于开始时间", "ended_at")


class ExtendSchema(NoteSchema):
    worker_agrees = fields.Boolean(load_default=False)
    employer_agrees = fields.Boolean(load_default=False)
    days = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=365))


class TerminateSchema(NoteSchema):
    end_reason = fields.String(load_default=None, allow_none=True)


def session_not_in_future(_case: Any, data: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """A session is recorded after it was held; the same day is fine (a record typed up just before the meeting
    ends, or across time zones)."""
    started = data.get("started_at")
    if started is not None and china_date(started) > today:
        return {"started_at": ["调解会议开始时间不能晚于今天（请在会议举行后记录）"]}
    return {}


def record_session(op: Operation) -> None:
    d = op.data
    assert op.session is not None
    op.session.add(  # added by key, not through case.sessions: no need to load earlier sessions
        MediationSession(
            case_id=op.case.id,
            started_at=d["started_at"],
            ended_at=d.get("ended_at"),
            place=d["place"],
            mediator_id=op.actor.user_id,
            recorder=d.get("recorder", ""),
            attendees=list(d["attendees"]),
            record=d["record"],
            signed_by_all=bool(d.get("signed_by_all")),
        )
    )


def extend(op: Operation) -> None:
    case = op.case
    case.extension_days = (case.extension_days or 0) + int(op.data["days"])
    # The running period, or (extension after lapse, V2) the one the lapse recorded overdue: superseded by
    # the extended one. An overdue row keeps overdue_recorded_at (the case did lapse once).
    for current in case.deadlines:
        if current.kind == K.MEDIATION_END and current.status in (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE):
            current.status = DeadlineStatus.CANCELLED
            current.resolved_on = op.today
    dl.add_deadline(case, K.MEDIATION_END, anchor=case.accepted_on or op.today, rules=op.rules,
                    calendar=op.env.calendar, extra_days=case.extension_days)


def lapse(op: Operation) -> None:
    """Day 15 (plus agreed extensions) passed without agreement: the clock is recorded as overdue."""
    for d in op.case.deadlines:
        if d.kind == K.MEDIATION_END and d.status == DeadlineStatus.OPEN:
            d.status = DeadlineStatus.OVERDUE
            d.resolved_on = op.today
            d.overdue_recorded_at = dt.datetime.now(dt.UTC)


SPECS = (
    EventSpec("record_session", schema=SessionSchema, dates=(session_not_in_future,), effect=record_session,
              produces=("session_record",)),
    EventSpec("extend", schema=ExtendSchema, effect=extend),
    # ELDNMP art. 31 (enterprise committees): no agreement within the art. 29 period restarts the limitation
    # from the period's end; at other bodies the application's interruption (办案规则 art. 27(1)) stands.
    EventSpec("lapse", effect=lapse, interrupts=ON_LAPSE),
    EventSpec("terminate", schema=TerminateSchema, effect=end_mediation, meets=(K.MEDIATION_END,),
              cancels=(K.ARBITRATION_RIGHT,), interrupts=ON_TERMINATION, produces=("termination_certificate",)),
)
