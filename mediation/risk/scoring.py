"""Per-enterprise risk scores: features from signals and cases, assessment, level changes, alerts.

Re-assessed incrementally — when a signal arrives or is resolved, and when a case event changes whether
one of the enterprise's cases is open — and in bulk (``rescore_all``: after a rule change, after a bulk
import, and nightly so that signals older than the window stop counting). One function,
:func:`features_at`, gives the features at an instant: live scoring and the replay of candidate rules
(:mod:`mediation.risk.simulate`) both use it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from mediation.db.models import Case, Enterprise
from mediation.db.models_risk import EnterpriseRisk, EnterpriseRiskChange, RiskAlert, RiskSignal
from mediation.db.sqlfuncs import dialect_insert
from mediation.domain.clock import CHINA_TZ
from mediation.risk import facts
from mediation.risk.rules import (
    ALERT_LEVELS,
    RANK,
    SIGNAL_FLAG_FIELDS,
    SIGNAL_NUMBER_FIELDS,
    Assessment,
    RiskRules,
    assess,
)
from mediation.risk.rulesets import active_rules


@dataclass(frozen=True)
class SignalView:
    id: int
    organisation_id: int
    observed_at: dt.datetime
    resolved_at: dt.datetime | None
    values: Mapping[str, Any]


@dataclass(frozen=True)
class CaseView:
    organisation_id: int
    reported_on: dt.date
    #: The workflow says the case is still being handled (the same ``open`` flag as the hotspot facts).
    open_now: bool
    #: For a case no longer open: the day it stopped being handled (agreement, end, closing; else the
    #: day of its last change, e.g. a lapsed case referred to arbitration).
    ended_day: dt.date | None
    is_collective: bool
    workers: int

    def open_on(self, day: dt.date) -> bool:
        if self.reported_on > day:
            return False
        return self.open_now or (self.ended_day is not None and self.ended_day > day)


def _ended_day(open_now: bool, agreed_on: dt.date | None, ended_on: dt.date | None, closed_on: dt.date | None,
               updated_at: dt.datetime | None) -> dt.date | None:
    if open_now:
        return None
    days = [d for d in (agreed_on, ended_on, closed_on) if d is not None]
    if days:
        return min(days)
    return china_date(updated_at) if updated_at is not None else None


def china_date(at: dt.datetime) -> dt.date:
    return at.astimezone(CHINA_TZ).date()


def active_signals(signals: Iterable[SignalView], at: dt.datetime, rules: RiskRules) -> list[SignalView]:
    start = at - dt.timedelta(days=rules.signal_window_days)
    return [s for s in signals if start < s.observed_at <= at and (s.resolved_at is None or s.resolved_at > at)]


def features_at(at: dt.datetime, rules: RiskRules, signals: Sequence[SignalView], cases: Sequence[CaseView],
                has_union: bool | None) -> dict[str, Any]:
    """The indicator values of one enterprise at instant ``at``."""
    active = active_signals(signals, at, rules)
    out: dict[str, Any] = {}
    for name in SIGNAL_NUMBER_FIELDS:
        values = [s.values[name] for s in active if s.values.get(name)]
        out[name] = max(values) if values else None
    for name in SIGNAL_FLAG_FIELDS:
        out[name] = any(bool(s.values.get(name)) for s in active)
    if has_union is False:
        out["no_union"] = True
    day = china_date(at)
    since = day - dt.timedelta(days=rules.prior_dispute_window_days)
    recent = sum(1 for c in cases if since < c.reported_on <= day)
    if recent and recent > (out["prior_disputes"] or 0):
        out["prior_disputes"] = recent
    open_ = [c for c in cases if c.open_on(day)]
    out["open_cases"] = len(open_) or None
    out["open_collective_cases"] = sum(1 for c in open_ if c.is_collective) or None
    return out


def jsonable_features(features: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in features.items():
        if v is None or v is False:
            continue
        out[k] = (int(v) if v == v.to_integral_value() else float(v)) if isinstance(v, Decimal) else v
    return out


_SIGNAL_COLS = (RiskSignal.id, RiskSignal.enterprise_id, RiskSignal.organisation_id, RiskSignal.observed_at,
                RiskSignal.resolved_at, *[getattr(RiskSignal, n) for n in (*SIGNAL_NUMBER_FIELDS,
                                                                           *SIGNAL_FLAG_FIELDS)])
_VALUE_NAMES = (*SIGNAL_NUMBER_FIELDS, *SIGNAL_FLAG_FIELDS)


def load_inputs(
    session: Session, enterprise_cond: Callable[[Any], ColumnElement[bool]], at: dt.datetime | None,
    rules: RiskRules, *, history: bool = False,
) -> tuple[dict[int, list[SignalView]], dict[int, list[CaseView]], dict[int, bool | None]]:
    """Signals and cases of the selected enterprises. ``at`` given: only what can matter at that instant;
    ``history``: everything (the replay walks through time)."""
    sig_stmt = select(*_SIGNAL_COLS).where(enterprise_cond(RiskSignal.enterprise_id))
    case_stmt = select(Case.enterprise_id, Case.organisation_id, Case.reported_on, Case.status, Case.agreed_on,
                       Case.ended_on, Case.closed_on, Case.updated_at, Case.is_collective, Case.workers_count
                       ).where(enterprise_cond(Case.enterprise_id))
    if at is not None and not history:
        sig_stmt = sig_stmt.where(RiskSignal.observed_at > at - dt.timedelta(days=rules.signal_window_days),
                                  RiskSignal.observed_at <= at)
        since = china_date(at) - dt.timedelta(days=rules.prior_dispute_window_days)
        case_stmt = case_stmt.where(or_(Case.reported_on > since, Case.status.in_(facts.OPEN_STATES)))
    signals: dict[int, list[SignalView]] = defaultdict(list)
    for r in session.execute(sig_stmt):
        signals[r[1]].append(SignalView(r[0], r[2], r[3], r[4], dict(zip(_VALUE_NAMES, r[5:], strict=True))))
    cases: dict[int, list[CaseView]] = defaultdict(list)
    for r in session.execute(case_stmt):
        open_now = r[3] in facts.OPEN_STATES
        cases[r[0]].append(CaseView(r[1], r[2], open_now, _ended_day(open_now, r[4], r[5], r[6], r[7]),
                                    bool(r[8]), r[9]))
    unions = {r[0]: r[1] for r in session.execute(select(Enterprise.id, Enterprise.has_union)
                                                   .where(enterprise_cond(Enterprise.id)))}
    return signals, cases, unions


@dataclass
class RescoreResult:
    enterprise_id: int
    old_level: str
    level: str
    old_score: int
    score: int
    assessment: Assessment
    alert: RiskAlert | None = None

    @property
    def level_changed(self) -> bool:
        return self.old_level != self.level


def _risk_row(session: Session, enterprise_id: int, version: int, at: dt.datetime) -> EnterpriseRisk:
    """The enterprise's risk row, created if missing, locked for this transaction."""
    stmt = dialect_insert(session, EnterpriseRisk.__table__).values(
        enterprise_id=enterprise_id, level="none", score=0, rule_set_version=version, indicators={},
        explanation={}, computed_at=at, level_since=at,
    ).on_conflict_do_nothing(index_elements=["enterprise_id"])
    session.execute(stmt)
    return session.scalars(select(EnterpriseRisk).where(EnterpriseRisk.enterprise_id == enterprise_id)
                           .with_for_update().execution_options(populate_existing=True)).one()


