"""The hotspot query: who may look where (the scope), what is asked (window, dimension, filters),
and which statement answers it — a rollup dimension or the per-case facts — with the labels of the answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, cast, func, select, true
from sqlalchemy.orm import Session

from mediation.db.models import Organisation
from mediation.db.models_risk import EnterpriseScopeStats, RiskCaseFacts, RiskRollup
from mediation.domain import divisions
from mediation.domain.enums import Role
from mediation.domain.errors import NotFound, PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor, in_scope
from mediation.risk import facts as F

FACTS = RiskCaseFacts.__table__
ROLLUPS = RiskRollup.__table__
STATS = EnterpriseScopeStats.__table__

REGION_RANK: Mapping[str, int] = {"province": 0, "city": 1, "county": 2}
ATTR_OF: Mapping[str, str] = {"park": "park_id", "category": "category", "industry": "industry",
                              "ownership": "ownership", "level": "level", "enterprise": "enterprise_id"}
FILTER_ATTRS: tuple[str, ...] = ("park_id", "enterprise_id", "category", "industry", "ownership", "level")
MEASURE_LABELS: Mapping[str, str] = {
    "cases": "案件数", "workers": "涉及职工人数", "collective": "集体争议", "open_cases": "在办案件",
    "amount_claimed": "请求金额（元）", "amount_recovered": "已履行金额（元）", "agreed": "调解成功",
    "failed": "调解不成", "success_rate": "调解成功率", "overdue": "曾逾期案件", "overdue_open": "在办逾期案件",
    "accepted": "已受理",
}
BY_LABELS: Mapping[str, str] = {
    "province": "省级", "city": "地市", "county": "区县", "park": "园区", "enterprise": "企业", "category": "争议类别",
    "industry": "行业", "ownership": "登记注册类型", "level": "预警等级", "month": "月份", "week": "周",
}


# --- scope --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Where the caller may look. ``rollup_id`` is set when the scope has its own rollup rows."""

    label: str
    rollup_id: int | None
    #: ``n`` (everything), ``p``/``c`` (facts.scope_p / scope_c = rollup_id) or ``o`` (organisation ids).
    kind: str
    org_ids: tuple[int, ...] = ()
    org_path: str = "/"

    def facts_clause(self) -> ColumnElement[bool]:
        if self.kind == "n":
            return true()
        if self.kind == "p":
            return FACTS.c.scope_p == self.rollup_id
        if self.kind == "c":
            return FACTS.c.scope_c == self.rollup_id
        return FACTS.c.organisation_id.in_(self.org_ids)

    def org_clause(self, col: Any) -> ColumnElement[bool]:
        """For tables keyed by organisation (signals, alerts)."""
        if self.kind == "n":
            return true()
        if self.kind == "o":
            return col.in_(self.org_ids)
        return col.in_(select(Organisation.id).where(Organisation.path.like(f"{self.org_path}%")))


def require_supervisor(actor: Actor) -> None:
    """The hotspot picture is for supervisors (and administrators) of a subtree."""
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM):
        raise PermissionDenied("只有督导员和系统管理员可以查看风险热点统计")


def resolve_scope(session: Session, actor: Actor, organisation_id: int | None = None) -> Scope:
    if organisation_id is None and (actor.role == Role.SYSTEM or (actor.sees_subtree and actor.org_path == "/")):
        return Scope("全部", F.NATIONAL, "n")
    org_id = organisation_id or actor.organisation_id
    org = session.get(Organisation, org_id) if org_id is not None else None
    if org is None:
        raise NotFound("组织不存在或不在您的管辖范围内")
    if not in_scope(actor, org.id, org.path):
        raise NotFound("组织不存在或不在您的管辖范围内")
    if not actor.sees_subtree and actor.role != Role.SYSTEM:
        return Scope(org.name, None, "o", (org.id,), org.path)
    if F.is_rollup_scope(session, org):
        return Scope(org.name, org.id, "p" if org.level == "province" else "c", (), org.path)
    ids = tuple(session.scalars(select(Organisation.id).where(Organisation.path.like(f"{org.path}%"))).all())
    return Scope(org.name, None, "o", ids, org.path)


# --- the query ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotspotQuery:
    by: str
    grain: str
    bucket_from: dt.date
    bucket_to: dt.date
    filters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def region_filter(self) -> tuple[str, str] | None:
        for lv in ("county", "city", "province"):
            if self.filters.get(lv):
                return lv, self.filters[lv]
        return None


def month_of(d: dt.date) -> dt.date:
    return d.replace(day=1)


