"""Events of workflow v3 that keep the legal record of a case: the limitation's suspension and resumption (LDMAL
art. 27(3)), the end of the employment (art. 27(4)) and the mediator's correction of the collective flag (art. 7).
None changes the state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import fields, validate

from mediation.domain import legal_basis as lb
from mediation.domain.deadline_rules import DeadlineKind as K
from mediation.domain.deadline_rules import compute_due
from mediation.domain.enums import DeadlineStatus
from workflows import deadlines as dl
from workflows.events.spec import EventSpec, dated
from workflows.operation import Operation
from workflows.schema import MAX_TEXT, NoteSchema, case_date


class SuspendSchema(NoteSchema):
    #: The day the cause began (force majeure or another just cause that prevents applying for arbitration).
    suspended_on = case_date(load_default=None, allow_none=True)


class ResumeSchema(NoteSchema):
    #: The day the cause ended: the period continues from it.
    resumed_on = case_date(load_default=None, allow_none=True)


class EmploymentEndSchema(NoteSchema):
    employment_ended_on = case_date(required=True)


class CorrectCollectiveSchema(NoteSchema):
    is_collective = fields.Boolean(required=True)
    common_claim = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))


def suspend(op: Operation) -> Mapping[str, Any]:
    day = op.data.get("suspended_on") or op.today
    op.case.limitation_suspended_on = day
    return {"suspended_on": day, "basis": lb.LIMITATION_SUSPENDED.full}


def resume(op: Operation) -> Mapping[str, Any]:
    """The period continues from the day the cause ended: every open limitation ends later by the days it stood
    still (counted from the suspension's day to the resumption's day)."""
    case = op.case
    since = case.limitation_suspended_on
    assert since is not None  # the guard
    day = op.data.get("resumed_on") or op.today
    paused = (day - since).days
    case.limitation_suspended_days = (case.limitation_suspended_days or 0) + paused
    case.limitation_suspended_on = None
    for d in case.deadlines:
        if d.kind == K.LIMITATION and d.status == DeadlineStatus.OPEN:
            period = compute_due(op.rules, op.env.calendar, K.LIMITATION, d.anchor_on,
                                 extra_days=case.limitation_suspended_days)
            d.due_on, d.provisional = period.due, period.provisional
    return {"suspended_on": since, "resumed_on": day, "days": paused, "basis": lb.LIMITATION_SUSPENDED.full}


def resumed_not_before_suspension(case: Any, data: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    since = case.limitation_suspended_on
    day = data.get("resumed_on") or today
    if since is not None and day < since:
        return {"resumed_on": [f"时效恢复日期不能早于中止日期{since.isoformat()}"]}
    return {}


def employment_end(op: Operation) -> Mapping[str, Any]:
    """LDMAL art. 27(4): for pay arrears during the employment the year runs from the end of the employment
    (later interruptions restart it as usual)."""
    case = op.case
    ended = op.data["employment_ended_on"]
    case.employment_ended_on = ended
    case.employment_ongoing = False
    if case.category == "remuneration" and not any(
            d.kind == K.LIMITATION and d.status == DeadlineStatus.OPEN and d.obligation_id is not None
            for d in case.deadlines):
        dl.restart_limitation(case, ended, rules=op.rules, calendar=op.env.calendar, basis=lb.LIMITATION_PAY_ARREARS)
    return {"basis": lb.LIMITATION_PAY_ARREARS.full}


def correct_collective(op: Operation) -> Mapping[str, Any]:
    case, d = op.case, op.data
    before = bool(case.is_collective)
    case.is_collective = bool(d["is_collective"])
    if (d.get("common_claim") or "").strip():
        case.common_claim = d["common_claim"].strip()
    if case.is_collective and dl.open_deadline(case, K.COLLECTIVE_REPORT) is None and case.escalated_at is None:
        dl.add_deadline(case, K.COLLECTIVE_REPORT, anchor=op.today, rules=op.rules, calendar=op.env.calendar)
    if not case.is_collective:
        dl.resolve(case, (K.COLLECTIVE_REPORT,), DeadlineStatus.CANCELLED, op.today)
    return {"was_collective": before, "basis": lb.COLLECTIVE.full}


SPECS = (
    EventSpec("suspend_limitation", schema=SuspendSchema, effect=suspend,
              dates=(dated("suspended_on", "时效中止日期", default_today=True),)),
    EventSpec("resume_limitation", schema=ResumeSchema, effect=resume,
              dates=(dated("resumed_on", "时效恢复日期", default_today=True), resumed_not_before_suspension)),
    EventSpec("record_employment_end", schema=EmploymentEndSchema, effect=employment_end,
              dates=(dated("employment_ended_on", "劳动关系终止日期"),)),
    EventSpec("correct_collective", schema=CorrectCollectiveSchema, effect=correct_collective),
)
