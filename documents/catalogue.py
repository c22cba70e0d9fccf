"""The catalogue of official documents (文书): for each kind its title, template, default numbering
pattern, the inputs it takes when generated on demand, and a context builder that reads only the case.

What each document must contain follows ``DOMAIN.md`` ("Documents the engine produces"); the legal
references printed in the templates are:

- LDMAL = 《中华人民共和国劳动争议调解仲裁法》 arts. 2 (what a labour dispute is), 4 (negotiation and
  settlement), 5 (a settlement not performed → mediation; no mediation → arbitration), 12 (oral application
  recorded), 14 (agreement, its effect, the 15-day clock), 15 (non-performance → arbitration), 16 (payment
  order; mediation agreements only), 27 (1-year limitation), 28 (arbitration starts on the party's own
  written application);
- PML = 《中华人民共和国人民调解法》 arts. 17 (refusal to mediate), 23 (the parties' rights), 33 (judicial
  confirmation within 30 days): cited only when the organisation is a people's mediation committee
  (``OrgKind.PEOPLES_MEDIATION``), the only kind that law binds;
- CPL = 《中华人民共和国民事诉讼法》 (2023 text) arts. 87–90 (service and proof of service), 205 (judicial
  confirmation of an agreement reached before any lawfully established mediation organisation, jointly
  within 30 days, at the basic court where a party is domiciled, the subject matter is or the organisation
  sits);
- 《劳动人事争议仲裁办案规则》 (人社部令第33号) art. 74: joint application for arbitration review within 15
  days of the agreement's effective date;
- ELDNMP = 《企业劳动争议协商调解规定》: its article numbers are unconfirmed, so it is cited without one;
- Trade Union Law art. 23 and Zhejiang's 2016 regulation (supervision letters, reply in 15 working days from
  receipt).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Case, CaseEvent, Deadline, MediationSession, Party, Region, User
from mediation.db.models_documents import GeneratedDocument
from mediation.domain.calendar import WorkdayCalendar, add_working_days
from mediation.domain.clock import CHINA_TZ, china_local
from mediation.domain.deadline_rules import DeadlineKind
from mediation.domain.enums import AgreementKind, ClaimType, DisputeCategory, Gender, Obligor, OrgKind, PartyRole
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
SERVICE_METHODS = ("直接送达", "留置送达", "邮寄送达", "电子送达", "委托送达")


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


@dataclass(frozen=True)
class Variant:
    """A different document under the same kind (e.g. a negotiated settlement beside the mediation
    agreement): its own template and its own number sequence (``key`` names the counter and the
    organisation's numbering format; at most 28 characters)."""

    key: str
    template: str
    pattern: str


@dataclass(frozen=True)
class DocumentKind:
    kind: str
    title: str
    template: str
    #: Placeholders ``{year}``, ``{prefix}`` (the organisation's short form), ``{n}``.
    pattern: str
    builder: Builder
    #: On-demand inputs (name → Chinese description); required ones are marked ``*``.
    inputs: Mapping[str, str] = field(default_factory=dict)
    #: Which subject a document is about: ``case`` (one per case), ``session``, ``document``.
    subject: str = "case"
    #: Case states in which it makes sense (``None`` = any).
    states: frozenset[str] | None = None
    #: Variants chosen by the builder (``context["doc_variant"]``).
    variants: Mapping[str, Variant] = field(default_factory=dict)

    def title_for(self, context: Mapping[str, Any]) -> str:
        return str(context.get("doc_title") or self.title)

    def variant_for(self, context: Mapping[str, Any]) -> Variant | None:
        name = context.get("doc_variant")
        return self.variants[str(name)] if name else None

    def template_for(self, context: Mapping[str, Any]) -> str:
        v = self.variant_for(context)
        return v.template if v else self.template

    def number_key(self, context: Mapping[str, Any]) -> str:
        """The counter and numbering-format key: the kind, or the variant's own sequence."""
        v = self.variant_for(context)
        return v.key if v else self.kind

    def pattern_for(self, context: Mapping[str, Any]) -> str:
        v = self.variant_for(context)
        return v.pattern if v else self.pattern


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


def _label(enum: Any, value: str | None, default: str = "") -> str:
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
        "gender_label": _label(Gender, p.gender) if p.gender and p.gender != Gender.UNKNOWN else "",
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


def _deadline_due(case: Case, kind: DeadlineKind) -> dt.date | None:
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


def _end_reason_label(case: Case) -> str:
    code = case.end_reason or ""
    for enum in (TerminationReason, RejectionReason):
        try:
            return str(enum(code).label)
        except ValueError:
            continue
    return {"non_performance": "一方当事人未按调解协议约定期限履行", "withdrawn": "申请人撤回申请"}.get(code, code)


def _outcome(case: Case) -> str:
    state = get_definition(case.workflow_version).state(case.status)
    reason = _end_reason_label(case)
    return f"{state.label}（{reason}）" if reason and reason != case.status else state.label


def _workers_list(case: Case) -> list[dict[str, Any]]:
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
            "label": _label(ClaimType, c.claim_type),
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
    group = _workers_list(case) if collective else []
    count = max(case.workers_count or 0, len(group))
    lead = group[0]["name"] if group else ""
    return {
        "id": case.id,
        "number": case.number,
        "title": case.title,
        "category": case.category,
        "category_label": _label(DisputeCategory, case.category),
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
        "mediation_end_cn": date_cn(_deadline_due(case, DeadlineKind.MEDIATION_END)),
        "arbitration_right_cn": date_cn(_deadline_due(case, DeadlineKind.ARBITRATION_RIGHT)),
        "limitation_due_cn": date_cn(_deadline_due(case, DeadlineKind.LIMITATION)),
        "mediator_name": mediator.display_name if mediator else "（待指定）",
        "status": case.status,
        "end_reason": case.end_reason or "",
        "end_reason_label": _end_reason_label(case),
        "rejection_reason": _end_reason_label(case) or "不符合受理条件",
        "outcome": _outcome(case),
    }


def org_context(b: BuildInput) -> dict[str, Any]:
    org = b.case.organisation
    region = b.session.get(Region, org.region_code) if org.region_code else None
    return {"id": org.id, "name": org.name, "short_name": org.short_name, "region": region.name if region else "",
            "kind": org.kind,
            # the People's Mediation Law binds only people's mediation committees (PML arts. 17, 23, 33)
            "peoples": org.kind == OrgKind.PEOPLES_MEDIATION}


def _base(b: BuildInput, title: str) -> dict[str, Any]:
    return {
        "doc_title": title,
        "org": org_context(b),
        "case": case_context(b),
        "today_cn": date_cn(b.today),
        "generated_by": b.actor_name,
    }


def _last_event(b: BuildInput, *events: str) -> CaseEvent | None:
    stmt = (select(CaseEvent).where(CaseEvent.case_id == b.case.id, CaseEvent.event.in_(events))
            .order_by(CaseEvent.seq.desc()).limit(1))
    return b.session.scalars(stmt).first()


def _require(b: BuildInput, name: str, label: str) -> str:
    value = str(b.params.get(name) or "").strip()
    if not value:
        raise ValidationFailed(f"请填写{label}", errors={name: [f"请填写{label}"]})
    return value


def _committee(b: BuildInput) -> str:
    region = org_context(b)["region"]
    return f"{region}劳动人事争议仲裁委员会" if region else "劳动人事争议仲裁委员会"


# --- builders -----------------------------------------------------------------------------------------


def build_application(b: BuildInput) -> dict[str, Any]:
    oral = bool(b.case.oral_application)
    ctx = _base(b, "口头申请调解笔录" if oral else "劳动争议调解申请书")
    registered = _last_event(b, "register_application", "create")
    at = registered.at if registered is not None else b.case.created_at
    ctx["recorded_at"] = datetime_cn(at)
    return ctx


def build_acceptance(b: BuildInput) -> dict[str, Any]:
    if b.case.accepted_on is None:
        raise ValidationFailed("案件尚未受理，不能制作受理通知书")
    return _base(b, "劳动争议调解受理通知书")


#: The basis the non-acceptance notice cites for each reason, by the kind of organisation. The People's
#: Mediation Law binds only people's mediation committees; ELDNMP's article numbers are unconfirmed, so it is
#: cited without one; an entry of ``""`` cites nothing (no confirmed source).
ELDNMP = "《企业劳动争议协商调解规定》"
LDMAL = "《中华人民共和国劳动争议调解仲裁法》"


def _non_acceptance(code: str, peoples: bool) -> dict[str, str]:
    """One decision sentence (with its own basis) and one route sentence (or none) per reason."""
    limitation = ("你（你们）可以自知道或者应当知道你（你们）的权利被侵害之日起一年内，依法向劳动人事争议仲裁委员会"
                  f"申请仲裁（{LDMAL}第五条、第二十七条）。")
    if code == RejectionReason.OUT_OF_SCOPE:
        basis = "" if peoples else f"根据{ELDNMP}的有关规定，"
        return {
            "decision": f"经审查，你（你们）申请调解的事项不属于{LDMAL}第二条规定的劳动争议，不属于本会受理范围，"
                        f"{basis}本会决定不予受理。",
            "route": "你（你们）可以通过协商、向有关部门反映或者依法向人民法院提起诉讼等其他合法途径解决。如认为该争议"
                     "属于劳动争议的，可以依法向劳动人事争议仲裁委员会申请仲裁。",
        }
    if code == RejectionReason.RESPONDENT_REFUSES:
        basis = ("根据《中华人民共和国人民调解法》第十七条“当事人一方明确拒绝调解的，不得调解”的规定，" if peoples
                 else f"根据{ELDNMP}的有关规定，")
        return {"decision": f"经审查，对方当事人明确表示不同意调解，{basis}本会决定不予受理。", "route": limitation}
    if code == RejectionReason.ALREADY_ARBITRATED:
        # the dispute is before an arbitration committee or a court already: no route to point to
        return {"decision": "经审查，该争议已进入劳动人事争议仲裁或者诉讼程序，本会决定不予受理。", "route": ""}
    return {"decision": "经审查，该申请不符合受理条件，本会决定不予受理。", "route": limitation}


def _sentence(text_: str) -> str:
    """A free-text note as a sentence of its own (ends with a full stop)."""
    text_ = text_.strip()
    return text_ if not text_ or text_[-1] in "。！？；.!?" else text_ + "。"


def build_non_acceptance(b: BuildInput) -> dict[str, Any]:
    if b.case.status != "not_accepted" and b.case.end_reason not in {r.value for r in RejectionReason}:
        raise ValidationFailed("案件未作出不予受理决定，不能制作不予受理通知书")
    ctx = _base(b, "不予受理通知书")
    ev = _last_event(b, "reject")
    note = ev.reason if ev is not None and ev.reason else ""
    ctx["case"]["end_note"] = note
    ctx["rejection"] = {**_non_acceptance(b.case.end_reason or "", ctx["org"]["peoples"]),
                        "note": _sentence(note)}
    return ctx


def _session_for(b: BuildInput) -> MediationSession:
    stmt = select(MediationSession).where(MediationSession.case_id == b.case.id)
    if b.subject:
        stmt = stmt.where(MediationSession.id == int(b.subject))
    found = b.session.scalars(stmt.order_by(MediationSession.id.desc()).limit(1)).first()
    if found is None:
        raise ValidationFailed("该案件还没有调解记录", errors={"session_id": ["调解会议不存在"]})
    return found


def build_session_record(b: BuildInput) -> dict[str, Any]:
    s = _session_for(b)
    ctx = _base(b, "调解笔录")
    time_cn = datetime_cn(s.started_at)
    if s.ended_at is not None:
        end = china_local(s.ended_at)
        time_cn += f"至{end.hour:02d}时{end.minute:02d}分"
    mediator = s.mediator.display_name if s.mediator else ctx["case"]["mediator_name"]
    ctx["session"] = {
        "id": s.id,
        "time_cn": time_cn,
        "place": s.place,
        "mediator": mediator,
        "recorder": s.recorder,
        "attendees": "、".join(str(a) for a in s.attendees),
        "record": s.record,
    }
    return ctx


#: How each document names the obligor of a term: mediation documents, settlements (no applicant: the
#: parties negotiated), the parties' joint application (both are applicants).
MEDIATION_LABELS = {Obligor.EMPLOYER.value: "被申请人", Obligor.WORKER.value: "申请人"}
SETTLEMENT_LABELS = {Obligor.EMPLOYER.value: "用人单位", Obligor.WORKER.value: "劳动者"}
#: The verb of a total: the employer pays; the worker may owe money or hand over property (给付).
TOTAL_VERBS = {Obligor.EMPLOYER.value: "应支付合计", Obligor.WORKER.value: "应给付合计"}


def _agreement(b: BuildInput, labels: Mapping[str, str] = MEDIATION_LABELS) -> dict[str, Any]:
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
             "amount": money(o.amount) if o.amount else None, "due_on_cn": date_cn(o.due_on)}
            for o in ag.obligations
        ],
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