def rescore(
    session: Session,
    enterprise_id: int,
    *,
    at: dt.datetime,
    reason: str,
    signal_id: int | None = None,
    case_id: int | None = None,
    organisation_id: int | None = None,
    rules: RiskRules | None = None,
) -> RescoreResult:
    """Re-assess one enterprise inside the caller's transaction (flushes; never commits)."""
    rules = rules or active_rules(session)
    signals, cases, unions = load_inputs(session, lambda col: col == enterprise_id, at, rules)
    features = features_at(at, rules, signals[enterprise_id], cases[enterprise_id], unions.get(enterprise_id))
    a = assess(rules, features)
    row = _risk_row(session, enterprise_id, rules.version, at)
    result = RescoreResult(enterprise_id, row.level, a.level, row.score, a.score, a)
    _apply(session, row, a, features, at, rules, reason=reason, signal_id=signal_id, case_id=case_id,
           organisation_id=organisation_id, result=result, latest=(signals[enterprise_id], cases[enterprise_id]))
    return result


def _apply(
    session: Session, row: EnterpriseRisk, a: Assessment, features: Mapping[str, Any], at: dt.datetime,
    rules: RiskRules, *, reason: str, signal_id: int | None, case_id: int | None, organisation_id: int | None,
    result: RescoreResult, latest: tuple[Sequence[SignalView], Sequence[CaseView]], raise_alerts: bool = True,
) -> None:
    from mediation.risk import alerts

    old_level, old_score = row.level, row.score
    row.score = a.score
    row.rule_set_version = rules.version
    row.indicators = jsonable_features(features)
    row.explanation = a.explanation()
    row.computed_at = at
    if a.level != old_level:
        row.level = a.level
        row.level_since = at
        session.add(EnterpriseRiskChange(
            enterprise_id=row.enterprise_id, from_level=old_level, to_level=a.level, from_score=old_score,
            to_score=a.score, rule_set_version=rules.version, reason=reason, signal_id=signal_id, case_id=case_id,
            at=at, explanation=row.explanation,
        ))
    session.flush()
    if a.level != old_level:
        facts.relevel_enterprise(session, row.enterprise_id, a.level, a.score)
        if raise_alerts and a.level in ALERT_LEVELS and RANK[a.level] > RANK[old_level]:
            org_id = organisation_id or _latest_org(*latest)
            if org_id is not None:
                result.alert = alerts.raise_level_alert(
                    session, enterprise_id=row.enterprise_id, organisation_id=org_id, level=a.level,
                    previous_level=old_level, assessment=a, features=features, at=at, rules=rules,
                    signal_id=signal_id, case_id=case_id,
                )
    elif a.score != old_score:
        facts.record_counter_risk(session, row.enterprise_id)


