"""What every document builder shares: the builder's input, formatting (dates, amounts), and the case,
the organisation and the parties as the documents see them.

A builder (one module per document kind in this package) reads only the case and returns the template's
context; it never writes. The legal references the templates print are listed in
:mod:`documents.catalogue`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Case, CaseEvent, Deadline, Party, Region, User
from mediation.domain import legal_basis as lb
from mediation.domain.calendar import WorkdayCalendar
from mediation.domain.clock import china_local
from mediation.domain.deadline_rules import DeadlineKind
from mediation.domain.enums import ClaimType, DisputeCategory, Gender, Obligor, OrgKind, PartyRole
from mediation.domain.errors import ValidationFailed
from mediation.domain.money import amount_in_capitals, format_amount
from workflows.definitions import get_definition
from workflows.guards import RejectionReason, TerminationReason

AGENT_KINDS = {
    "lawyer": "律师",
    "union": "工会工作者",
    "relative": "近亲属",
    "colleague": "同事",
    "legal_aid": "法律援助人员",
    "employee": "单位工作人员",
}
#: "因……发生争议" for each LDMAL art. 2 category, when the claims don't name the matter more precisely.
CATEGORY_MATTER = {
    "labour_relationship": "确认劳动关系",
    "contract": "订立、履行、变更、解除和终止劳动合同",
    "dismissal": "除名、辞退和辞职、离职",
    "hours_leave_insurance": "工作时间、休息休假、社会保险、福利、培训以及劳动保护",
    "remuneration": "劳动报酬、工伤医疗费、经济补偿或者赔偿金",
    "other": "劳动权利义务",
}


@dataclass(frozen=True)
class BuildInput:
    session: Session
    case: Case
    params: Mapping[str, Any]
    today: dt.date
    calendar: WorkdayCalendar
    actor_name: str
    #: The document's subject within the case ("" for one-per-case documents, a session id, ...).
    subject: str = ""


Builder = Callable[[BuildInput], dict[str, Any]]


# --- formatting ---------------------------------------------------------------------------------------


def date_cn(d: dt.date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def datetime_cn(t: dt.datetime | None) -> str:
    if t is None:
        return ""
    local = china_local(t)
    return f"{date_cn(local.date())}{local.hour:02d}时{local.minute:02d}分"


def money(amount: Decimal | int | str | None) -> dict[str, str] | None:
    if amount is None:
        return None
    return {"figures": format_amount(amount), "capitals": amount_in_capitals(amount)}


def label_of(enum: Any, value: str | None, default: str = "") -> str:
    if not value:
        return default
    try:
        return str(enum(value).label)
    except ValueError:
        return value


# --- the case as the documents see it -----------------------------------------------------------------


def person(p: Party) -> dict[str, Any]:
    return {
        "party_id": p.id,
        "name": p.name,
        "gender_label": label_of(Gender, p.gender) if p.gender and p.gender != Gender.UNKNOWN else "",
        "birth_date": date_cn(p.birth_date),
        "ethnicity": p.ethnicity or "",
        "id_number": p.id_number or "",
        "address": p.address or "",
        "phone": p.phone or "",
        "agent_kind": p.agent_kind or "",
        "agent_kind_label": AGENT_KINDS.get(p.agent_kind or "", p.agent_kind or ""),
        "agents": [],
    }


def employer_of(case: Case) -> dict[str, Any] | None:
    parties = case.parties_with_role(PartyRole.EMPLOYER)
    ent = case.enterprise
    if parties:
        p = parties[0]
        return {
            "party_id": p.id,
            "name": p.name,
            "uscc": p.uscc or (ent.uscc if ent else "") or "",
            "address": p.address or (ent.address if ent else "") or "",
            "legal_representative": p.legal_representative or (ent.legal_representative if ent else "") or "",
            "phone": p.phone or "",
            "agents": [],
        }
    if ent is not None:
        return {"party_id": None, "name": ent.name, "uscc": ent.uscc or "", "address": ent.address or "",
                "legal_representative": ent.legal_representative or "", "phone": ent.phone or "", "agents": []}
    return None


def _attach_agents(case: Case, holders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put each agent under the party it acts for (``represents_id``); returns the agents whose principal is
    not recorded (printed as such, never as if they acted for the party printed before them)."""
    by_id = {h["party_id"]: h for h in holders if h.get("party_id") is not None}
    unassigned = []
    for a in case.parties_with_role(PartyRole.AGENT):
        holder = by_id.get(a.represents_id)
        (holder["agents"] if holder is not None else unassigned).append(person(a))
    return unassigned