def build_agreement(b: BuildInput) -> dict[str, Any]:
    """A mediation agreement (LDMAL art. 14), or a negotiated settlement (和解协议, LDMAL art. 4), which is
    the parties' own contract: its own template and number sequence, no mediation recitals, no art. 14
    effect clause, no payment order (art. 16) or judicial confirmation (CPL art. 205), and on default the
    routes of art. 5."""
    ag = b.case.current_agreement
    if ag is not None and ag.kind == AgreementKind.SETTLEMENT:
        ctx = _base(b, "和解协议书")
        ctx["doc_variant"] = "settlement"
        ctx["agreement"] = _agreement(b, SETTLEMENT_LABELS)
        return ctx
    agreement = _agreement(b)
    ctx = _base(b, "劳动争议调解协议书")
    ctx["agreement"] = agreement
    return ctx


#: Reasons a termination certificate (终止调解书) states: mediation was accepted and then ended without an
#: agreement. Withdrawn, not accepted and non-performed cases get no certificate.
TERMINATION_REASONS = frozenset(r.value for r in TerminationReason)


def build_termination(b: BuildInput) -> dict[str, Any]:
    case = b.case
    terminated = case.status in ("terminated", "lapsed") or (
        case.status in ("referred", "closed") and (case.end_reason or "") in TERMINATION_REASONS)
    if not terminated:
        if case.status == "withdrawn" or case.end_reason == "withdrawn":
            raise ValidationFailed("申请人已撤回调解申请，不制作终止调解书（撤回情况记录在案即可）")
        if case.status == "not_accepted" or (case.end_reason or "") in {r.value for r in RejectionReason}:
            raise ValidationFailed("案件未受理，应当制作不予受理通知书，不能制作终止调解书")
        if case.end_reason == "non_performance":
            raise ValidationFailed("案件已达成协议（未履行），不能制作终止调解书")
        raise ValidationFailed("案件未终止调解，不能制作终止调解书")
    ctx = _base(b, "终止调解书")
    if not case.end_reason:  # lapsed, the termination not yet recorded
        ctx["case"]["end_reason_label"] = TerminationReason.LAPSED.label
    return ctx