def _latest_org(signals: Sequence[SignalView], cases: Sequence[CaseView]) -> int | None:
    if signals:
        return max(signals, key=lambda s: s.observed_at).organisation_id
    if cases:
        return max(cases, key=lambda c: c.reported_on).organisation_id
    return None


@dataclass
class RescoreSummary:
    examined: int = 0
    changed: int = 0
    alerts: int = 0
    levels: Counter[str] = field(default_factory=Counter)

    def text(self) -> str:
        dist = "，".join(f"{k}:{v}" for k, v in sorted(self.levels.items()))
        return f"评估{self.examined}家企业，等级变化{self.changed}家，新预警{self.alerts}条（{dist}）"


def rescore_all(
    session: Session,
    *,
    at: dt.datetime,
    reason: str,
    raise_alerts: bool = True,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
    facts_built: bool = True,
    commit: Callable[[], None] | None = None,
) -> RescoreSummary:
    """Re-assess every enterprise that has cases or signals (inside the caller's transaction).

    Inputs are loaded per range of enterprise ids; the assessment is the same function as the live
    path. New risk rows and level changes are written in bulk; enterprises whose level changed get their
    facts moved and, for a rise into orange/red, an alert.

    ``commit``: called after each batch (e.g. ``session.commit``), so a run over millions of enterprises
    holds its locks and its transaction one batch at a time. A batch first locks the risk rows it will
    change, so two runs at the same time (two workers) take turns per batch and the second finds nothing
    left to change; new rows and alerts are inserted "on conflict do nothing" (their keys are unique).
    """
    rules = active_rules(session)
    summary = RescoreSummary()
    hi = session.scalar(select(func.max(Enterprise.id))) or 0
    lo = 1
    while lo <= hi:
        top = lo + batch - 1

        def cond(col: Any, lo: int = lo, top: int = top) -> ColumnElement[bool]:
            return col.between(lo, top)

        existing = {r.enterprise_id: r for r in session.scalars(
            select(EnterpriseRisk).where(cond(EnterpriseRisk.enterprise_id))
            .with_for_update().execution_options(populate_existing=True)).all()}
        signals, cases, unions = load_inputs(session, cond, at, rules)
        ids = sorted(set(signals) | set(cases) | set(existing))
        new_rows: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        for eid in ids:
            features = features_at(at, rules, signals.get(eid, []), cases.get(eid, []), unions.get(eid))
            a = assess(rules, features)
            summary.examined += 1
            summary.levels[a.level] += 1
            row = existing.get(eid)
            if row is None:
                explanation = a.explanation()
                new_rows.append({"enterprise_id": eid, "level": a.level, "score": a.score,
                                 "rule_set_version": rules.version, "indicators": jsonable_features(features),
                                 "explanation": explanation, "computed_at": at, "level_since": at})
                if a.level != "none":
                    summary.changed += 1
                    changes.append({"enterprise_id": eid, "from_level": "none", "to_level": a.level,
                                    "from_score": 0, "to_score": a.score, "rule_set_version": rules.version,
                                    "reason": reason, "signal_id": None, "case_id": None, "at": at,
                                    "explanation": explanation})
                continue
            if row.level == a.level and row.score == a.score and row.rule_set_version == rules.version:
                continue
            result = RescoreResult(eid, row.level, a.level, row.score, a.score, a)
            _apply(session, row, a, features, at, rules, reason=reason, signal_id=None, case_id=None,
                   organisation_id=None, result=result, latest=(signals.get(eid, []), cases.get(eid, [])),
                   raise_alerts=raise_alerts)
            summary.changed += int(result.level_changed)
            summary.alerts += int(result.alert is not None)
        if new_rows:
            # another run may have created some of them since this batch was read: theirs stand
            table = EnterpriseRisk.__table__
            created: set[int] = set()
            for i in range(0, len(new_rows), 500):  # under both databases' limit of bound parameters
                created.update(session.scalars(
                    dialect_insert(session, table).values(new_rows[i:i + 500])
                    .on_conflict_do_nothing(index_elements=["enterprise_id"]).returning(table.c.enterprise_id)))
            if len(created) < len(new_rows):
                new_rows = [r for r in new_rows if r["enterprise_id"] in created]
                changes = [c for c in changes if c["enterprise_id"] in created]  # (only new rows' changes here)
            # Facts that already exist (an enterprise scored for the first time) take the new level.
            for r in new_rows if facts_built else ():
                if r["level"] != "none":
                    facts.relevel_enterprise(session, r["enterprise_id"], r["level"], r["score"])
                elif r["score"]:
                    facts.record_counter_risk(session, r["enterprise_id"])
        if changes:
            session.execute(EnterpriseRiskChange.__table__.insert(), changes)
        session.flush()
        if commit is not None:
            commit()
        if progress is not None:
            progress(len(ids))
        lo = top + 1
    return summary
