"""Try a changed rule set before saving it: replay it over past signals and cases and count the warnings
it would have raised, beside the active rules over the same data (nothing is written).

The replay walks each enterprise's timeline through every instant at which one of its indicators can
change — a signal observed, resolved or leaving the signal window; a case registered, ended or leaving
the prior-dispute window — and assesses it at each with :func:`mediation.risk.scoring.features_at` and
:func:`mediation.risk.rules.assess`, the functions the live path uses. A warning is counted as live
scoring raises one: a rise into orange or red (orange → red counts again), plus one per collective
dispute registered in the window.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.db.models import Enterprise
from mediation.db.models_risk import RiskAlert, RiskCaseFacts, RiskSignal
from mediation.domain.clock import CHINA_TZ, china_instant
from mediation.domain.enums import Role
from mediation.domain.errors import PermissionDenied
from mediation.domain.policy import Actor
from mediation.risk.hotspot_query import resolve_scope
from mediation.risk.inputs import SimulateSchema
from mediation.risk.rules import ALERT_LEVELS, LEVELS, RANK, RiskRules, assess, rules_from_json
from mediation.risk.rulesets import _jsonable, active_rules
from mediation.risk.scoring import CaseView, SignalView, features_at, load_inputs
from workflows.schema import load_input

BATCH = 1000
#: Enterprises listed in the differences (the largest differences first).
MAX_DIFFERENCES = 50


def midnight(day: dt.date) -> dt.datetime:
    """The first instant of a day in China, in UTC."""
    return china_instant(day)


@dataclass
class Timeline:
    """What one rule set does to one enterprise over the window."""

    alerts: Counter[str] = field(default_factory=Counter)
    level_at_start: str = "none"
    level_at_end: str = "none"
    peak: str = "none"

    @property
    def total(self) -> int:
        return sum(self.alerts.values())


def instants(signals: Sequence[SignalView], cases: Sequence[CaseView], rules: RiskRules, start: dt.datetime,
             end: dt.datetime) -> list[dt.datetime]:
    """Every instant in ``(start, end)`` at which an indicator of the enterprise can change."""
    window = dt.timedelta(days=rules.signal_window_days)
    prior = dt.timedelta(days=rules.prior_dispute_window_days)
    points: set[dt.datetime] = set()
    for s in signals:
        points.add(s.observed_at)
        points.add(s.observed_at + window)
        if s.resolved_at is not None:
            points.add(s.resolved_at)
    for c in cases:
        points.add(midnight(c.reported_on))
        points.add(midnight(c.reported_on) + prior)
        if c.ended_day is not None:
            points.add(midnight(c.ended_day))
    return sorted(p for p in points if start < p < end)


def replay_enterprise(rules: RiskRules, signals: Sequence[SignalView], cases: Sequence[CaseView],
                      has_union: bool | None, start: dt.datetime, end: dt.datetime) -> Timeline:
    t = Timeline()
    level = assess(rules, features_at(start, rules, signals, cases, has_union)).level
    t.level_at_start = t.peak = level
    for at in instants(signals, cases, rules, start, end):
        new = assess(rules, features_at(at, rules, signals, cases, has_union)).level
        if new in ALERT_LEVELS and RANK[new] > RANK[level]:
            t.alerts[new] += 1
        if RANK[new] > RANK[t.peak]:
            t.peak = new
        level = new
    t.level_at_end = level
    return t


def collective_alerts(rules: RiskRules, cases: Sequence[CaseView], first: dt.date, last: dt.date) -> int:
    return sum(1 for c in cases if first <= c.reported_on <= last
               and (c.is_collective or c.workers >= rules.collective_threshold))


@dataclass
class Outcome:
    version: int | None
    level_alerts: Counter[str] = field(default_factory=Counter)
    collective_alerts: int = 0
    enterprises_alerted: int = 0
    levels_at_end: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        level_total = sum(self.level_alerts.values())
        return {
            "rules_version": self.version,
            "level_alerts": level_total,
            "level_alerts_by_level": {lv: self.level_alerts.get(lv, 0) for lv in ALERT_LEVELS},
            "collective_alerts": self.collective_alerts,
            "total_alerts": level_total + self.collective_alerts,
            "enterprises_alerted": self.enterprises_alerted,
            "levels_at_end": {lv: self.levels_at_end.get(lv, 0) for lv in LEVELS},
        }


def _enterprises_in_scope(session: Session, scope: Any, start: dt.datetime, end: dt.datetime) -> list[int]:
    """Enterprises with a case or a signal in the caller's scope that can matter in the window."""
    f = RiskCaseFacts.__table__
    from_cases = session.scalars(select(f.c.enterprise_id).distinct().where(
        scope.facts_clause(), f.c.enterprise_id.is_not(None), f.c.reported_on < end.astimezone(CHINA_TZ).date()))
    from_signals = session.scalars(select(RiskSignal.enterprise_id).distinct().where(
        scope.org_clause(RiskSignal.organisation_id), RiskSignal.observed_at < end))
    return sorted({*from_cases, *from_signals})