def _referred_from(b: BuildInput) -> str:
    """The state the case was referred from (the referral's reason), or the current state before referral."""
    ev = _last_event(b, "refer")
    return (ev.from_state or b.case.status) if ev is not None else b.case.status


def build_referral(b: BuildInput) -> dict[str, Any]:
    """Hands the file over under 调裁衔接; arbitration still starts only on the party's own written
    application (LDMAL art. 28), within the limitation period (art. 27). The enclosures depend on why the
    case is referred."""
    ctx = _base(b, "劳动争议案件移送函")
    ev = _last_event(b, "refer")
    named = (ev.payload or {}).get("arbitration_committee") if ev is not None else None
    ctx["arbitration_committee"] = str(b.params.get("arbitration_committee") or named or _committee(b))
    case = b.case
    source = _referred_from(b)
    enclosures = ["调解申请书"] if case.received_on is not None else []
    if case.sessions and source != "not_accepted":
        enclosures.append("调解笔录")
    ag = case.current_agreement
    if source == "not_accepted":
        enclosures.append("不予受理通知书")
    elif source == "non_performed":
        enclosures += ["和解协议书" if ag is not None and ag.kind == AgreementKind.SETTLEMENT else "调解协议书",
                       "履行情况材料"]
    elif source == "terminated":
        enclosures.append("终止调解书")
    definition = get_definition(case.workflow_version)
    try:
        label = definition.state(source).label
    except KeyError:
        label = source
    reason = ctx["case"]["end_reason_label"]
    if source == "lapsed" and not case.end_reason:
        reason = TerminationReason.LAPSED.label
    ctx["referral"] = {
        "from_state": source,
        "outcome": f"{label}（{reason}）" if reason and reason != source else label,
        "enclosures": "、".join(enclosures),
    }
    return ctx


