"""The supervisors' hotspot picture: aggregates, trends, drill-down, rankings, early-intervention times.

Visibility: only the caller's organisation subtree (supervisors, administrators) or their own
organisation (clerks, mediators). A query is answered from the rollups when the caller's scope has its
own rollup rows (the whole installation, or a province/city organisation) and one rollup dimension can
answer it; otherwise from the per-case facts, which is fast only for narrow slices (a county, a park, an
enterprise, or a scope below the city level) — a broad query that no rollup answers is refused with a
hint rather than scanning millions of rows. Both paths compute the same figures from the same facts, so
a region's figure equals the sum of its children's and the number of cases in the list behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, cast, func, select
from sqlalchemy.orm import Session

from mediation.db.models import Case, Enterprise, Organisation, Park
from mediation.db.models_risk import EnterpriseRisk, RiskAlert
from mediation.db.models_risk import RiskSignal as Signal
from mediation.db.sqlfuncs import hours_between, rare
from mediation.domain import divisions
from mediation.domain.classifications import INDUSTRY_SECTIONS, Ownership
from mediation.domain.enums import DisputeCategory
from mediation.domain.errors import NotFound, PermissionDenied
from mediation.domain.policy import Actor
from mediation.risk import facts as F
from mediation.risk import rollups
from mediation.risk.hotspot_query import (
    BY_LABELS,
    FACTS,
    REGION_RANK,
    STATS,
    HotspotQuery,
    Scope,
    add_months,
    build_query,
    facts_conditions,
    month_of,
    region_level,
    require_supervisor,
    resolve_scope,
    statement_for,
)
from mediation.risk.inputs import (
    CaseListQuerySchema,
    EarlyQuerySchema,
    HotspotQuerySchema,
    RankingQuerySchema,
    WarningMapQuerySchema,
)
from mediation.risk.rules import LEVEL_LABELS
from workflows.definitions import CURRENT_VERSION, get_definition
from workflows.schema import load_input

# --- results ------------------------------------------------------------------------------------------


def _money(cents: int) -> str:
    return str((Decimal(int(cents)) / 100).quantize(Decimal("0.01")))


def measures_out(v: Mapping[str, int]) -> dict[str, Any]:
    concluded = v["agreed"] + v["failed"]
    return {
        "cases": v["cases"], "workers": v["workers"], "collective": v["collective"], "open_cases": v["open_cases"],
        "amount_claimed": _money(v["claimed_cents"]), "amount_recovered": _money(v["recovered_cents"]),
        "agreed": v["agreed"], "failed": v["failed"],
        "success_rate": None if concluded == 0 else round(v["agreed"] / concluded, 4),
        "overdue": v["overdue"], "overdue_open": v["overdue_open"], "accepted": v["accepted"],
    }


def _zero() -> dict[str, int]:
    return dict.fromkeys(F.ROLLUP_MEASURES, 0)


def _label_region(code: str, by: str) -> str:
    if not code:
        return "（未细分）" if by != "province" else "（地区不详）"
    div = divisions.find(code)
    name = div.name if div else code
    if by == "city" and code.endswith("0000"):
        return f"{name}（直辖）"
    return name


def _labels(session: Session, by: str, keys: Sequence[Any]) -> dict[Any, str]:
    if by in REGION_RANK:
        return {k: _label_region(k or "", by) for k in keys}
    if by == "park":
        ids = [int(k) for k in keys if k not in (None, "")]
        names = dict(session.execute(select(Park.id, Park.name).where(Park.id.in_(ids))).all()) if ids else {}
        return {k: names.get(int(k), str(k)) if k not in (None, "") else "（不在园区）" for k in keys}
    if by == "enterprise":
        ids = [int(k) for k in keys if k is not None]
        names = dict(session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids))).all()) \
            if ids else {}
        return {k: names.get(int(k), str(k)) if k is not None else "（未关联企业）" for k in keys}
    if by == "category":
        return {k: _enum_label(DisputeCategory, k) for k in keys}
    if by == "industry":
        return {k: INDUSTRY_SECTIONS.get(k or "", k or "（行业不详）") for k in keys}
    if by == "ownership":
        return {k: _enum_label(Ownership, k) if k else "（类型不详）" for k in keys}
    if by == "level":
        return {k: LEVEL_LABELS.get(k or "none", k) for k in keys}
    if by == "week":
        return {k: f"{k.isocalendar()[0]}年第{k.isocalendar()[1]}周" for k in keys}
    return {k: f"{k.year}年{k.month}月" for k in keys}


def _enum_label(enum: Any, value: Any) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value)


def _key_out(by: str, k: Any) -> Any:
    if by in ("month", "week"):
        return k.isoformat() if isinstance(k, dt.date) else str(k)
    if by in ("park", "enterprise"):
        return None if k in (None, "") else int(k)
    return k


_DRILL = {"province": ("province", "city"), "city": ("city", "county"), "county": ("county", "park"),
          "park": ("park_id", "enterprise")}


def _as_date(v: Any) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


def run_hotspots(session: Session, *, actor: Actor, args: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """Aggregates by one dimension over a window, within the caller's scope."""
    require_supervisor(actor)
    d = load_input(HotspotQuerySchema(), args, "查询条件有误，请按提示修改")
    scope = resolve_scope(session, actor, d.get("organisation_id"))
    q = build_query(d, today)
    stmt, source = statement_for(q, scope)
    rows = session.execute(stmt).all()
    values: dict[Any, dict[str, int]] = {}
    for r in rows:
        key = r[0]
        if q.by in ("month", "week"):
            key = _as_date(key)
        values[key] = {m: int(r[i + 1] or 0) for i, m in enumerate(F.ROLLUP_MEASURES)}
    if q.by in ("month", "week"):
        keys = _buckets(q)
        for k in keys:
            values.setdefault(k, _zero())
    else:
        keys = sorted(values, key=lambda k: (-values[k]["cases"], str(k)))
    labels = _labels(session, q.by, keys)
    total = _zero()
    out_rows = []
    for k in keys:
        v = values[k]
        for m in F.ROLLUP_MEASURES:
            total[m] += v[m]
        row = {"key": _key_out(q.by, k), "label": labels[k], **measures_out(v)}
        if q.by in _DRILL and k not in (None, ""):
            param, nxt = _DRILL[q.by]
            row["drill"] = {"filter": {param: _key_out(q.by, k)}, "by": nxt}
        out_rows.append(row)
    return {
        "scope": {"label": scope.label, "organisation_id": None if scope.kind == "n" else
                  (scope.rollup_id or (scope.org_ids[0] if scope.org_ids else None))},
        "by": q.by, "by_label": BY_LABELS[q.by],
        "window": {"from": q.bucket_from, "to": _window_end(q), "grain": "month" if q.grain == "m" else "week"},
        "filters": {k: v for k, v in q.filters.items()},
        "source": source,
        "rows": out_rows,
        "total": measures_out(total),
    }