def replay(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """Replay candidate rules (and the active ones) over the window within the caller's scope."""
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM):
        raise PermissionDenied("只有督导员和系统管理员可以试算预警规则")
    d = load_input(SimulateSchema(), data, "预警规则或回放期间有误，请按提示修改")
    candidate = rules_from_json(_jsonable(d["rules"]), version=0)
    current = active_rules(session)
    scope = resolve_scope(session, actor, d.get("organisation_id"))
    first, last = d["date_from"], d["date_to"]
    start, end = midnight(first), midnight(last + dt.timedelta(days=1))
    ids = _enterprises_in_scope(session, scope, start, end)
    cand, cur = Outcome(version=None), Outcome(version=current.version)
    diffs: list[tuple[int, int, Timeline, Timeline]] = []
    widest = max(candidate.signal_window_days, current.signal_window_days)
    for i in range(0, len(ids), BATCH):
        batch = ids[i:i + BATCH]
        signals, cases, unions = load_inputs(session, lambda col, b=batch: col.in_(b), None, current, history=True)
        for eid in batch:
            sigs = [s for s in signals.get(eid, []) if s.observed_at < end and
                    s.observed_at + dt.timedelta(days=widest) > start]
            cs = cases.get(eid, [])
            tl = {}
            for rules, out in ((candidate, cand), (current, cur)):
                t = replay_enterprise(rules, sigs, cs, unions.get(eid), start, end)
                out.level_alerts.update(t.alerts)
                out.enterprises_alerted += int(t.total > 0)
                out.levels_at_end[t.level_at_end] += 1
                out.collective_alerts += collective_alerts(rules, cs, first, last)
                tl[id(out)] = t
            tc, tu = tl[id(cand)], tl[id(cur)]
            if tc.total != tu.total or tc.level_at_end != tu.level_at_end:
                diffs.append((eid, tc.total - tu.total, tc, tu))
    diffs.sort(key=lambda x: (-abs(x[1]), x[0]))
    shown = diffs[:MAX_DIFFERENCES]
    names = dict(session.execute(select(Enterprise.id, Enterprise.name)
                                 .where(Enterprise.id.in_([x[0] for x in shown]))).all()) if shown else {}
    recorded = session.scalar(select(func.count()).select_from(RiskAlert).where(
        scope.org_clause(RiskAlert.organisation_id), RiskAlert.raised_at >= start, RiskAlert.raised_at < end)) or 0
    c_json, u_json = cand.to_json(), cur.to_json()
    return {
        "scope": {"label": scope.label},
        "window": {"from": first, "to": last},
        "enterprises": len(ids),
        "candidate": c_json,
        "current": u_json,
        "difference": {"total_alerts": c_json["total_alerts"] - u_json["total_alerts"],
                       "level_alerts": c_json["level_alerts"] - u_json["level_alerts"],
                       "collective_alerts": c_json["collective_alerts"] - u_json["collective_alerts"]},
        "recorded_alerts": int(recorded),
        "enterprises_changed": len(diffs),
        "changed": [{"enterprise": {"id": eid, "name": names.get(eid, "")},
                     "candidate": {"alerts": tc.total, "level_at_end": tc.level_at_end, "peak": tc.peak},
                     "current": {"alerts": tu.total, "level_at_end": tu.level_at_end, "peak": tu.peak}}
                    for eid, _d, tc, tu in shown],
    }