def _agreement_document(b: BuildInput) -> GeneratedDocument | None:
    return b.session.scalars(
        select(GeneratedDocument)
        .where(GeneratedDocument.case_id == b.case.id, GeneratedDocument.kind == "mediation_agreement")
        .order_by(GeneratedDocument.id.desc()).limit(1)
    ).first()


def build_review_application(b: BuildInput) -> dict[str, Any]:
    """The parties' joint application (both are applicants) for arbitration review (办案规则 art. 74, within
    15 days) or judicial confirmation (CPL art. 205, within 30 days). The committee prepares it for them: no
    letterhead, its number printed only as the committee's filing reference. Only for a mediation agreement:
    a negotiated settlement was not reached before a mediation organisation."""
    ag = b.case.current_agreement
    if ag is not None and ag.kind == AgreementKind.SETTLEMENT:
        raise ValidationFailed(
            "和解协议是当事人自行协商达成的，不是经调解组织调解达成的调解协议，不能申请仲裁审查或者司法确认"
            "（《劳动人事争议仲裁办案规则》第七十四条、《中华人民共和国民事诉讼法》第二百零五条）",
            errors={"review_kind": ["和解协议不能申请仲裁审查或者司法确认"]})
    agreement = _agreement(b, {Obligor.EMPLOYER.value: "用人单位", Obligor.WORKER.value: "劳动者"})
    kind = str(b.params.get("review_kind") or agreement["review_kind"] or "judicial_confirmation")
    if kind not in ("arbitration_review", "judicial_confirmation"):
        raise ValidationFailed("审查类型无效", errors={"review_kind": ["请选择仲裁审查或司法确认"]})
    title = "仲裁审查申请书" if kind == "arbitration_review" else "司法确认申请书"
    ctx = _base(b, title)
    ctx["agreement"] = agreement
    doc = _agreement_document(b)
    ctx["agreement_number"] = doc.number if doc is not None else ""
    ctx["review_kind"] = kind
    given = str(b.params.get("addressee") or "").strip()
    if kind == "arbitration_review":
        ctx["addressee"] = given or _committee(b)
        ctx["addressee_note"] = "" if given else "（请核实有管辖权的劳动人事争议仲裁委员会）"
    else:
        # CPL art. 205: the basic court where a party is domiciled, the subject matter is or the organisation
        # sits; the engine does not know which one the parties choose: left for them to fill in
        ctx["addressee"] = given
        ctx["addressee_note"] = "" if given else "（请核实有管辖权的基层人民法院）"
    return ctx


