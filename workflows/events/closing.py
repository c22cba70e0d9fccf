"""Events that hand a case on or archive it: referral to the arbitration committee, and closing."""

from __future__ import annotations

from marshmallow import fields, validate

from mediation.domain.deadline_rules import DeadlineKind as K
from workflows.events.spec import EventSpec
from workflows.operation import Operation
from workflows.schema import NoteSchema


class ReferSchema(NoteSchema):
    arbitration_committee = fields.String(load_default="", validate=validate.Length(max=200))


def close_case(op: Operation) -> None:
    op.case.closed_on = op.today
    if op.case.ended_on is None:
        op.case.ended_on = op.today


SPECS = (
    EventSpec("refer", schema=ReferSchema,
              cancels=(K.PERFORMANCE, K.ARBITRATION_REVIEW, K.JUDICIAL_CONFIRMATION, K.ARBITRATION_RIGHT,
                       K.MEDIATION_END),
              produces=("referral_letter",)),
    EventSpec("close", effect=close_case, cancels=(K.ARBITRATION_REVIEW, K.JUDICIAL_CONFIRMATION, K.COLLECTIVE_REPORT)),
)
