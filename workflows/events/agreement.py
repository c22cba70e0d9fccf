"""Events that produce an agreement — a mediation agreement (调解协议书, LDMAL art. 14) or a settlement from
negotiation (和解协议, art. 4) — and the joint request for arbitration review or judicial confirmation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from mediation.db.models import Agreement, Obligation
from mediation.domain.deadline_rules import DeadlineKind as K
from mediation.domain.enums import AgreementKind, ClaimType, DeadlineStatus, ObligationStatus, Obligor
from workflows import deadlines as dl
from workflows.events.spec import PER_OBLIGATION, Effect, EventSpec, dated
from workflows.operation import Operation
from workflows.schema import MAX_TEXT, NoteSchema, StrictSchema, case_date, enum_field, money_field


class ObligationSchema(StrictSchema):
    obligor = enum_field(Obligor, load_default=Obligor.EMPLOYER.value)
    claim_type = enum_field(ClaimType, load_default=ClaimType.OTHER.value)
    description = fields.String(required=True, validate=validate.Length(min=1, max=255))
    amount = money_field(required=True)
    due_on = case_date(required=True)
    #: Collective agreements: the worker this amount is owed to (per-worker amounts, listed in the PDF).
    beneficiary = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class AgreementSchema(NoteSchema):
    signed_on = case_date(load_default=None, allow_none=True)
    terms = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    performance_method = fields.String(load_default="", validate=validate.Length(max=200))
    performance_place = fields.String(load_default="", validate=validate.Length(max=200))
    obligations = fields.List(fields.Nested(ObligationSchema), load_default=list, validate=validate.Length(max=120))
    signed_by_parties = fields.Boolean(load_default=False)
    signed_by_mediator = fields.Boolean(load_default=False)
    sealed = fields.Boolean(load_default=False)

    @validates_schema
    def _due(self, data: Mapping[str, Any], **_: Any) -> None:
        signed = data.get("signed_on")
        for i, ob in enumerate(data.get("obligations", [])):
            if signed and ob["due_on"] < signed:
                raise ValidationError({"obligations": {i: {"due_on": ["履行期限不能早于协议签订日期"]}}})


class ReviewSchema(NoteSchema):
    review_kind = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["arbitration_review", "judicial_confirmation"])
    )
    requested_on = case_date(load_default=None, allow_none=True)


#: Signed today (when ``signed_on`` is not sent), not after today, not before the acceptance (or, for a
#: settlement, the application's receipt).
SIGNED_ON = dated("signed_on", "协议签订日期", default_today=True,
                  not_before=(("accepted_on", "受理日期"), ("received_on", "收到申请日期")))


def obligations_due_after_signing(_case: Any, data: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    signed = data.get("signed_on") or today
    late = {i: {"due_on": [f"履行期限不能早于协议签订日期{signed.isoformat()}"]}
            for i, ob in enumerate(data.get("obligations") or []) if ob.get("due_on") and ob["due_on"] < signed}
    return {"obligations": late} if late else {}


def record_agreement(kind: AgreementKind) -> Effect:
    """The agreement, its obligations, a performance deadline per obligation, and the limitation per obligation
    (the other side agreeing to perform interrupts it, LDMAL art. 27(2))."""

    def effect(op: Operation) -> None:
        case, d = op.case, op.data
        signed = d.get("signed_on") or op.today
        case.agreed_on = signed
        obligations = [
            Obligation(
                obligor=o["obligor"], claim_type=o["claim_type"], description=o["description"],
                amount=o["amount"], due_on=o["due_on"], status=ObligationStatus.PENDING,
                beneficiary=(o.get("beneficiary") or "").strip() or None,
            )
            for o in d["obligations"]
        ]
        agreement = Agreement(
            kind=kind, signed_on=signed, terms=d["terms"],
            performance_method=d.get("performance_method", ""), performance_place=d.get("performance_place", ""),
            total_amount=sum((o.amount for o in obligations), Decimal("0")),
        )
        agreement.obligations.extend(obligations)
        case.agreements.append(agreement)
        dl.add_performance_deadlines(case, obligations, rules=op.rules)
        dl.limitations_per_obligation(case, obligations, signed_on=signed, rules=op.rules, calendar=op.env.calendar)

    return effect


def request_review(op: Operation) -> None:
    case, d = op.case, op.data
    agreement = case.current_agreement
    assert agreement is not None
    agreement.review_kind = d["review_kind"]
    agreement.review_requested_on = d.get("requested_on") or op.today
    kind = K.ARBITRATION_REVIEW if d["review_kind"] == "arbitration_review" else K.JUDICIAL_CONFIRMATION
    dl.resolve(case, [kind], DeadlineStatus.MET, op.today)


SPECS = (
    EventSpec(
        "settle", schema=AgreementSchema, dates=(SIGNED_ON, obligations_due_after_signing),
        effect=record_agreement(AgreementKind.SETTLEMENT),
        opens=(K.PERFORMANCE,), cancels=(K.NEGOTIATION_REPLY,), interrupts=PER_OBLIGATION, agreement=True,
    ),
    EventSpec(
        "sign_agreement", schema=AgreementSchema, dates=(SIGNED_ON, obligations_due_after_signing),
        effect=record_agreement(AgreementKind.MEDIATION),
        opens=(K.PERFORMANCE, K.ARBITRATION_REVIEW, K.JUDICIAL_CONFIRMATION),
        meets=(K.MEDIATION_END, K.ARBITRATION_RIGHT), interrupts=PER_OBLIGATION, agreement=True,
        produces=("mediation_agreement",),
    ),
    EventSpec("request_review", schema=ReviewSchema, effect=request_review),
)
