"""The catalogue of official documents (文书): for each kind its title, template, default numbering
pattern, the inputs it takes when generated on demand, and a context builder that reads only the case.

What each document must contain follows ``DOMAIN.md`` ("Documents the engine produces"); the legal
references printed in the templates are:

- LDMAL = 《中华人民共和国劳动争议调解仲裁法》 arts. 12 (oral application recorded), 14 (agreement, its
  effect, the 15-day clock), 15 (non-performance → arbitration), 16 (payment order), 27 (1-year limitation);
- PML = 《中华人民共和国人民调解法》 arts. 17 (refusal to mediate), 33 (judicial confirmation within 30 days);
- CPL = 《中华人民共和国民事诉讼法》 arts. 87–90 (service and proof of service), 205 (confirmation);
- Trade Union Law art. 23 and Zhejiang's 2016 regulation (supervision letters, reply in 15 working days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.calendar import WorkdayCalendar, add_working_days
from mediation.db.models import Case, CaseEvent, Deadline, MediationSession, Party, Region, User
from mediation.db.models_documents import GeneratedDocument
from mediation.deadline_rules import DeadlineKind
from mediation.domain.enums import ClaimType, DisputeCategory, Gender, Obligor, PartyRole
from mediation.domain.errors import ValidationFailed
from mediation.money import amount_in_capitals, format_amount
from workflows.definitions import get_definition
from workflows.guards import RejectionReason, TerminationReason

CHINA = dt.timezone(dt.timedelta(hours=8))

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

    def title_for(self, context: Mapping[str, Any]) -> str:
        return str(context.get("doc_title") or self.title)


# --- formatting ---------------------------------------------------------------------------------------


def date_cn(d: dt.date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def datetime_cn(t: dt.datetime | None) -> str:
    if t is None:
        return ""
    local = t.astimezone(CHINA) if t.tzinfo else t
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
        "name": p.name,
        "gender_label": _label(Gender, p.gender) if p.gender and p.gender != Gender.UNKNOWN else "",
        "birth_date": date_cn(p.birth_date),
        "ethnicity": p.ethnicity or "",
        "id_number": p.id_number or "",
        "address": p.address or "",
        "phone": p.phone or "",
        "agent_kind": p.agent_kind or "",
        "agent_kind_label": AGENT_KINDS.get(p.agent_kind or "", p.agent_kind or ""),
    }


def employer_of(case: Case) -> dict[str, Any] | None:
    parties = case.parties_with_role(PartyRole.EMPLOYER)
    ent = case.enterprise
    if parties:
        p = parties[0]
        return {
            "name": p.name,
            "uscc": p.uscc or (ent.uscc if ent else "") or "",
            "address": p.address or (ent.address if ent else "") or "",
            "legal_representative": p.legal_representative or (ent.legal_representative if ent else "") or "",
            "phone": p.phone or "",
        }
    if ent is not None:
        return {"name": ent.name, "uscc": ent.uscc or "", "address": ent.address or "",
                "legal_representative": ent.legal_representative or "", "phone": ent.phone or ""}
    return None


def _deadline_due(case: Case, kind: DeadlineKind) -> dt.date | None:
    rows = [d for d in case.deadlines if d.kind == kind]
    if not rows:
        return None
    open_rows = [d for d in rows if d.status == "open"]
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


def case_context(b: BuildInput) -> dict[str, Any]:
    case = b.case
    workers = case.parties_with_role(PartyRole.WORKER)
    reps = case.parties_with_role(PartyRole.REPRESENTATIVE)
    applicants = reps if (case.is_collective and reps) else workers
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
    return {
        "id": case.id,
        "number": case.number,
        "title": case.title,
        "category": case.category,
        "category_label": _label(DisputeCategory, case.category),
        "matter": matter,
        "dispute_label": f"{matter}争议",
        "applicants": [person(p) for p in applicants],
        "applicant_label": "申请人（职工代表）" if applicants is reps and reps else "申请人",
        "applicant_names": "、".join(p.name for p in applicants) or "申请人",
        "agents": [person(p) for p in case.parties_with_role(PartyRole.AGENT)],
        "employer": employer_of(case),
        "claims": claims,
        "claims_summary": summary,
        "claimed_total": money(case.claimed_total),
        "requests": case.requests,
        "facts": case.facts,
        "oral": bool(case.oral_application),
        "workers_count": case.workers_count,
        "is_collective": bool(case.is_collective),
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
    return {"id": org.id, "name": org.name, "short_name": org.short_name, "region": region.name if region else ""}


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


def build_non_acceptance(b: BuildInput) -> dict[str, Any]:
    if b.case.status != "not_accepted" and b.case.end_reason not in {r.value for r in RejectionReason}:
        raise ValidationFailed("案件未作出不予受理决定，不能制作不予受理通知书")
    ctx = _base(b, "不予受理通知书")
    ev = _last_event(b, "reject")
    ctx["case"]["end_note"] = ev.reason if ev is not None and ev.reason else ""
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
        end = s.ended_at.astimezone(CHINA) if s.ended_at.tzinfo else s.ended_at
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


def _agreement(b: BuildInput) -> dict[str, Any]:
    ag = b.case.current_agreement
    if ag is None:
        raise ValidationFailed("该案件尚未达成调解协议")
    obligor = {Obligor.EMPLOYER.value: "被申请人", Obligor.WORKER.value: "申请人"}
    return {
        "kind": ag.kind,
        "terms": ag.terms,
        "obligations": [
            {"obligor_label": obligor.get(o.obligor, o.obligor), "description": o.description,
             "amount": money(o.amount), "due_on_cn": date_cn(o.due_on)}
            for o in ag.obligations
        ],
        "total": money(ag.total_amount),
        "method": ag.performance_method,
        "place": ag.performance_place,
        "signed_on_cn": date_cn(ag.signed_on),
        "review_kind": ag.review_kind or "",
    }


def build_agreement(b: BuildInput) -> dict[str, Any]:
    agreement = _agreement(b)
    ctx = _base(b, "劳动争议调解协议书" if agreement["kind"] == "mediation" else "和解协议书")
    ctx["agreement"] = agreement
    return ctx


def build_termination(b: BuildInput) -> dict[str, Any]:
    if b.case.status not in ("terminated", "referred", "lapsed") and not b.case.end_reason:
        raise ValidationFailed("案件未终止调解，不能制作终止调解书")
    return _base(b, "终止调解书")


def build_referral(b: BuildInput) -> dict[str, Any]:
    ctx = _base(b, "劳动争议案件移送函")
    ev = _last_event(b, "refer")
    named = (ev.payload or {}).get("arbitration_committee") if ev is not None else None
    ctx["arbitration_committee"] = str(b.params.get("arbitration_committee") or named or _committee(b))
    return ctx


def build_review_application(b: BuildInput) -> dict[str, Any]:
    agreement = _agreement(b)
    kind = str(b.params.get("review_kind") or agreement["review_kind"] or "judicial_confirmation")
    if kind not in ("arbitration_review", "judicial_confirmation"):
        raise ValidationFailed("审查类型无效", errors={"review_kind": ["请选择仲裁审查或司法确认"]})
    title = "仲裁审查申请书" if kind == "arbitration_review" else "司法确认申请书"
    ctx = _base(b, title)
    ctx["agreement"] = agreement
    ctx["review_kind"] = kind
    region = ctx["org"]["region"]
    default = _committee(b) if kind == "arbitration_review" else f"{region}人民法院"
    ctx["addressee"] = str(b.params.get("addressee") or default)
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
    ctx = _base(b, "劳动法律监督意见书")
    employer = ctx["case"]["employer"]
    days = int(b.params.get("reply_days") or 15)
    due = add_working_days(b.calendar, b.today, days).due
    ctx["letter"] = {
        "addressee": str(b.params.get("addressee") or (employer["name"] if employer else "")),
        "facts": _require(b, "facts", "发现的问题（事实）"),
        "legal_basis": _require(b, "legal_basis", "法律依据"),
        "correction": _require(b, "correction", "整改要求"),
        "reply_days": days,
        "reply_due_cn": date_cn(due),
    }
    if not ctx["letter"]["addressee"]:
        raise ValidationFailed("请填写受文单位", errors={"addressee": ["请填写受文单位"]})
    return ctx


def build_supervision_proposal(b: BuildInput) -> dict[str, Any]:
    opinion = b.session.scalars(
        select(GeneratedDocument)
        .where(GeneratedDocument.case_id == b.case.id, GeneratedDocument.kind == "supervision_opinion")
        .order_by(GeneratedDocument.id.desc()).limit(1)
    ).first()
    if opinion is None:
        raise ValidationFailed("须先制发劳动法律监督意见书，单位逾期不答复或拒不整改的，才能制发建议书")
    letter = dict(opinion.snapshot.get("letter") or {})
    ctx = _base(b, "劳动法律监督建议书")
    region = ctx["org"]["region"]
    ctx["letter"] = {
        "authority": str(b.params.get("authority") or f"{region}人力资源和社会保障局"),
        "addressee": letter.get("addressee", ""),
        "opinion_number": opinion.number,
        "opinion_date_cn": date_cn(opinion.created_at.astimezone(CHINA).date()),
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
            actions.append(f"{date_cn(ev.at.astimezone(CHINA).date())}{_event_label(case, ev.event)}")
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
                     "（{year}）{prefix}劳调协字第{n}号", build_agreement),
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
                             "reply_days": "答复期限（工作日，默认15）", "addressee": "受文单位"}),
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