def deadline_due(case: Case, kind: DeadlineKind) -> dt.date | None:
    rows = [d for d in case.deadlines if d.kind == kind]
    if not rows:
        return None
    open_rows = [d for d in rows if d.status == "open"]
    if kind == DeadlineKind.LIMITATION and open_rows:
        # one limitation per defaulted obligation once an agreement is broken: the earliest is the date a
        # worker must not miss
        return min(d.due_on for d in open_rows)
    chosen: Deadline = (open_rows or rows)[-1]
    return chosen.due_on


def end_reason_label(case: Case) -> str:
    code = case.end_reason or ""
    for enum in (TerminationReason, RejectionReason):
        try:
            return str(enum(code).label)
        except ValueError:
            continue
    return {"non_performance": "一方当事人未按调解协议约定期限履行", "withdrawn": "申请人撤回申请"}.get(code, code)


def outcome(case: Case) -> str:
    state = get_definition(case.workflow_version).state(case.status)
    reason = end_reason_label(case)
    return f"{state.label}（{reason}）" if reason and reason != case.status else state.label


def workers_list(case: Case) -> list[dict[str, Any]]:
    """The workers a collective dispute concerns, as far as the case names them: the worker parties, then
    any representative not already among them (representatives are workers of the group)."""
    listed = [person(p) for p in case.parties_with_role(PartyRole.WORKER)]
    names = {w["name"] for w in listed}
    listed += [person(p) for p in case.parties_with_role(PartyRole.REPRESENTATIVE) if p.name not in names]
    return listed


def case_context(b: BuildInput) -> dict[str, Any]:
    case = b.case
    workers = case.parties_with_role(PartyRole.WORKER)
    reps = case.parties_with_role(PartyRole.REPRESENTATIVE)
    collective = bool(case.is_collective)
    applicants = reps if (collective and reps) else workers
    claims = [
        {
            "label": label_of(ClaimType, c.claim_type),
            "description": c.description,
            "amount": money(c.amount) if c.amount is not None else None,
        }
        for c in case.claims
    ]
    summary = "；".join(
        c["label"] + (f"{c['amount']['figures']}元" if c["amount"] else "") for c in claims
    ) or case.requests or case.title
    mediator = b.session.get(User, case.lead_mediator_id) if case.lead_mediator_id else None
    matter = "、".join(dict.fromkeys(c["label"] for c in claims if c["label"] != "其他")) or CATEGORY_MATTER.get(
        case.category, "劳动权利义务")
    applicant_rows = [person(p) for p in applicants]
    employer = employer_of(case)
    unassigned_agents = _attach_agents(case, [*applicant_rows, *([employer] if employer else [])])
    # LDMAL art. 7: in a collective dispute the workers are the parties; the representatives act for them.
    group = workers_list(case) if collective else []
    count = max(case.workers_count or 0, len(group))
    lead = group[0]["name"] if group else ""
    return {
        "id": case.id,
        "number": case.number,
        "title": case.title,
        "category": case.category,
        "category_label": label_of(DisputeCategory, case.category),
        "matter": matter,
        "dispute_label": f"{matter}争议",
        "applicants": applicant_rows,
        "applicant_label": "代表人" if collective and reps else "申请人",
        "applicant_names": ((f"{lead}等{count}名职工" if lead else f"{count}名职工") if collective else
                            "、".join(p.name for p in applicants) or "申请人"),
        "agents": unassigned_agents,
        "employer": employer,
        "collective": {
            "lead": lead,
            "count": count,
            "representatives": [person(p) for p in reps],
            "workers": group,
            # rows of the annex: the named workers, then blank rows up to the number of workers
            "blank_rows": max(count - len(group), 0),
        } if collective else None,
        "claims": claims,
        "claims_summary": summary,
        "claimed_total": money(case.claimed_total),
        "requests": case.requests,
        "facts": case.facts,
        "oral": bool(case.oral_application),
        "workers_count": case.workers_count,
        "is_collective": collective,
        "received_on_cn": date_cn(case.received_on),
        "accepted_on_cn": date_cn(case.accepted_on),
        "ended_on_cn": date_cn(case.ended_on),
        "mediation_end_cn": date_cn(deadline_due(case, DeadlineKind.MEDIATION_END)),
        "arbitration_right_cn": date_cn(deadline_due(case, DeadlineKind.ARBITRATION_RIGHT)),
        "limitation_due_cn": date_cn(deadline_due(case, DeadlineKind.LIMITATION)),
        "mediator_name": mediator.display_name if mediator else "（待指定）",
        "status": case.status,
        "end_reason": case.end_reason or "",
        "end_reason_label": end_reason_label(case),
        "rejection_reason": end_reason_label(case) or "不符合受理条件",
        "outcome": outcome(case),
    }