def _buckets(q: HotspotQuery) -> list[dt.date]:
    out, b = [], q.bucket_from
    while b <= q.bucket_to:
        out.append(b)
        b = add_months(b, 1) if q.grain == "m" else b + dt.timedelta(weeks=1)
    return out


def _window_end(q: HotspotQuery) -> dt.date:
    if q.grain == "m":
        return add_months(q.bucket_to, 1) - dt.timedelta(days=1)
    return q.bucket_to + dt.timedelta(days=6)


def case_list(session: Session, *, actor: Actor, args: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The cases behind a figure: the same scope, window and filters, from the facts."""
    require_supervisor(actor)
    d = load_input(CaseListQuerySchema(), args, "查询条件有误，请按提示修改")
    scope = resolve_scope(session, actor, d.get("organisation_id"))
    q = build_query(d, today)
    conds = facts_conditions(q, scope)
    total = session.scalar(select(func.count()).select_from(FACTS).where(*conds)) or 0
    c = Case.__table__
    stmt = (select(c.c.id, c.c.number, c.c.title, c.c.status, c.c.category, c.c.workers_count, c.c.is_collective,
                   c.c.reported_on, FACTS.c.level, FACTS.c.overdue)
            .select_from(FACTS.join(c, c.c.id == FACTS.c.case_id)).where(*conds)
            .order_by(FACTS.c.reported_on.desc(), FACTS.c.case_id.desc())
            .limit(d["per_page"]).offset((d["page"] - 1) * d["per_page"]))
    definition = get_definition(CURRENT_VERSION)
    items = [{"id": r[0], "number": r[1], "title": r[2], "status": r[3],
              "status_label": definition.state(r[3]).label if definition.has_state(r[3]) else r[3],
              "category": r[4], "workers_count": r[5], "is_collective": bool(r[6]), "reported_on": r[7],
              "level": r[8], "overdue": bool(r[9])} for r in session.execute(stmt).all()]
    return {"total": int(total), "page": d["page"], "per_page": d["per_page"], "items": items,
            "window": {"from": q.bucket_from, "to": _window_end(q)}, "filters": dict(q.filters)}


# --- rankings -----------------------------------------------------------------------------------------


def ranking(session: Session, *, actor: Actor, args: Mapping[str, Any]) -> dict[str, Any]:
    """Top enterprises by a current counter, from the counters kept incrementally (indexed)."""
    require_supervisor(actor)
    d = load_input(RankingQuerySchema(), args, "查询条件有误，请按提示修改")
    scope = resolve_scope(session, actor, d.get("organisation_id"))
    region = [(lv, d[lv]) for lv in ("province", "city", "county") if d.get(lv)]
    if d.get("region"):
        region.append((region_level(d["region"]), d["region"]))
    col = d["rank_by"]
    if scope.rollup_id is not None:
        s = STATS
        conds = [s.c.scope_id == scope.rollup_id, s.c[col] > 0]
        conds += [s.c[lv] == code for lv, code in region]
        stmt = (select(s.c.enterprise_id, s.c.total_cases, s.c.open_cases, s.c.collective_open, s.c.overdue_open,
                       s.c.workers_open, s.c.claimed_open_cents, s.c.total_signals, s.c.open_signals, s.c.risk_score,
                       s.c.risk_level).where(*conds)
                .order_by(s.c[col].desc(), s.c.enterprise_id.desc()).limit(d["limit"]))
        rows = [dict(r._mapping) for r in session.execute(stmt).all()]
        source = "counters"
    else:
        rows = _ranking_from_facts(session, scope, region, col, d["limit"])
        source = "facts"
    names = dict(session.execute(select(Enterprise.id, Enterprise.name)
                                 .where(Enterprise.id.in_([r["enterprise_id"] for r in rows]))).all()) if rows else {}
    items = []
    for i, r in enumerate(rows, 1):
        items.append({"rank": i, "enterprise": {"id": r["enterprise_id"], "name": names.get(r["enterprise_id"], "")},
                      "total_cases": r["total_cases"], "open_cases": r["open_cases"],
                      "collective_open": r["collective_open"], "overdue_open": r["overdue_open"],
                      "workers_open": r["workers_open"], "amount_claimed_open": _money(r["claimed_open_cents"]),
                      "total_signals": r["total_signals"], "open_signals": r["open_signals"],
                      "risk_score": r["risk_score"], "risk_level": r["risk_level"],
                      "risk_level_label": LEVEL_LABELS.get(r["risk_level"], r["risk_level"])})
    return {"scope": {"label": scope.label}, "by": col, "source": source, "items": items}


WARNING_LEVELS: tuple[str, ...] = ("red", "orange", "yellow")


def warning_by_region(session: Session, *, actor: Actor, args: Mapping[str, Any]) -> dict[str, Any]:
    """How many enterprises stand at each warning level (red, orange, yellow) in every child region of
    ``region`` (a province's cities, a city's counties), within the caller's subtree — the map of where
    the risks are, beside the map of where the cases are. Read from the counters (current levels, one row
    per enterprise with cases or signals in the scope, covering indexes by region and level). Not
    available (``available`` false, with the reason) where the caller's scope keeps no counters (below
    the city level) or the region is a county (its map shows parks)."""
    require_supervisor(actor)
    d = load_input(WarningMapQuerySchema(), args, "查询条件有误，请按提示修改")
    region = d["region"]
    level = region_level(region)
    child = {"province": "city", "city": "county"}.get(level)
    scope = resolve_scope(session, actor, d.get("organisation_id"))
    empty = dict.fromkeys((*WARNING_LEVELS, "high"), 0)
    if child is None or scope.rollup_id is None:
        note = ("区县以下按园区展示，不分地区统计预警企业" if child is None
                else "本级组织不保留分地区的企业计数，请在企业排行中查看预警企业")
        return {"scope": {"label": scope.label}, "region": region, "by": child, "available": False, "note": note,
                "items": [], "total": empty}
    s = STATS
    rows = session.execute(
        select(s.c[child], s.c.risk_level, func.count())
        .where(s.c.scope_id == scope.rollup_id, s.c.risk_level.in_(WARNING_LEVELS), s.c[level] == region)
        .group_by(s.c[child], s.c.risk_level)
    ).all()
    by_child: dict[str, dict[str, int]] = {}
    for code, lv, n in rows:
        by_child.setdefault(code, dict.fromkeys(WARNING_LEVELS, 0))[lv] = int(n)
    items = [{"key": code, "label": _label_region(code, child), **counts, "high": counts["red"] + counts["orange"]}
             for code, counts in sorted(by_child.items(), key=lambda kv: (-kv[1]["red"], -kv[1]["orange"], kv[0]))]
    total = {lv: sum(i[lv] for i in items) for lv in (*WARNING_LEVELS, "high")}
    return {"scope": {"label": scope.label}, "region": region, "by": child, "available": True, "note": "",
            "items": items, "total": total}


def _ranking_from_facts(session: Session, scope: Scope, region: list[tuple[str, str]], col: str,
                        limit: int) -> list[dict[str, Any]]:
    from sqlalchemy import Integer

    f = FACTS
    o = cast(f.c.is_open, Integer)
    conds = [scope.facts_clause(), f.c.enterprise_id.is_not(None), *[f.c[lv] == code for lv, code in region]]
    stmt = (select(f.c.enterprise_id, func.count().label("total_cases"), func.sum(o).label("open_cases"),
                   func.sum(o * cast(f.c.collective, Integer)).label("collective_open"),
                   func.sum(o * cast(f.c.overdue, Integer)).label("overdue_open"),
                   func.sum(o * f.c.workers).label("workers_open"),
                   func.sum(o * f.c.claimed_cents).label("claimed_open_cents"))
            .where(*conds).group_by(f.c.enterprise_id))
    stats: dict[int, dict[str, Any]] = {}
    for r in session.execute(stmt).all():
        stats[r[0]] = {**{k: int(v or 0) for k, v in r._mapping.items()}, "total_signals": 0, "open_signals": 0}
    sig = (select(Signal.enterprise_id, func.count(),
                  func.sum(case((Signal.status.in_(("open", "converted")), 1), else_=0)))
           .where(scope.org_clause(Signal.organisation_id)).group_by(Signal.enterprise_id))
    for eid, n, open_n in session.execute(sig).all():
        if region:
            continue_ = False
            ent = session.get(Enterprise, eid)
            keys = rollups.enterprise_region(session, ent.region_code if ent else None)
            for lv, code in region:
                continue_ = continue_ or keys[lv] != code
            if continue_:
                continue
        row = stats.setdefault(eid, {"enterprise_id": eid, "total_cases": 0, "open_cases": 0, "collective_open": 0,
                                     "overdue_open": 0, "workers_open": 0, "claimed_open_cents": 0})
        row["total_signals"], row["open_signals"] = int(n), int(open_n or 0)
    risk = {r[0]: (r[1], r[2]) for r in session.execute(
        select(EnterpriseRisk.enterprise_id, EnterpriseRisk.level, EnterpriseRisk.score)
        .where(EnterpriseRisk.enterprise_id.in_(list(stats)))).all()} if stats else {}
    for eid, row in stats.items():
        row["risk_level"], row["risk_score"] = risk.get(eid, ("none", 0))
    ranked = sorted((r for r in stats.values() if r[col] > 0), key=lambda r: (-r[col], -r["enterprise_id"]))
    return ranked[:limit]


# --- early intervention -------------------------------------------------------------------------------


def early(session: Session, *, actor: Actor, args: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """Per organisation under the scope: how early cases that began as signals were taken up and reported.

    Intervention = acceptance or the first mediation session, whichever came first; report = the
    collective dispute's escalation or the reporting of its alert. Alerts: how many were raised and how
    many were reported, and how many on time.
    """
    require_supervisor(actor)
    d = load_input(EarlyQuerySchema(), args, "查询条件有误，请按提示修改")
    scope = resolve_scope(session, actor, d.get("organisation_id"))
    to = d.get("date_to") or today
    frm = d.get("date_from") or add_months(month_of(to), -11)
    f = FACTS
    intervened = case((and_(f.c.accepted_at.is_not(None), f.c.first_session_at.is_not(None),
                            f.c.first_session_at < f.c.accepted_at), f.c.first_session_at), else_=func.coalesce(
        f.c.accepted_at, f.c.first_session_at))
    reported = case((and_(f.c.escalated_at.is_not(None), f.c.alert_reported_at.is_not(None),
                          f.c.alert_reported_at < f.c.escalated_at), f.c.alert_reported_at),
                    else_=func.coalesce(f.c.escalated_at, f.c.alert_reported_at))
    h_int = hours_between(f.c.first_signal_at, intervened)
    h_rep = hours_between(f.c.first_signal_at, reported)
    stmt = (select(f.c.organisation_id, func.count().label("cases"),
                   func.count(intervened).label("intervened"), func.sum(h_int).label("h_int"),
                   func.count(reported).label("reported"), func.sum(h_rep).label("h_rep"))
            # few cases begin as signals: the index on first_signal_at must drive the query (SQLite's planner
            # otherwise walks a whole scope in organisation order to save the sort)
            .where(scope.facts_clause(), rare(f.c.first_signal_at.is_not(None)), f.c.reported_on.between(frm, to))
            .group_by(f.c.organisation_id))
    per_org: dict[int, dict[str, Any]] = {}
    for r in session.execute(stmt).all():
        per_org[r[0]] = {"cases": r[1], "intervened": r[2], "h_int": float(r[3] or 0), "reported": r[4],
                         "h_rep": float(r[5] or 0)}
    a = RiskAlert
    alerts_stmt = (select(a.organisation_id, func.count(), func.count(a.reported_at),
                          func.sum(case((and_(a.reported_at.is_not(None),
                                              func.date(a.reported_at) <= a.report_due_on), 1), else_=0)),
                          func.sum(case((and_(a.reported_at.is_(None), a.report_due_on < today), 1), else_=0)))
                   .where(scope.org_clause(a.organisation_id),
                          a.raised_at.between(dt.datetime.combine(frm, dt.time(), dt.UTC),
                                              dt.datetime.combine(to + dt.timedelta(days=1), dt.time(), dt.UTC)))
                   .group_by(a.organisation_id))
    for org_id, n, rep, on_time, late_open in session.execute(alerts_stmt).all():
        row = per_org.setdefault(org_id, {"cases": 0, "intervened": 0, "h_int": 0.0, "reported": 0, "h_rep": 0.0})
        row.update({"alerts": n, "alerts_reported": rep, "alerts_on_time": int(on_time or 0),
                    "alerts_overdue": int(late_open or 0)})
    names = dict(session.execute(select(Organisation.id, Organisation.name)
                                 .where(Organisation.id.in_(list(per_org)))).all()) if per_org else {}
    items = []
    for org_id, r in sorted(per_org.items(), key=lambda kv: -kv[1]["cases"]):
        items.append({
            "organisation": {"id": org_id, "name": names.get(org_id, "")},
            "cases_from_signals": r["cases"], "intervened": r["intervened"],
            "avg_hours_to_intervention": round(r["h_int"] / r["intervened"], 1) if r["intervened"] else None,
            "reported": r["reported"],
            "avg_hours_to_report": round(r["h_rep"] / r["reported"], 1) if r["reported"] else None,
            "alerts": r.get("alerts", 0), "alerts_reported": r.get("alerts_reported", 0),
            "alerts_reported_on_time": r.get("alerts_on_time", 0), "alerts_report_overdue": r.get("alerts_overdue", 0),
        })
    return {"scope": {"label": scope.label}, "window": {"from": frm, "to": to}, "items": items}


def enterprise_risk(session: Session, *, actor: Actor, enterprise_id: int) -> dict[str, Any]:
    """An enterprise's level, score and explanation, and its level history (for anyone who sees one of
    its signals or cases)."""
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        raise NotFound(f"企业{enterprise_id}不存在")
    scope = resolve_scope(session, actor)
    if scope.kind != "n":
        seen_case = session.scalar(select(FACTS.c.case_id).where(FACTS.c.enterprise_id == enterprise_id,
                                                                 scope.facts_clause()).limit(1))
        seen_signal = session.scalar(select(Signal.id).where(Signal.enterprise_id == enterprise_id,
                                                             scope.org_clause(Signal.organisation_id)).limit(1))
        if seen_case is None and seen_signal is None:
            raise PermissionDenied("该企业在您的管辖范围内没有风险信息或案件")
    from mediation.db.models_risk import EnterpriseRiskChange

    risk = session.get(EnterpriseRisk, enterprise_id)
    changes = session.scalars(select(EnterpriseRiskChange).where(EnterpriseRiskChange.enterprise_id == enterprise_id)
                              .order_by(EnterpriseRiskChange.at.desc(), EnterpriseRiskChange.id.desc())
                              .limit(50)).all()
    return {
        "enterprise": {"id": ent.id, "name": ent.name, "region_code": ent.region_code, "park_id": ent.park_id},
        "level": risk.level if risk else "none",
        "level_label": LEVEL_LABELS[risk.level if risk else "none"],
        "score": risk.score if risk else 0,
        "rule_set_version": risk.rule_set_version if risk else None,
        "computed_at": risk.computed_at if risk else None,
        "level_since": risk.level_since if risk else None,
        "indicators": dict(risk.indicators) if risk else {},
        "explanation": dict(risk.explanation) if risk else {},
        "history": [{"at": c.at, "from_level": c.from_level, "to_level": c.to_level, "from_score": c.from_score,
                     "to_score": c.to_score, "reason": c.reason, "rule_set_version": c.rule_set_version,
                     "signal_id": c.signal_id, "case_id": c.case_id} for c in changes],
    }