def build_service_receipt(b: BuildInput) -> dict[str, Any]:
    if not b.subject:
        raise ValidationFailed("请选择要送达的文书", errors={"served_document_id": ["请选择要送达的文书"]})
    served = b.session.get(GeneratedDocument, int(b.subject))
    if served is None or served.case_id != b.case.id:
        raise ValidationFailed("要送达的文书不存在", errors={"served_document_id": ["文书不存在"]})
    ctx = _base(b, "送达回证")
    method = str(b.params.get("method") or "直接送达")
    if method not in SERVICE_METHODS:
        raise ValidationFailed("送达方式无效", errors={"method": [f"可选：{'、'.join(SERVICE_METHODS)}"]})
    applicants = ctx["case"]["applicants"]
    ctx["served"] = {
        "title": served.title,
        "number": served.number,
        "recipient": str(b.params.get("recipient") or ctx["case"]["applicant_names"]),
        "address": str(b.params.get("address") or (applicants[0]["address"] if applicants else "")),
        "method": method,
        "server": str(b.params.get("server") or b.actor_name),
    }
    return ctx


def build_supervision_opinion(b: BuildInput) -> dict[str, Any]:
    """The reply period runs from the employer's receipt of the letter (Zhejiang model), which the engine
    does not know when it generates the letter: the period is printed as counted from receipt."""
    ctx = _base(b, "劳动法律监督意见书")
    employer = ctx["case"]["employer"]
    days = int(b.params.get("reply_days") or 15)
    ctx["letter"] = {
        "addressee": str(b.params.get("addressee") or (employer["name"] if employer else "")),
        "facts": _require(b, "facts", "发现的问题（事实）"),
        "legal_basis": _require(b, "legal_basis", "法律依据"),
        "correction": _require(b, "correction", "整改要求"),
        "reply_days": days,
    }
    if not ctx["letter"]["addressee"]:
        raise ValidationFailed("请填写受文单位", errors={"addressee": ["请填写受文单位"]})
    return ctx


