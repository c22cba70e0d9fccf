"""Alerts for the supervisors of a subtree, the escalation path with its reporting deadline, and the data
of the early-warning report (风险预警报告: enterprise, location/park, indicators, workers involved, level,
actions, reporter, time — docs/domain.md#the-early-report).

An alert is raised, inside the transaction that caused it, when an enterprise's level rises into orange
or red, and for every collective dispute (the case is collective, or its workers reach the rules'
threshold). It is visible to the supervisors of the receiving organisation and everyone above it; it
must be reported by ``report_due_on`` (for a collective dispute: the case's collective-report deadline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from mediation.cases.queries import org_scope_clause, region_clause
from mediation.db.models import Case, Deadline, Enterprise, Organisation, Park, User
from mediation.db.models_risk import EnterpriseRisk, RiskAlert, RiskSignal
from mediation.db.sqlfuncs import dialect_insert
from mediation.db.uow import unit_of_work
from mediation.domain import divisions
from mediation.domain.classifications import INDUSTRY_SECTIONS, EnterpriseSize, Ownership
from mediation.domain.clock import china_today
from mediation.domain.deadline_rules import DeadlineKind
from mediation.domain.enums import Role
from mediation.domain.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from mediation.domain.identity import mask_name
from mediation.domain.policy import Actor, in_scope
from mediation.risk import facts
from mediation.risk.inputs import ALERT_KINDS, ALERT_STATUSES, SIGNAL_SOURCES, AlertAckSchema, AlertReportSchema
from mediation.risk.rules import INDICATORS, LEVEL_COLOUR_NAMES, LEVEL_LABELS, Assessment, RiskRules
from workflows.schema import load_input

#: ``listener(session, alert)``: called inside the transaction that raised the alert (e.g. a notifier).
AlertListener = Callable[[Session, RiskAlert], None]
_LISTENERS: list[AlertListener] = []


def register_alert_listener(listener: AlertListener) -> AlertListener:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def _notify(session: Session, alert: RiskAlert) -> None:
    for listener in _LISTENERS:
        listener(session, alert)


def _due(at: dt.datetime, days: int) -> dt.date:
    from mediation.risk.scoring import china_date

    return china_date(at) + dt.timedelta(days=days)


def _insert_alert(session: Session, values: Mapping[str, Any]) -> RiskAlert | None:
    """Insert an alert unless one with the same ``dedupe_key`` exists (raised by another transaction or worker
    at the same time): the unique key decides, not a prior SELECT. The new alert, or ``None``."""
    session.flush()
    stmt = (dialect_insert(session, RiskAlert.__table__).values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(RiskAlert.__table__.c.id))
    alert_id = session.execute(stmt).scalar_one_or_none()
    if alert_id is None:
        return None
    alert = session.get(RiskAlert, alert_id)
    assert alert is not None
    _notify(session, alert)
    return alert


def level_alert_key(enterprise_id: int, previous_level: str, level: str, at: dt.datetime) -> str:
    """One alert per enterprise, rise and China date."""
    from mediation.risk.scoring import china_date

    return f"level:{enterprise_id}:{previous_level}-{level}:{china_date(at).isoformat()}"


def raise_level_alert(
    session: Session, *, enterprise_id: int, organisation_id: int, level: str, previous_level: str,
    assessment: Assessment, features: Mapping[str, Any], at: dt.datetime, rules: RiskRules,
    signal_id: int | None = None, case_id: int | None = None,
) -> RiskAlert | None:
    """The alert of a rise (``None`` if the same rise was already alerted today)."""
    from mediation.risk.scoring import jsonable_features

    return _insert_alert(session, dict(
        dedupe_key=level_alert_key(enterprise_id, previous_level, level, at),
        kind="level_raised", status="open", enterprise_id=enterprise_id, case_id=case_id, signal_id=signal_id,
        organisation_id=organisation_id, level=level, previous_level=previous_level, score=assessment.score,
        workers=int(features.get("workers_affected") or 0), raised_at=at,
        report_due_on=_due(at, rules.report_days(level)), rule_set_version=rules.version,
        snapshot={"indicators": jsonable_features(features), "explanation": assessment.explanation()},
        actions="", acknowledged_at=None,
    ))


def is_collective(case: Case, rules: RiskRules) -> bool:
    return bool(case.is_collective) or (case.workers_count or 0) >= rules.collective_threshold


def raise_collective_alert(session: Session, case: Case, *, at: dt.datetime, rules: RiskRules) -> RiskAlert | None:
    """One alert per collective dispute; its deadline is the case's collective-report deadline."""
    if session.scalar(select(RiskAlert.id).where(RiskAlert.case_id == case.id,
                                                 RiskAlert.kind == "collective_dispute")) is not None:
        return None
    due = session.scalar(select(func.min(Deadline.due_on)).where(
        Deadline.case_id == case.id, Deadline.kind == DeadlineKind.COLLECTIVE_REPORT))
    risk = session.get(EnterpriseRisk, case.enterprise_id) if case.enterprise_id else None
    return _insert_alert(session, dict(
        dedupe_key=f"collective:{case.id}",
        kind="collective_dispute", status="open", enterprise_id=case.enterprise_id, case_id=case.id,
        organisation_id=case.organisation_id, level=risk.level if risk else "none",
        previous_level=risk.level if risk else "none", score=risk.score if risk else 0,
        workers=case.workers_count, raised_at=at, report_due_on=due or _due(at, rules.report_days("collective")),
        rule_set_version=rules.version,
        snapshot={"indicators": dict(risk.indicators) if risk else {},
                  "explanation": dict(risk.explanation) if risk else {},
                  "case": {"number": case.number, "title": case.title, "category": case.category,
                           "workers_count": case.workers_count, "reported_on": case.reported_on.isoformat()}},
        actions="", acknowledged_at=None,
    ))


