"""Deciding on an application: accepting it (naming the lead mediator, who must not have to recuse) or not."""

from __future__ import annotations

from marshmallow import fields, validate

from mediation.domain.deadline_rules import DeadlineKind as K
from mediation.domain.enums import Role
from workflows.events.spec import ON_REFUSAL, EventSpec, dated
from workflows.mediators import RecusalRefused, check_mediator, conflict_reason
from workflows.operation import Operation
from workflows.schema import NoteSchema, case_date, id_field


class AcceptSchema(NoteSchema):
    respondent_consents = fields.Boolean(load_default=None, allow_none=True)
    mediator_id = id_field(load_default=None, allow_none=True)
    accepted_on = case_date(load_default=None, allow_none=True)


class RejectSchema(NoteSchema):
    reason_code = fields.String(
        required=True, validate=validate.OneOf(["out_of_scope", "respondent_refuses", "already_arbitrated"])
    )


def accept(op: Operation) -> None:
    case, d = op.case, op.data
    case.accepted_on = d.get("accepted_on") or op.today
    case.respondent_consents = True
    if d.get("mediator_id") is not None:
        assert op.session is not None
        user = check_mediator(op.session, d["mediator_id"], case.organisation)
        conflict = conflict_reason(op.session, user.id, case)
        if conflict is not None:  # the same recusal rule as assignment (回避); fire_event records the refusal
            raise RecusalRefused(f"{user.display_name}应当回避，不能担任主办调解员：{conflict}",
                                 mediator_id=user.id, conflict=conflict)
        case.lead_mediator_id = d["mediator_id"]
    elif case.lead_mediator_id is None and op.actor.role == Role.MEDIATOR:
        case.lead_mediator_id = op.actor.user_id


def end_mediation(op: Operation) -> None:
    """Rejection and termination: the day it ended and why."""
    op.case.ended_on = op.today
    op.case.end_reason = op.data.get("reason_code") or op.data.get("end_reason") or op.dest


SPECS = (
    EventSpec(
        "accept", schema=AcceptSchema,
        dates=(dated("accepted_on", "受理日期", default_today=True, not_before=(("received_on", "收到申请日期"),)),),
        effect=accept, opens=(K.MEDIATION_END,), meets=(K.ACCEPTANCE,), produces=("acceptance_notice",),
        facts=("accepted_at",),
    ),
    # ELDNMP art. 31 (enterprise committees): the other party refusing mediation restarts the limitation.
    EventSpec("reject", schema=RejectSchema, effect=end_mediation, meets=(K.ACCEPTANCE,),
              cancels=(K.ARBITRATION_RIGHT,), interrupts=ON_REFUSAL, produces=("non_acceptance_notice",)),
)