def build_supervision_proposal(b: BuildInput) -> dict[str, Any]:
    """Only after the opinion's reply period has passed. The period runs from the employer's receipt, which
    the engine does not record; receipt cannot precede issue, so until the period counted from the day the
    opinion was issued has passed the reply period certainly has not, and the proposal is refused."""
    opinion = b.session.scalars(
        select(GeneratedDocument)
        .where(GeneratedDocument.case_id == b.case.id, GeneratedDocument.kind == "supervision_opinion")
        .order_by(GeneratedDocument.id.desc()).limit(1)
    ).first()
    if opinion is None:
        raise ValidationFailed("须先制发劳动法律监督意见书，单位逾期不答复或拒不整改的，才能制发建议书")
    letter = dict(opinion.snapshot.get("letter") or {})
    issued_raw = (opinion.snapshot.get("document") or {}).get("generated_on")
    issued = dt.date.fromisoformat(issued_raw) if issued_raw else opinion.created_at.astimezone(CHINA_TZ).date()
    days = int(letter.get("reply_days") or 15)
    earliest = add_working_days(b.calendar, issued, days).due
    if b.today <= earliest:
        raise ValidationFailed(
            f"意见书的答复期限（自用人单位收到之日起{days}个工作日）尚未届满，最早于{date_cn(earliest)}届满，"
            "届满后单位仍未答复或者拒不整改的，才能制发建议书")
    ctx = _base(b, "劳动法律监督建议书")
    region = ctx["org"]["region"]
    ctx["letter"] = {
        "authority": str(b.params.get("authority") or f"{region}人力资源和社会保障局"),
        "addressee": letter.get("addressee", ""),
        "opinion_number": opinion.number,
        "opinion_date_cn": date_cn(issued),
        "reply_days": days,
        "facts": str(b.params.get("facts") or letter.get("facts", "")),
        "legal_basis": str(b.params.get("legal_basis") or letter.get("legal_basis", "")),
        "response_history": _require(b, "response_history", "用人单位答复及整改情况"),
    }
    return ctx


def build_early_warning(b: BuildInput) -> dict[str, Any]:
    """The risk-warning report (早报告): the enterprise, where it is, the indicators and the level that the
    early-warning rules found (``mediation.risk``), the workers involved, what has been done, who reports."""
    from mediation.risk.alerts import report_context_for_case

    ctx = _base(b, "劳动关系风险预警报告")
    case = b.case
    risk = report_context_for_case(b.session, case)
    c = ctx["case"]
    location = risk["location"]
    place = "，".join(x for x in (location.get("region"), (location.get("park") or {}).get("name")) if x)
    indicators = [i["label"] if i["value"] is True else f"{i['label']}：{i['value']}{i['unit'] or ''}"
                  for i in risk["indicators"] if i["value"] not in (False, None, 0, "")]
    if case.is_collective:
        indicators.append(f"集体劳动争议（{case.workers_count}人）")
    if not indicators:
        indicators.append(c["claims_summary"])
    actions = [risk["actions"]] if risk["actions"] else []
    for ev in b.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)):
        if ev.event in ("begin_triage", "start_negotiation", "register_application", "accept", "record_session"):
            actions.append(f"{date_cn(ev.at.astimezone(CHINA_TZ).date())}{_event_label(case, ev.event)}")
    employer = c["employer"] or {}
    ctx["report"] = {
        "enterprise": employer.get("name") or (risk["enterprise"] or {}).get("name", ""),
        "uscc": employer.get("uscc") or (risk["enterprise"] or {}).get("uscc") or "",
        "location": str(b.params.get("location") or place or ctx["org"]["region"]),
        "indicators": str(b.params.get("indicators") or "；".join(indicators)),
        "workers": max(int(risk["workers_involved"] or 0), case.workers_count),
        "level": str(b.params.get("level") or risk["level_label"]),
        "cause": str(b.params.get("cause") or case.facts or c["claims_summary"]),
        "trend": str(b.params.get("trend") or "（待研判）"),
        "actions": str(b.params.get("actions") or "；".join(actions) or "已登记，正在研判"),
        "reporter": str(b.params.get("reporter") or b.actor_name),
        "time_cn": datetime_cn(dt.datetime.now(dt.UTC)),
    }
    return ctx


