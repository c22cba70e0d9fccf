"""Read models: the scoped, filtered, sorted and paginated case list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from mediation.db.models import Case, Deadline, Enterprise, Organisation
from mediation.domain.enums import DeadlineStatus, Role
from mediation.domain.policy import Actor

SORTS: Mapping[str, Any] = {
    "reported_on": Case.reported_on,
    "received_on": Case.received_on,
    "created_at": Case.created_at,
    "updated_at": Case.updated_at,
    "number": Case.number,
    "status": Case.status,
    "workers_count": Case.workers_count,
}
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page:
    items: list[Case]
    total: int
    page: int
    per_page: int


def region_prefix(code: str) -> str:
    """``330000`` → ``33``, ``330400`` → ``3304``, ``330402`` → ``330402`` (for LIKE prefix matches)."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def scope_clause(actor: Actor) -> ColumnElement[bool]:
    if actor.role == Role.SYSTEM:
        return Case.id.is_not(None)
    if actor.sees_subtree:
        return Case.organisation_id.in_(
            select(Organisation.id).where(Organisation.path.like(f"{actor.org_path}%"))
        )
    clause = Case.organisation_id == actor.organisation_id
    if actor.role == Role.MEDIATOR and actor.user_id is not None:
        clause = or_(clause, Case.lead_mediator_id == actor.user_id)
    return clause


def overdue_clause(today: dt.date) -> ColumnElement[bool]:
    return exists().where(
        Deadline.case_id == Case.id,
        or_(
            and_(Deadline.status == DeadlineStatus.OPEN, Deadline.due_on < today),
            and_(Deadline.status == DeadlineStatus.OVERDUE, Deadline.kind.in_(("acceptance", "mediation_end"))),
        ),
        Deadline.kind != "limitation",
    )


def case_query(actor: Actor, f: Mapping[str, Any], today: dt.date) -> Select[tuple[Case]]:
    stmt = select(Case).where(scope_clause(actor))
    if f.get("status"):
        stmt = stmt.where(Case.status.in_(f["status"]))
    if f.get("category"):
        stmt = stmt.where(Case.category.in_(f["category"]))
    if f.get("organisation_id") is not None:
        sub = select(Organisation.path).where(Organisation.id == f["organisation_id"]).scalar_subquery()
        stmt = stmt.where(Case.organisation_id.in_(
            select(Organisation.id).where(Organisation.path.like(sub.concat("%")))
        ))
    if f.get("enterprise_id") is not None:
        stmt = stmt.where(Case.enterprise_id == f["enterprise_id"])
    if f.get("region") or f.get("park_id") is not None:
        ent = select(Enterprise.id)
        if f.get("region"):
            ent = ent.where(Enterprise.region_code.like(region_prefix(f["region"]) + "%"))
        if f.get("park_id") is not None:
            ent = ent.where(Enterprise.park_id == f["park_id"])
        stmt = stmt.where(Case.enterprise_id.in_(ent))
    if f.get("mediator_id") is not None:
        stmt = stmt.where(Case.lead_mediator_id == f["mediator_id"])
    if f.get("collective") is not None:
        stmt = stmt.where(Case.is_collective.is_(f["collective"]))
    if f.get("overdue") is not None:
        clause = overdue_clause(today)
        stmt = stmt.where(clause if f["overdue"] else ~clause)
    for field, col in (("reported", Case.reported_on), ("received", Case.received_on)):
        if f.get(f"{field}_from"):
            stmt = stmt.where(col >= f[f"{field}_from"])
        if f.get(f"{field}_to"):
            stmt = stmt.where(col <= f[f"{field}_to"])
    if f.get("q"):
        like = f"%{f['q']}%"
        stmt = stmt.where(or_(Case.title.like(like), Case.number.like(like)))
    return stmt


def list_cases(session: Session, *, actor: Actor, filters: Mapping[str, Any], today: dt.date) -> Page:
    stmt = case_query(actor, filters, today)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    sort = filters.get("sort") or "-reported_on"
    desc = sort.startswith("-")
    col = SORTS[sort.lstrip("-")]
    per_page = min(int(filters.get("per_page") or 20), MAX_PER_PAGE)
    page = max(int(filters.get("page") or 1), 1)
    items = session.scalars(
        stmt.options(joinedload(Case.organisation), joinedload(Case.enterprise), joinedload(Case.lead_mediator))
        .order_by(col.desc() if desc else col.asc(), Case.id.desc() if desc else Case.id.asc())
        .limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    return Page(items=list(items), total=int(total), page=page, per_page=per_page)