def org_context(b: BuildInput) -> dict[str, Any]:
    org = b.case.organisation
    region = b.session.get(Region, org.region_code) if org.region_code else None
    return {"id": org.id, "name": org.name, "short_name": org.short_name, "region": region.name if region else "",
            "kind": org.kind,
            # the People's Mediation Law binds only people's mediation committees (PML arts. 17, 23, 33)
            "peoples": org.kind == OrgKind.PEOPLES_MEDIATION}


#: The citations documents print, from the one table the guards and deadline rows also use
#: (mediation/domain/legal_basis.py): the deadline row and the PDF cannot disagree.
LEGAL = {
    "review": lb.ARBITRATION_REVIEW.full,
    "late_review": lb.LATE_REVIEW.full,
    "default_without_review": lb.DEFAULT_WITHOUT_REVIEW.full,
    "failure_record": lb.FAILURE_RECORD.full,
    "arbitration_start": lb.ARBITRATION_STARTS_ON_APPLICATION.full,
    "collective": lb.COLLECTIVE.full,
    "mediation_end": lb.MEDIATION_END.full,
}


def base_context(b: BuildInput, title: str) -> dict[str, Any]:
    return {
        "legal": LEGAL,
        "doc_title": title,
        "org": org_context(b),
        "case": case_context(b),
        "today_cn": date_cn(b.today),
        "generated_by": b.actor_name,
    }


def last_event(b: BuildInput, *events: str) -> CaseEvent | None:
    stmt = (select(CaseEvent).where(CaseEvent.case_id == b.case.id, CaseEvent.event.in_(events))
            .order_by(CaseEvent.seq.desc()).limit(1))
    return b.session.scalars(stmt).first()


def require_param(b: BuildInput, name: str, label: str) -> str:
    value = str(b.params.get(name) or "").strip()
    if not value:
        raise ValidationFailed(f"请填写{label}", errors={name: [f"请填写{label}"]})
    return value


def arbitration_committee_name(b: BuildInput) -> str:
    region = org_context(b)["region"]
    return f"{region}劳动人事争议仲裁委员会" if region else "劳动人事争议仲裁委员会"


#: How each document names the obligor of a term: mediation documents, settlements (no applicant: the
#: parties negotiated), the parties' joint application (both are applicants).
MEDIATION_LABELS = {Obligor.EMPLOYER.value: "被申请人", Obligor.WORKER.value: "申请人"}
SETTLEMENT_LABELS = {Obligor.EMPLOYER.value: "用人单位", Obligor.WORKER.value: "劳动者"}
#: The verb of a total: the employer pays; the worker may owe money or hand over property (给付).
TOTAL_VERBS = {Obligor.EMPLOYER.value: "应支付合计", Obligor.WORKER.value: "应给付合计"}


def agreement_context(b: BuildInput, labels: Mapping[str, str] = MEDIATION_LABELS) -> dict[str, Any]:
    ag = b.case.current_agreement
    if ag is None:
        raise ValidationFailed("该案件尚未达成调解协议")
    totals: dict[str, Decimal] = {}
    for o in ag.obligations:
        if o.amount:
            totals[o.obligor] = totals.get(o.obligor, Decimal("0")) + o.amount
    return {
        "kind": ag.kind,
        "terms": ag.terms,
        "obligations": [
            # a term without an amount (reinstatement, a certificate, returning property) prints no amount
            {"obligor": o.obligor, "obligor_label": labels.get(o.obligor, o.obligor), "description": o.description,
             "amount": money(o.amount) if o.amount else None, "due_on_cn": date_cn(o.due_on),
             "beneficiary": o.beneficiary or ""}
            for o in ag.obligations
        ],
        # collective agreements: what each named worker receives (every obligation naming a beneficiary)
        "per_worker": _per_worker(ag.obligations),
        # one total per obligor: the two sides' obligations are never added together
        "totals": [
            {"obligor": who, "label": f"{labels.get(who, who)}{TOTAL_VERBS.get(who, '应履行合计')}",
             "amount": money(amount)}
            for who, amount in sorted(totals.items(), key=lambda kv: kv[0] != Obligor.EMPLOYER.value)
        ],
        "method": ag.performance_method,
        "place": ag.performance_place,
        "signed_on_cn": date_cn(ag.signed_on),
        "review_kind": ag.review_kind or "",
    }


def _per_worker(obligations: Any) -> list[dict[str, Any]]:
    sums: dict[str, Decimal] = {}
    for o in obligations:
        if o.beneficiary:
            sums[o.beneficiary] = sums.get(o.beneficiary, Decimal("0")) + (o.amount or Decimal("0"))
    return [{"name": name, "amount": money(amount)} for name, amount in sums.items()]


def event_label(case: Case, event: str) -> str:
    return get_definition(case.workflow_version).event_label(event)


def mediator_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else "系统"