def monday_of(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def region_level(code: str) -> str:
    div = divisions.find(code)
    if div is None:
        raise ValidationFailed(f"行政区划代码{code}无效", errors={"region": ["行政区划代码无效"]})
    return div.level


def build_query(d: Mapping[str, Any], today: dt.date) -> HotspotQuery:
    by = d["by"]
    grain = "w" if by == "week" or (by != "month" and d.get("grain") == "week") else "m"
    to = d.get("date_to") or today
    frm = d.get("date_from") or (add_months(month_of(to), -11) if grain == "m" else to - dt.timedelta(weeks=12))
    if grain == "m":
        b_from, b_to = month_of(frm), month_of(to)
    else:
        b_from, b_to = monday_of(frm), monday_of(to)
    filters: dict[str, Any] = {k: d[k] for k in (*FILTER_ATTRS, "province", "city", "county") if d.get(k)}
    if d.get("region"):
        filters[region_level(d["region"])] = d["region"]
    return HotspotQuery(by=by, grain=grain, bucket_from=b_from, bucket_to=b_to, filters=filters)


def plan(q: HotspotQuery, scope: Scope) -> F.Dim | None:
    """The coarsest rollup dimension that answers ``q`` exactly, or None (answer from the facts)."""
    if scope.rollup_id is None:
        return None
    attrs = {k for k in FILTER_ATTRS if q.filters.get(k)}
    if q.by in ATTR_OF:
        attrs.add(ATTR_OF[q.by])
    if "enterprise_id" in attrs or len(attrs) > 1:
        return None
    attr = next(iter(attrs), None)
    need = max([REGION_RANK[lv] for lv in ("province", "city", "county") if q.filters.get(lv)] +
               ([REGION_RANK[q.by]] if q.by in REGION_RANK else []), default=0)
    candidates = [dim for dim in F.DIMS if dim.attr == attr and dim.region_rank >= need and q.grain in dim.grains]
    return min(candidates, key=lambda dim: dim.region_rank) if candidates else None


def _is_narrow(q: HotspotQuery, scope: Scope) -> bool:
    return scope.kind == "o" or any(q.filters.get(k) for k in ("county", "park_id", "enterprise_id"))


def _rollup_sums(t: Any) -> list[Any]:
    return [func.sum(t.c[m]).label(m) for m in F.ROLLUP_MEASURES]


def _facts_sums(t: Any) -> list[Any]:
    from sqlalchemy import Integer

    def b(col: Any) -> Any:
        return func.sum(cast(col, Integer))

    return [
        func.count().label("cases"), b(t.c.is_open).label("open_cases"), b(t.c.collective).label("collective"),
        func.sum(t.c.workers).label("workers"), func.sum(t.c.claimed_cents).label("claimed_cents"),
        func.sum(t.c.recovered_cents).label("recovered_cents"),
        func.sum(case((t.c.outcome == "agreed", 1), else_=0)).label("agreed"),
        func.sum(case((t.c.outcome == "failed", 1), else_=0)).label("failed"),
        b(t.c.accepted).label("accepted"), b(t.c.overdue).label("overdue"),
        func.sum(case((and_(t.c.overdue, t.c.is_open), 1), else_=0)).label("overdue_open"),
    ]


def rollup_statement(q: HotspotQuery, scope: Scope, dim: F.Dim) -> Select[Any]:
    r = ROLLUPS
    conds = [r.c.scope_id == scope.rollup_id, r.c.dim == dim.name, r.c.grain == q.grain,
             r.c.bucket.between(q.bucket_from, q.bucket_to)]
    for lv in ("province", "city", "county"):
        if q.filters.get(lv):
            conds.append(r.c[lv] == q.filters[lv])
    for k in FILTER_ATTRS:
        if q.filters.get(k):
            conds.append(r.c.value == str(q.filters[k]))
    if q.by in REGION_RANK:
        key: Any = r.c[q.by]
    elif q.by in ("month", "week"):
        key = r.c.bucket
    else:
        key = r.c.value
    return select(key.label("key"), *_rollup_sums(r)).where(*conds).group_by(key)


def facts_conditions(q: HotspotQuery, scope: Scope) -> list[ColumnElement[bool]]:
    f = FACTS
    col = f.c.month if q.grain == "m" else f.c.week
    conds = [scope.facts_clause(), col.between(q.bucket_from, q.bucket_to)]
    for lv in ("province", "city", "county"):
        if q.filters.get(lv):
            conds.append(f.c[lv] == q.filters[lv])
    for k in FILTER_ATTRS:
        if q.filters.get(k):
            conds.append(f.c[k] == q.filters[k])
    return conds


def facts_statement(q: HotspotQuery, scope: Scope) -> Select[Any]:
    f = FACTS
    if q.by in REGION_RANK:
        key: Any = f.c[q.by]
    elif q.by == "month":
        key = f.c.month
    elif q.by == "week":
        key = f.c.week
    else:
        key = f.c[ATTR_OF[q.by]]
    return select(key.label("key"), *_facts_sums(f)).where(*facts_conditions(q, scope)).group_by(key)


def statement_for(q: HotspotQuery, scope: Scope) -> tuple[Select[Any], str]:
    dim = plan(q, scope)
    if dim is not None:
        return rollup_statement(q, scope, dim), f"rollup:{dim.name}"
    if not _is_narrow(q, scope):
        hint = "请先选择区县或园区，或使用企业排行" if q.by == "enterprise" else "请先选择区县或园区，或减少组合条件"
        raise ValidationFailed(f"该查询范围过大，无法即时统计：{hint}", errors={"by": [hint]})
    return facts_statement(q, scope), "facts"