# --- reading and acting -------------------------------------------------------------------------------


def get_alert(session: Session, *, actor: Actor, alert_id: int) -> RiskAlert:
    alert = session.scalars(select(RiskAlert).where(RiskAlert.id == alert_id)
                            .options(joinedload(RiskAlert.organisation))).one_or_none()
    if alert is None or not in_scope(actor, alert.organisation_id, alert.organisation.path):
        raise NotFound(f"预警{alert_id}不存在或不在您的管辖范围内")
    return alert


def list_alerts(session: Session, *, actor: Actor, status: str | tuple[str, ...] | None = None,
                kind: str | None = None, enterprise_id: int | None = None, region: str | None = None,
                level: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[RiskAlert], int]:
    """``region`` (a GB/T 2260 code): alerts about an enterprise there, or raised by an organisation there when
    the alert names no enterprise — where the dashboard counts the cases. ``status``: one status or several."""
    stmt = select(RiskAlert).where(org_scope_clause(actor, RiskAlert.organisation_id))
    if region:
        stmt = stmt.where(region_clause(region, RiskAlert.enterprise_id, RiskAlert.organisation_id))
    if isinstance(status, tuple):
        stmt = stmt.where(RiskAlert.status.in_(status))
    elif status:
        stmt = stmt.where(RiskAlert.status == status)
    if level:
        stmt = stmt.where(RiskAlert.level == level)
    if kind:
        stmt = stmt.where(RiskAlert.kind == kind)
    if enterprise_id:
        stmt = stmt.where(RiskAlert.enterprise_id == enterprise_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(stmt.options(joinedload(RiskAlert.organisation), joinedload(RiskAlert.enterprise))
                            .order_by(RiskAlert.raised_at.desc(), RiskAlert.id.desc()).limit(limit).offset(offset)
                            ).all()
    return list(items), int(total)


def _supervisor(actor: Actor) -> None:
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM):
        raise PermissionDenied("只有督导员可以处置预警")


def acknowledge(session: Session, *, actor: Actor, alert_id: int, data: Mapping[str, Any] | None = None,
                at: dt.datetime | None = None) -> RiskAlert:
    with unit_of_work(session):
        d = AlertAckSchema().load(dict(data or {}))
        alert = get_alert(session, actor=actor, alert_id=alert_id)
        _supervisor(actor)
        if alert.status != "open":
            raise ValidationFailed("该预警已签收", errors={"status": [ALERT_STATUSES[alert.status]]})
        alert.status = "acknowledged"
        alert.acknowledged_at = at or dt.datetime.now(dt.UTC)
        alert.acknowledged_by_id = actor.user_id
        if d["note"]:
            alert.actions = d["note"]
        return alert


def report(session: Session, *, actor: Actor, alert_id: int, data: Mapping[str, Any],
           at: dt.datetime | None = None) -> RiskAlert:
    """Record that the warning was reported upward, with the measures taken (早报告)."""

    with unit_of_work(session):
        d = load_input(AlertReportSchema(), data, "请填写已采取的措施")
        alert = get_alert(session, actor=actor, alert_id=alert_id)
        _supervisor(actor)
        if alert.status in ("reported", "closed"):
            raise ValidationFailed("该预警已报告", errors={"status": [ALERT_STATUSES[alert.status]]})
        now = at or dt.datetime.now(dt.UTC)
        if alert.acknowledged_at is None:
            alert.acknowledged_at = now
            alert.acknowledged_by_id = actor.user_id
        alert.status = "reported"
        alert.reported_at = now
        alert.reported_by_id = actor.user_id
        alert.actions = d["actions"]
        session.flush()
        if alert.case_id is not None:
            case = session.get(Case, alert.case_id)
            assert case is not None
            facts.refresh_case(session, case.id, case.organisation_id)
        return alert