def _event_label(case: Case, event: str) -> str:
    return get_definition(case.workflow_version).event_label(event)


# --- the catalogue ------------------------------------------------------------------------------------

CATALOGUE: dict[str, DocumentKind] = {
    k.kind: k
    for k in (
        DocumentKind("application", "劳动争议调解申请书", "application.html", "（{year}）{prefix}劳调申字第{n}号",
                     build_application),
        DocumentKind("acceptance_notice", "受理通知书", "acceptance_notice.html", "（{year}）{prefix}劳调受字第{n}号",
                     build_acceptance),
        DocumentKind("non_acceptance_notice", "不予受理通知书", "non_acceptance_notice.html",
                     "（{year}）{prefix}劳调不受字第{n}号", build_non_acceptance),
        DocumentKind("session_record", "调解笔录", "session_record.html", "（{year}）{prefix}劳调笔字第{n}号",
                     build_session_record, inputs={"session_id": "调解会议（默认最近一次）"}, subject="session"),
        DocumentKind("mediation_agreement", "劳动争议调解协议书", "mediation_agreement.html",
                     "（{year}）{prefix}劳调协字第{n}号", build_agreement,
                     # a negotiated settlement is the parties' contract, registered under its own sequence
                     variants={"settlement": Variant("settlement_agreement", "settlement_agreement.html",
                                                     "（{year}）{prefix}劳和登字第{n}号")}),
        DocumentKind("termination_certificate", "终止调解书", "termination_certificate.html",
                     "（{year}）{prefix}劳调终字第{n}号", build_termination),
        DocumentKind("referral_letter", "劳动争议案件移送函", "referral_letter.html", "{prefix}劳调函〔{year}〕{n}号",
                     build_referral, inputs={"arbitration_committee": "仲裁委员会名称"}),
        DocumentKind("review_application", "仲裁审查/司法确认申请书", "review_application.html",
                     "（{year}）{prefix}劳调审字第{n}号", build_review_application,
                     inputs={"review_kind": "arbitration_review 或 judicial_confirmation", "addressee": "受理机关"}),
        DocumentKind("service_receipt", "送达回证", "service_receipt.html", "（{year}）{prefix}劳调送字第{n}号",
                     build_service_receipt,
                     inputs={"served_document_id": "*送达的文书", "recipient": "受送达人", "address": "送达地址",
                             "method": "送达方式", "server": "送达人"}, subject="document"),
        DocumentKind("supervision_opinion", "劳动法律监督意见书", "supervision_opinion.html",
                     "{prefix}工监〔{year}〕{n}号", build_supervision_opinion,
                     inputs={"facts": "*发现的问题", "legal_basis": "*法律依据", "correction": "*整改要求",
                             "reply_days": "答复期限（自收到之日起的工作日，默认15）", "addressee": "受文单位"}),
        DocumentKind("supervision_proposal", "劳动法律监督建议书", "supervision_proposal.html",
                     "{prefix}工建〔{year}〕{n}号", build_supervision_proposal,
                     inputs={"response_history": "*用人单位答复及整改情况", "authority": "劳动行政部门",
                             "facts": "问题", "legal_basis": "法律依据"}),
        DocumentKind("early_warning_report", "劳动关系风险预警报告", "early_warning_report.html",
                     "{prefix}工预〔{year}〕{n}号", build_early_warning,
                     inputs={"level": "预警等级", "indicators": "风险指标", "cause": "事件起因", "trend": "发展趋势",
                             "actions": "已采取的措施", "reporter": "报告人"}),
    )
}


def get_kind(kind: str) -> DocumentKind:
    try:
        return CATALOGUE[kind]
    except KeyError:
        raise ValidationFailed(
            f"未知的文书类型“{kind}”", errors={"kind": [f"可选：{'、'.join(CATALOGUE)}"]}
        ) from None


def mediator_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else "系统"
