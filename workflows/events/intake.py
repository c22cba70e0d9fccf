"""Events before a case is accepted: triage, the early report of a collective dispute, negotiation, the
application, and the ways a case ends before mediation (dismissed, withdrawn)."""

from __future__ import annotations

import datetime as dt

from marshmallow import fields

from mediation.domain.deadline_rules import DeadlineKind as K
from mediation.domain.enums import DeadlineStatus
from workflows import deadlines as dl
from workflows.events.closing import close_case
from workflows.events.spec import ON_RECEIPT, ON_THE_DAY, EventSpec, dated
from workflows.operation import Operation
from workflows.schema import NoteSchema, case_date


class RegisterApplicationSchema(NoteSchema):
    received_on = case_date(load_default=None, allow_none=True)
    oral = fields.Boolean(load_default=False)


def register_application(op: Operation) -> None:
    case, d = op.case, op.data
    case.received_on = d.get("received_on") or op.today
    case.oral_application = bool(d.get("oral"))


def escalate(op: Operation) -> None:
    op.case.escalated_at = dt.datetime.now(dt.UTC)
    dl.resolve(op.case, [K.COLLECTIVE_REPORT], DeadlineStatus.MET, op.today)


def withdraw(op: Operation) -> None:
    op.case.ended_on = op.today
    op.case.end_reason = "withdrawn"


def dismiss(op: Operation) -> None:
    op.case.end_reason = "dismissed"
    close_case(op)


SPECS = (
    EventSpec("begin_triage"),
    EventSpec("escalate", effect=escalate, produces=("early_warning_report",), facts=("escalated_at",)),
    EventSpec("start_negotiation", opens=(K.NEGOTIATION_REPLY,), interrupts=ON_THE_DAY),
    EventSpec(
        "register_application", schema=RegisterApplicationSchema,
        dates=(dated("received_on", "收到申请日期", not_before=(("dispute_arose_on", "争议发生日期"),)),),
        effect=register_application,
        opens=(K.ACCEPTANCE, K.ARBITRATION_RIGHT), cancels=(K.NEGOTIATION_REPLY,), interrupts=ON_RECEIPT,
        produces=("application",),
    ),
    EventSpec("withdraw", effect=withdraw,
              cancels=(K.ACCEPTANCE, K.ARBITRATION_RIGHT, K.MEDIATION_END, K.NEGOTIATION_REPLY)),
    EventSpec("dismiss", effect=dismiss, cancels=(K.COLLECTIVE_REPORT, K.NEGOTIATION_REPLY)),
)