#: A collective-dispute alert on a case without an enterprise (or whose enterprise is not rated) carries
#: level ``none``: it is an alert all the same, so it is not labelled "无预警".
COLLECTIVE_UNRATED_LABEL = "集体争议（用人单位未评预警等级）"


def level_label(alert: RiskAlert) -> str:
    if alert.level == "none" and alert.kind == "collective_dispute":
        return COLLECTIVE_UNRATED_LABEL
    return LEVEL_LABELS[alert.level]


def alert_dict(alert: RiskAlert, today: dt.date) -> dict[str, Any]:
    return {
        "id": alert.id, "kind": alert.kind, "kind_label": ALERT_KINDS[alert.kind], "status": alert.status,
        "status_label": ALERT_STATUSES[alert.status], "level": alert.level, "level_label": level_label(alert),
        "previous_level": alert.previous_level,
        "previous_level_label": LEVEL_COLOUR_NAMES.get(alert.previous_level or "", alert.previous_level),
        "score": alert.score, "workers": alert.workers,
        "enterprise": None if alert.enterprise is None else {"id": alert.enterprise.id, "name": alert.enterprise.name},
        "case_id": alert.case_id, "signal_id": alert.signal_id,
        "organisation": {"id": alert.organisation.id, "name": alert.organisation.name},
        "raised_at": alert.raised_at, "report_due_on": alert.report_due_on,
        "report_overdue": alert.reported_at is None and alert.report_due_on < today,
        "acknowledged_at": alert.acknowledged_at, "reported_at": alert.reported_at, "actions": alert.actions,
        "rule_set_version": alert.rule_set_version,
    }


# --- the early-warning report's data ------------------------------------------------------------------


def _enterprise_dict(ent: Enterprise | None) -> dict[str, Any] | None:
    if ent is None:
        return None
    own = None
    if ent.ownership:
        try:
            own = Ownership(ent.ownership).label
        except ValueError:
            own = ent.ownership
    size = None
    if ent.size:
        try:
            size = EnterpriseSize(ent.size).label
        except ValueError:
            size = ent.size
    return {
        "id": ent.id, "name": ent.name, "uscc": ent.uscc, "legal_representative": ent.legal_representative,
        "address": ent.address, "phone": ent.phone, "industry": ent.industry,
        "industry_label": INDUSTRY_SECTIONS.get(ent.industry or "", None), "ownership": ent.ownership,
        "ownership_label": own, "non_public": _non_public(ent.ownership), "size": ent.size, "size_label": size,
        "employees": ent.employees, "has_union": ent.has_union,
    }


def _non_public(ownership: str | None) -> bool | None:
    try:
        return Ownership(ownership).non_public if ownership else None
    except ValueError:
        return None


def _location(session: Session, ent: Enterprise | None, org: Organisation) -> dict[str, Any]:
    code = (ent.region_code if ent else None) or org.region_code
    park = session.get(Park, ent.park_id) if ent is not None and ent.park_id else None
    region = None
    if code:
        try:
            region = divisions.path_names(code)
        except KeyError:
            region = code
    return {"region_code": code, "region": region,
            "park": None if park is None else {"id": park.id, "name": park.name, "kind": park.kind}}


def report_context(session: Session, *, actor: Actor, alert_id: int) -> dict[str, Any]:
    """Everything the ``early_warning_report`` template needs for one alert."""
    alert = get_alert(session, actor=actor, alert_id=alert_id)
    return _context(session, alert=alert, case=session.get(Case, alert.case_id) if alert.case_id else None,
                    enterprise=alert.enterprise, organisation=alert.organisation)


def report_context_for_case(session: Session, case: Case) -> dict[str, Any]:
    """The same data for a case (the ``escalate`` transition produces the report for a collective dispute)."""
    alert = session.scalars(select(RiskAlert).where(RiskAlert.case_id == case.id)
                            .order_by((RiskAlert.kind == "collective_dispute").desc(),
                                      RiskAlert.raised_at.desc())).first()
    return _context(session, alert=alert, case=case, enterprise=case.enterprise, organisation=case.organisation)


