"""Risk signals: intake (早发现), lineage to cases (早介入), resolution.

A signal names an enterprise and the organisation that received it; several signals may concern one
enterprise and attach to one case. Every intake or resolution re-assesses the enterprise in the same
transaction (a rise into orange/red raises an alert). Turning a signal into a case goes through
``mediation.cases.service.create_case`` (source kept, initial state ``reported``); the link is written
by the risk observer inside create_case's own unit of work, so the case and its lineage commit together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from mediation.cases.queries import org_scope_clause
from mediation.db.models import Case, Enterprise, Organisation
from mediation.db.models_access import PersonalDataAccess
from mediation.db.models_risk import RiskSignal
from mediation.db.uow import unit_of_work
from mediation.domain.enums import Role
from mediation.domain.errors import NotFound, PermissionDenied, ValidationFailed
from mediation.domain.identity import mask_name, mask_phone
from mediation.domain.policy import Actor, can, in_scope
from mediation.risk import facts, rollups, scoring
from mediation.risk.inputs import (
    CASE_SOURCE_FOR,
    SIGNAL_SOURCES,
    SIGNAL_STATUSES,
    SignalAttachSchema,
    SignalConvertSchema,
    SignalCreateSchema,
    SignalResolveSchema,
)
from mediation.risk.rules import FLAG_INDICATORS, INDICATORS, SIGNAL_NUMBER_FIELDS
from mediation.runtime.env import ServiceEnv
from workflows.schema import load_input

#: ``session.info`` key: signals to link to the case that create_case is registering.
PENDING_LINKS = "risk.pending_signal_links"
INTAKE_ROLES = (Role.CLERK, Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM)


def _check_org(session: Session, actor: Actor, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise ValidationFailed("组织不存在", errors={"organisation_id": ["组织不存在"]})
    if actor.role not in INTAKE_ROLES or not in_scope(actor, org.id, org.path):
        raise PermissionDenied("您无权在该组织登记风险信息")
    return org


def record_signal(session: Session, *, actor: Actor, data: Mapping[str, Any],
                  at: dt.datetime | None = None) -> tuple[RiskSignal, scoring.RescoreResult]:
    """Register a signal and re-assess its enterprise (one unit of work)."""
    with unit_of_work(session):
        d = load_input(SignalCreateSchema(), data)
        now = at or dt.datetime.now(dt.UTC)
        observed = d["observed_at"] or now
        if observed > now + dt.timedelta(minutes=5):
            raise ValidationFailed("发现时间不能晚于登记时间", errors={"observed_at": ["发现时间不能晚于登记时间"]})
        org_id = d["organisation_id"] or actor.organisation_id
        if org_id is None:
            raise ValidationFailed("请选择接收信息的组织", errors={"organisation_id": ["必填"]})
        org = _check_org(session, actor, org_id)
        if session.get(Enterprise, d["enterprise_id"]) is None:
            raise ValidationFailed("用人单位不存在", errors={"enterprise_id": ["用人单位不存在"]})
        values = {k: v for k, v in d.items() if k not in ("organisation_id", "observed_at")}
        signal = RiskSignal(**values, organisation_id=org.id, observed_at=observed, received_at=now,
                            recorded_by_id=actor.user_id, status="open")
        session.add(signal)
        session.flush()
        rollups.apply_signal_counters(session, enterprise_id=signal.enterprise_id, organisation_id=org.id, total=1,
                                    open_=1)
        result = scoring.rescore(session, signal.enterprise_id, at=now, reason="signal", signal_id=signal.id,
                                 organisation_id=org.id)
        return signal, result


def get_signal(session: Session, *, actor: Actor, signal_id: int) -> RiskSignal:
    s = session.scalars(select(RiskSignal).where(RiskSignal.id == signal_id)
                        .options(joinedload(RiskSignal.organisation), joinedload(RiskSignal.enterprise))).one_or_none()
    if s is None or not in_scope(actor, s.organisation_id, s.organisation.path):
        raise NotFound(f"风险信息{signal_id}不存在或不在您的管辖范围内")
    return s


def list_signals(session: Session, *, actor: Actor, enterprise_id: int | None = None, status: str | None = None,
                 limit: int = 50, offset: int = 0) -> tuple[list[RiskSignal], int]:
    stmt = select(RiskSignal).where(org_scope_clause(actor, RiskSignal.organisation_id))
    if enterprise_id:
        stmt = stmt.where(RiskSignal.enterprise_id == enterprise_id)
    if status:
        stmt = stmt.where(RiskSignal.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(stmt.options(joinedload(RiskSignal.organisation), joinedload(RiskSignal.enterprise))
                            .order_by(RiskSignal.observed_at.desc(), RiskSignal.id.desc())
                            .limit(limit).offset(offset)).all()
    return list(items), int(total)


def _act_check(actor: Actor, s: RiskSignal) -> None:
    if actor.role not in INTAKE_ROLES:
        raise PermissionDenied("您无权处置该风险信息")


def _default_category(s: RiskSignal) -> str:
    if s.wage_arrears_months or s.wage_arrears_amount:
        return "remuneration"
    if s.social_insurance_unpaid_months or s.excessive_overtime:
        return "hours_leave_insurance"
    if s.planned_layoffs or s.relocation or s.closure or s.merger:
        return "contract"
    return "other"


def describe_indicators(s: RiskSignal) -> str:
    parts = []
    for name in SIGNAL_NUMBER_FIELDS:
        v = getattr(s, name)
        if v:
            parts.append(f"{INDICATORS[name].label}{v}{INDICATORS[name].unit}")
    parts += [INDICATORS[n].label for n in FLAG_INDICATORS if getattr(s, n)]
    return "；".join(parts)


def convert_to_case(session: Session, *, actor: Actor, signal_id: int, data: Mapping[str, Any] | None = None,
                    env: ServiceEnv, today: dt.date | None = None,
                    at: dt.datetime | None = None) -> Case:
    """Register a case from a signal in one step (state ``reported``), keeping the lineage."""
    from mediation.cases import service as case_service

    with unit_of_work(session):
        d = load_input(SignalConvertSchema(), data)
        s = get_signal(session, actor=actor, signal_id=signal_id)
        _act_check(actor, s)
        if s.status != "open":
            raise ValidationFailed(f"该风险信息{SIGNAL_STATUSES[s.status]}，不能再立案",
                                   errors={"status": [SIGNAL_STATUSES[s.status]]})
        others = []
        for sid in d["also_signal_ids"]:
            o = get_signal(session, actor=actor, signal_id=sid)
            if o.enterprise_id != s.enterprise_id or o.status != "open" or o.id == s.id:
                raise ValidationFailed("只能合并同一企业尚未处置的风险信息", errors={"also_signal_ids": [str(sid)]})
            others.append(o)
        ent = s.enterprise
        indicators = describe_indicators(s)
        case_data: dict[str, Any] = {
            "title": d["title"] or f"{ent.name}劳动关系风险（{SIGNAL_SOURCES[s.source]}）"[:200],
            "category": d["category"] or _default_category(s),
            "source": CASE_SOURCE_FOR[s.source],
            "initial_state": "reported",
            "organisation_id": d["organisation_id"] or s.organisation_id,
            "enterprise_id": ent.id,
            "lead_mediator_id": d["lead_mediator_id"],
            "workers_count": d["workers_count"] or max(s.workers_affected, *(o.workers_affected for o in others), 1),
            "facts": d["facts"] if d["facts"] is not None else "\n".join(
                x for x in (s.description, indicators and f"风险指标：{indicators}",
                            s.evidence and f"证据：{s.evidence}")
                if x),
            "requests": d["requests"],
            "common_claim": d["common_claim"],
            "parties": [{"role": "employer", "name": ent.name, "uscc": ent.uscc,
                         "legal_representative": ent.legal_representative, "address": ent.address}],
        }
        session.info[PENDING_LINKS] = [s.id, *(o.id for o in others)]
        try:
            return case_service.create_case(session, actor=actor, data=case_data, env=env, today=today, at=at)
        finally:
            session.info.pop(PENDING_LINKS, None)


def link_pending(session: Session, case: Case) -> None:
    """Called by the observer on registration: link the signals convert_to_case named."""
    ids = session.info.pop(PENDING_LINKS, None)
    if not ids:
        return
    for s in session.scalars(select(RiskSignal).where(RiskSignal.id.in_(ids))).all():
        s.case_id = case.id
        s.status = "converted"
    session.flush()


def attach_to_case(session: Session, *, actor: Actor, signal_id: int, data: Mapping[str, Any]) -> RiskSignal:
    """Attach a signal to an existing case of the same enterprise."""
    from mediation.cases.service import get_case

    with unit_of_work(session):
        d = load_input(SignalAttachSchema(), data)
        s = get_signal(session, actor=actor, signal_id=signal_id)
        _act_check(actor, s)
        if s.status != "open":
            raise ValidationFailed(f"该风险信息{SIGNAL_STATUSES[s.status]}，不能再关联案件",
                                   errors={"status": [SIGNAL_STATUSES[s.status]]})
        case = get_case(session, case_id=d["case_id"], actor=actor)
        if case.enterprise_id != s.enterprise_id:
            raise ValidationFailed("只能关联同一企业的案件", errors={"case_id": ["案件涉及的用人单位与风险信息不一致"]})
        s.case_id = case.id
        s.status = "converted"
        session.flush()
        facts.refresh_case(session, case.id, case.organisation_id)
        return s


def resolve(session: Session, *, actor: Actor, signal_id: int, data: Mapping[str, Any],
            at: dt.datetime | None = None) -> tuple[RiskSignal, scoring.RescoreResult]:
    """Close a signal (resolved, or unfounded) and re-assess its enterprise."""
    with unit_of_work(session):
        d = load_input(SignalResolveSchema(), data)
        s = get_signal(session, actor=actor, signal_id=signal_id)
        _act_check(actor, s)
        if s.status in ("resolved", "dismissed"):
            raise ValidationFailed(f"该风险信息{SIGNAL_STATUSES[s.status]}", errors={"status": [s.status]})
        now = at or dt.datetime.now(dt.UTC)
        s.status = d["outcome"]
        s.resolved_at = now
        s.resolution_note = d["note"]
        session.flush()
        rollups.apply_signal_counters(session, enterprise_id=s.enterprise_id, organisation_id=s.organisation_id,
                                    total=0, open_=-1)
        result = scoring.rescore(session, s.enterprise_id, at=now, reason="signal_resolved", signal_id=s.id,
                                 organisation_id=s.organisation_id)
        return s, result


#: The reporter's particulars are personal data (hotline and petition reporters need protecting).
REPORTER_FIELDS = ("reporter_name", "reporter_phone")


def signal_dict(s: RiskSignal, *, unmasked: bool = False) -> dict[str, Any]:
    """A signal for display. The reporter's name and phone are masked unless ``unmasked`` (which only
    :func:`signals_for` grants, to the roles the policy lets read personal data, and records)."""
    out: dict[str, Any] = {
        "id": s.id, "enterprise": {"id": s.enterprise.id, "name": s.enterprise.name},
        "organisation": {"id": s.organisation.id, "name": s.organisation.name},
        "source": s.source, "source_label": SIGNAL_SOURCES.get(s.source, s.source), "observed_at": s.observed_at,
        "received_at": s.received_at, "reporter_name": s.reporter_name, "reporter_phone": s.reporter_phone,
        "description": s.description, "evidence": s.evidence, "workers_affected": s.workers_affected,
        "status": s.status, "status_label": SIGNAL_STATUSES[s.status], "case_id": s.case_id,
        "resolved_at": s.resolved_at, "resolution_note": s.resolution_note,
    }
    for name in (*SIGNAL_NUMBER_FIELDS, *FLAG_INDICATORS):
        if name != "workers_affected":
            out[name] = getattr(s, name)
    if not unmasked:
        out["reporter_name"] = mask_name(s.reporter_name)
        out["reporter_phone"] = mask_phone(s.reporter_phone)
    out["masked"] = not unmasked
    return out


def signals_for(session: Session, signals: Sequence[RiskSignal], *, actor: Actor, endpoint: str,
                personal: bool = True) -> list[dict[str, Any]]:
    """Signals with the reporter masked for roles that may not read personal data (the same policy as
    parties: ``can(actor, "read_personal", …)`` on the signal's organisation); unmasked reads are recorded.
    ``personal=False`` (responses to writes) masks for everyone."""
    out: list[dict[str, Any]] = []
    records: list[PersonalDataAccess] = []
    for s in signals:
        unmasked = personal and can(actor, "read_personal", s)
        out.append(signal_dict(s, unmasked=unmasked))
        shown = [f for f in REPORTER_FIELDS if getattr(s, f)]
        if unmasked and shown and actor.user_id is not None:
            records.append(PersonalDataAccess(user_id=actor.user_id, signal_id=s.id, fields=shown, endpoint=endpoint))
    if records:
        session.add_all(records)
        session.commit()
    return out
