"""Events after an agreement: recording payments (in time or late), confirming it was performed in full, and
recording that it was not — with the parties' next routes (remedies) and the limitation of each defaulted
obligation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from marshmallow import fields, validate
from sqlalchemy import select

from mediation.db.models import Case, Obligation, PaymentProof, PerformanceRecord
from mediation.domain.deadline_rules import DeadlineKind as K
from mediation.domain.enums import AgreementKind, ClaimType, DeadlineStatus, ObligationStatus, Obligor
from mediation.domain.errors import ValidationFailed
from mediation.domain.money import format_amount
from workflows import deadlines as dl
from workflows.events.spec import EventSpec
from workflows.operation import Operation
from workflows.schema import NoteSchema, case_date, id_field, money_field


class PerformanceSchema(NoteSchema):
    obligation_id = id_field(load_default=None, allow_none=True)
    performed_on = case_date(load_default=None, allow_none=True)
    #: More than zero. The effect checks what needs the case and the configured today: at most the
    #: instalment's outstanding balance, dated between the agreement's signing and today.
    amount = money_field(load_default=None, allow_none=True,
                         validate=validate.Range(min=0, min_inclusive=False, max=100_000_000_000,
                                                 error="履行金额应大于0且不超过1000亿元"))
    proof = fields.String(load_default="", validate=validate.Length(max=255))
    #: Who paid and who received; blank: the obligation's obligor and the other side.
    payer = fields.String(load_default="", validate=validate.Length(max=100))
    payee = fields.String(load_default="", validate=validate.Length(max=100))
    #: Proof files stored with this payment (``mediation.cases.payments`` stores them in the same unit of work).
    proof_ids = fields.List(id_field(), load_default=list, validate=validate.Length(max=10, error="凭证文件最多10个"))


def _side(case: Case, role: str) -> str:
    """The employer, or the workers (``张三等12名劳动者`` for a collective dispute), as the ledger names them."""
    if role == Obligor.EMPLOYER:
        employers = case.parties_with_role("employer")
        return employers[0].name if employers else (case.enterprise.name if case.enterprise else "用人单位")
    workers = case.parties_with_role("worker")
    if not workers:
        return "劳动者"
    count = max(case.workers_count or 0, len(workers))
    return workers[0].name if count == 1 else f"{workers[0].name}等{count}名劳动者"


def default_payer_payee(case: Case, ob: Obligation) -> tuple[str, str]:
    other = Obligor.WORKER if ob.obligor == Obligor.EMPLOYER else Obligor.EMPLOYER
    return _side(case, ob.obligor), _side(case, other)


def _proofs(op: Operation, ids: list[int]) -> tuple[list[PaymentProof], list[str]]:
    if not ids or op.session is None:
        return [], []
    found = op.session.scalars(select(PaymentProof).where(PaymentProof.id.in_(ids))).all()
    usable = [p for p in found if p.case_id == op.case.id and p.record_id is None]
    if len(usable) != len(set(ids)):
        return usable, ["凭证文件不存在、不属于本案或已用于其他付款记录，请重新上传"]
    return usable, []


def record_performance(op: Operation) -> dict[str, Any]:
    case, d = op.case, op.data
    agreement = case.current_agreement
    assert agreement is not None
    ob = next(o for o in agreement.obligations if o.id == d["obligation_id"])
    # Checked against the case (the schema cannot): a payment is at most what is still owed on the
    # instalment, and it happened between the agreement's date and today.
    errors: dict[str, list[str]] = {}
    outstanding = ob.outstanding
    if d["amount"] <= 0:
        errors["amount"] = ["履行金额应大于0"]
    elif outstanding <= 0:
        errors["amount"] = [f"该履行事项（{ob.description}）已全部履行，无需再登记"]
    elif d["amount"] > outstanding:
        errors["amount"] = [f"登记金额{format_amount(d['amount'])}元超过该履行事项尚未履行的余额"
                            f"{format_amount(outstanding)}元，请核对"]
    files, file_errors = _proofs(op, d["proof_ids"])
    if file_errors:
        errors["proof_ids"] = file_errors
    if d["performed_on"] > op.today:
        errors["performed_on"] = ["履行日期不能晚于今天"]
    elif d["performed_on"] < agreement.signed_on:
        errors["performed_on"] = [f"履行日期不能早于协议签订日期{agreement.signed_on.isoformat()}"]
    if errors:
        raise ValidationFailed("履行情况有误：" + "；".join(m for ms in errors.values() for m in ms), errors=errors)
    payer, payee = default_payer_payee(case, ob)
    record = PerformanceRecord(performed_on=d["performed_on"], amount=d["amount"], proof=d["proof"],
                               payer=d["payer"].strip() or payer, payee=d["payee"].strip() or payee,
                               recorded_by_id=op.actor.user_id)
    ob.records.append(record)
    for f in files:
        f.record = record
    ob.performed_amount = (ob.performed_amount or Decimal("0")) + d["amount"]
    if ob.performed_amount >= ob.amount:
        ob.status = ObligationStatus.PERFORMED
        dl.end_obligation_limitation(case, ob, d["performed_on"])
        for dd in case.deadlines:
            if dd.kind == K.PERFORMANCE and dd.obligation is ob and dd.status in (
                DeadlineStatus.OPEN, DeadlineStatus.OVERDUE
            ):
                dd.status = DeadlineStatus.MET
                dd.resolved_on = d["performed_on"]
    else:
        ob.status = ObligationStatus.PARTIAL
    # the history line names the payment: amount, instalment and what is still owed on it
    return {"obligation": ob.description, "balance": str(ob.outstanding), "files": len(files)}


#: Claim types that are 劳动报酬 for SPC-I art. 51(2) (an agreement "仅就劳动报酬争议").
REMUNERATION_TYPES = frozenset({ClaimType.WAGES, ClaimType.OVERTIME})
ESTIMATE_NOTE = "期限按本会记录推算，仅供参考，以仲裁委员会认定为准"


def remedies_after_default(case: Case, today: dt.date) -> list[dict[str, Any]]:
    """The parties' next routes when an agreement is not performed: LDMAL art. 15 (mediation agreement) or
    art. 5 (settlement) — arbitration; art. 16 — a payment order when the employer defaults on pay arrears,
    work-injury medical costs, economic compensation or damages; SPC-I art. 51(2) — a direct suit when the
    mediation agreement is only about labour remuneration and the employer defaults."""
    agreement = case.current_agreement
    if agreement is None:
        return []
    defaulted = [o for o in agreement.obligations if o.status != ObligationStatus.PERFORMED and o.due_on < today]
    # The party learns of the default the day after the agreed date (LDMAL art. 27(1)).
    first_known = min((o.due_on for o in defaulted), default=today - dt.timedelta(days=1)) + dt.timedelta(days=1)
    limitation_note = f"仲裁时效一年，自知道或者应当知道权利被侵害之日起计算（第二十七条）；{ESTIMATE_NOTE}"
    if agreement.kind == AgreementKind.SETTLEMENT:
        return [{
            "route": "arbitration",
            "label": "申请调解或者申请劳动人事争议仲裁",
            "basis": "《劳动争议调解仲裁法》第五条",
            "limitation_from": first_known.isoformat(),
            "note": "达成和解协议后不履行的，可以向调解组织申请调解；不愿调解、调解不成的，可以向劳动争议仲裁委员会"
            f"申请仲裁。{limitation_note}",
        }]
    routes: list[dict[str, Any]] = [
        {
            "route": "arbitration",
            "label": "申请劳动人事争议仲裁",
            "basis": "《劳动争议调解仲裁法》第十五条",
            "limitation_from": first_known.isoformat(),
            "note": limitation_note,
        }
    ]
    by_employer = [o for o in defaulted if o.obligor == Obligor.EMPLOYER]
    eligible = [o for o in by_employer if ClaimType(o.claim_type).payment_order_eligible]
    if eligible:
        note = ("因支付拖欠劳动报酬、工伤医疗费、经济补偿或者赔偿金事项达成调解协议，用人单位在协议约定期限内"
                "不履行的，劳动者可以持调解协议书依法向人民法院申请支付令")
        if any(o.claim_type == ClaimType.DOUBLE_WAGES for o in eligible):
            note += "；未签劳动合同二倍工资是否属于劳动报酬或者赔偿金，由人民法院认定"
        routes.append(
            {
                "route": "payment_order",
                "label": "向人民法院申请支付令",
                "basis": "《劳动争议调解仲裁法》第十六条",
                "obligations": [o.id for o in eligible],
                "note": note,
            }
        )
    only_remuneration = bool(agreement.obligations) and all(
        ClaimType(o.claim_type) in REMUNERATION_TYPES and o.obligor == Obligor.EMPLOYER
        for o in agreement.obligations
    )
    if only_remuneration and by_employer:
        routes.append(
            {
                "route": "lawsuit",
                "label": "以调解协议书为依据直接向人民法院起诉",
                "basis": "最高人民法院关于审理劳动争议案件适用法律问题的解释（一）第五十一条",
                "note": "仅就劳动报酬争议达成调解协议，用人单位不履行调解协议确定的给付义务的，劳动者可以直接提起诉讼",
            }
        )
    return routes


def report_non_performance(op: Operation) -> dict[str, Any]:
    case = op.case
    agreement = case.current_agreement
    assert agreement is not None
    defaulted = []
    for o in agreement.obligations:
        if o.status != ObligationStatus.PERFORMED and o.due_on < op.today:
            o.status = ObligationStatus.DEFAULTED
            defaulted.append(o)
    routes = remedies_after_default(case, op.today)
    # LDMAL art. 27(1): each missed obligation's limitation runs from the day after its due date (the rows
    # opened with the agreement; added now for an agreement signed before they existed).
    with_row = {d.obligation_id for d in case.deadlines if d.kind == K.LIMITATION and d.obligation_id is not None}
    for o in defaulted:
        if o.id not in with_row:
            row = dl.add_deadline(case, K.LIMITATION, anchor=o.due_on + dt.timedelta(days=1), rules=op.rules,
                                  calendar=op.env.calendar)
            row.obligation = o
    per_obligation = sorted(
        (d.due_on, d.obligation.id) for d in case.deadlines
        if d.kind == K.LIMITATION and d.status == DeadlineStatus.OPEN and d.obligation is not None
        and d.obligation in defaulted
    )
    # The route names the earliest open date (conservative: a case-level row left from an older version counts).
    earliest = min((d.due_on for d in case.deadlines if d.kind == K.LIMITATION and d.status == DeadlineStatus.OPEN
                    and (d.obligation is None or d.obligation in defaulted)), default=None)
    for r in routes:
        if r["route"] == "arbitration" and earliest is not None:
            r["deadline"] = earliest.isoformat()
            r["limitations"] = [{"obligation_id": oid, "due_on": due.isoformat()} for due, oid in per_obligation]
    case.end_reason = "non_performance"
    return {"remedies": routes}


SPECS = (
    EventSpec("record_performance", schema=PerformanceSchema, effect=record_performance),
    EventSpec("record_late_performance", schema=PerformanceSchema, effect=record_performance),
    EventSpec("confirm_performed", meets=(K.PERFORMANCE,), cancels=(K.ARBITRATION_REVIEW, K.JUDICIAL_CONFIRMATION)),
    EventSpec("report_non_performance", effect=report_non_performance),
)