def _context(session: Session, *, alert: RiskAlert | None, case: Case | None, enterprise: Enterprise | None,
             organisation: Organisation) -> dict[str, Any]:
    risk = session.get(EnterpriseRisk, enterprise.id) if enterprise is not None else None
    snapshot = dict(alert.snapshot) if alert is not None else {}
    explanation = snapshot.get("explanation") or (dict(risk.explanation) if risk else {})
    indicators = snapshot.get("indicators") or (dict(risk.indicators) if risk else {})
    signals: list[RiskSignal] = []
    cases: list[Case] = []
    if enterprise is not None:
        signals = list(session.scalars(select(RiskSignal).where(RiskSignal.enterprise_id == enterprise.id)
                                       .order_by(RiskSignal.observed_at.desc()).limit(20)).all())
        cases = list(session.scalars(select(Case).where(Case.enterprise_id == enterprise.id)
                                     .order_by(Case.reported_on.desc()).limit(20)).all())
    elif case is not None:
        cases = [case]
    reporter = None
    if alert is not None and alert.reported_by_id:
        u = session.get(User, alert.reported_by_id)
        reporter = {"name": u.display_name if u else "", "organisation": organisation.name, "at": alert.reported_at}
    level = alert.level if alert is not None else (risk.level if risk else "none")
    workers = max([alert.workers if alert else 0, case.workers_count if case else 0,
                   *[s.workers_affected for s in signals if s.status in ("open", "converted")]], default=0)
    return {
        "alert": None if alert is None else alert_dict(alert, china_today()),
        "case": None if case is None else {"id": case.id, "number": case.number, "title": case.title,
                                           "status": case.status, "workers_count": case.workers_count,
                                           "is_collective": case.is_collective, "reported_on": case.reported_on,
                                           "facts": case.facts},
        "enterprise": _enterprise_dict(enterprise),
        "location": _location(session, enterprise, organisation),
        "organisation": {"id": organisation.id, "name": organisation.name},
        "level": level, "level_label": level_label(alert) if alert is not None else LEVEL_LABELS.get(level, level),
        "score": explanation.get("score", 0),
        "indicators": [
            {"indicator": k, "label": INDICATORS[k].label, "value": v, "unit": INDICATORS[k].unit}
            for k, v in indicators.items() if k in INDICATORS
        ],
        "explanation": explanation,
        "workers_involved": workers,
        "signals": [{"id": s.id, "source": s.source, "source_label": SIGNAL_SOURCES.get(s.source, s.source),
                     # the report goes to supervisors and beyond the committee: reporters masked, never their
                     # phone (docs/domain.md#personal-data)
                     "observed_at": s.observed_at, "reporter_name": mask_name(s.reporter_name) or "",
                     "description": s.description,
                     "evidence": s.evidence, "workers_affected": s.workers_affected, "status": s.status}
                    for s in signals],
        "cases": [{"id": c.id, "number": c.number, "title": c.title, "status": c.status,
                   "workers_count": c.workers_count, "is_collective": c.is_collective, "reported_on": c.reported_on}
                  for c in cases],
        "actions": alert.actions if alert is not None else "",
        "reporter": reporter,
        "raised_at": alert.raised_at if alert is not None else None,
        "report_due_on": alert.report_due_on if alert is not None else None,
    }


#: At most this many alerts in one bulk acknowledgement.
BULK_LIMIT = 500


def bulk_acknowledge(session: Session, *, actor: Actor, alert_ids: list[int], note: str,
                     at: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Acknowledge many alerts with one note: each through :func:`acknowledge` (the same scope and status rules),
    each in its own unit of work; the ones refused are listed with their reason."""
    _supervisor(actor)
    ids = list(dict.fromkeys(alert_ids))
    errors: dict[str, list[str]] = {}
    if not ids:
        errors["alert_ids"] = ["请至少选择一条预警"]
    elif len(ids) > BULK_LIMIT:
        errors["alert_ids"] = [f"一次最多签收{BULK_LIMIT}条预警"]
    if not note.strip():
        errors["note"] = ["批量签收请填写签收意见"]
    elif AlertAckSchema().validate({"note": note}):
        errors["note"] = ["签收意见过长"]
    if errors:
        raise ValidationFailed("；".join(m for ms in errors.values() for m in ms), errors=errors)
    out: list[dict[str, Any]] = []
    for aid in ids:
        try:
            alert = acknowledge(session, actor=actor, alert_id=aid, data={"note": note.strip()}, at=at)
            out.append({"alert_id": aid, "ok": True, "code": "", "reason": "", "status": alert.status})
        except DomainError as exc:
            out.append({"alert_id": aid, "ok": False, "code": exc.code, "reason": exc.detail, "status": None})
    return out
