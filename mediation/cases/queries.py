"""Read models: the scoped, filtered, sorted and paginated case list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session, joinedload

from mediation.db.models import Case, Deadline, Enterprise, Organisation, Party
from mediation.db.sqlfuncs import case_number_seq, case_number_year
from mediation.domain.deadline_rules import MISSABLE_KINDS
from mediation.domain.enums import DeadlineStatus, Role
from mediation.domain.policy import Actor

SORTS: Mapping[str, Any] = {
    "reported_on": Case.reported_on,
    "received_on": Case.received_on,
    "created_at": Case.created_at,
    "updated_at": Case.updated_at,
    #: Numeric: by year, then by sequence (第9号 before 第10号), then the text (different organisations).
    "number": (case_number_year(Case.number), case_number_seq(Case.number), Case.number),
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


def org_scope_clause(actor: Actor, organisation_id: Any) -> ColumnElement[bool]:
    """Rows belonging to an organisation the actor may see (``mediation.domain.policy.in_scope`` in SQL):
    the actor's subtree for supervisors and administrators, their own organisation otherwise."""
    if actor.role == Role.SYSTEM:
        return true()
    if actor.sees_subtree:
        return organisation_id.in_(select(Organisation.id).where(Organisation.path.like(f"{actor.org_path}%")))
    return organisation_id == actor.organisation_id  # type: ignore[no-any-return]


def scope_clause(actor: Actor) -> ColumnElement[bool]:
    if actor.role == Role.SYSTEM:
        return Case.id.is_not(None)
    if actor.sees_subtree:
        return org_scope_clause(actor, Case.organisation_id)
    clause = Case.organisation_id == actor.organisation_id
    if actor.role == Role.MEDIATOR and actor.user_id is not None:
        clause = or_(clause, Case.lead_mediator_id == actor.user_id)
    return clause


def overdue_clause(today: dt.date | None = None) -> ColumnElement[bool]:
    """The case missed a deadline someone had to meet (``MISSABLE_KINDS``), as the sweep recorded it: the same
    test as the risk facts' ``overdue`` (mediation/risk/facts.py), so the dashboard's 在办逾期 figure, its
    region table and the case list behind it always agree. (``today`` is kept for callers; the sweep, every
    15 minutes, is what makes a deadline overdue.)"""
    return exists().where(
        Deadline.case_id == Case.id,
        Deadline.overdue_recorded_at.is_not(None),
        Deadline.kind.in_(MISSABLE_KINDS),
    )


def pending_clause(today: dt.date) -> ColumnElement[bool]:
    """A deadline row someone still has to act on: open, or marked overdue by the sweep and not dealt with."""
    return or_(Deadline.status == DeadlineStatus.OPEN,
               and_(Deadline.status == DeadlineStatus.OVERDUE, Deadline.resolved_on.is_(None)))


def overdue_now_clause(today: dt.date) -> ColumnElement[bool]:
    """The case has a deadline someone has to meet (``MISSABLE_KINDS``) that is past and still not dealt with:
    what a mediator must act on now (the workbench's 已逾期, counted in cases). ``overdue_clause`` is the
    supervisors' figure: a case that missed a deadline at some point, even if it was dealt with late."""
    return exists().where(Deadline.case_id == Case.id, Deadline.kind.in_(MISSABLE_KINDS), Deadline.due_on < today,
                          pending_clause(today))


def region_clause(region: str, enterprise_id: Any = Case.enterprise_id,
                  organisation_id: Any = Case.organisation_id) -> ColumnElement[bool]:
    """Rows (cases by default, or e.g. alerts) located in a region the way the risk facts locate a case: by
    the enterprise's region, or the organisation's when there is no enterprise (or it has no region)."""
    prefix = region_prefix(region) + "%"
    in_region = select(Enterprise.id).where(Enterprise.region_code.like(prefix))
    no_region = select(Enterprise.id).where(Enterprise.region_code.is_(None))
    org_in_region = select(Organisation.id).where(Organisation.region_code.like(prefix))
    return or_(
        enterprise_id.in_(in_region),
        and_(or_(enterprise_id.is_(None), enterprise_id.in_(no_region)), organisation_id.in_(org_in_region)),
    )


def escape_like(text: str) -> str:
    """``%`` and ``_`` in a search text match themselves, not anything (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
    if f.get("region"):
        stmt = stmt.where(region_clause(f["region"]))
    if f.get("park_id") is not None:
        stmt = stmt.where(Case.enterprise_id.in_(select(Enterprise.id).where(Enterprise.park_id == f["park_id"])))
    if f.get("mediator_id") is not None:
        stmt = stmt.where(Case.lead_mediator_id == f["mediator_id"])
    if f.get("collective") is not None:
        stmt = stmt.where(Case.is_collective.is_(f["collective"]))
    if f.get("overdue") is not None:
        clause = overdue_clause(today)
        stmt = stmt.where(clause if f["overdue"] else ~clause)
    if f.get("overdue_now") is not None:
        clause = overdue_now_clause(today)
        stmt = stmt.where(clause if f["overdue_now"] else ~clause)
    for field, col in (("reported", Case.reported_on), ("received", Case.received_on)):
        if f.get(f"{field}_from"):
            stmt = stmt.where(col >= f[f"{field}_from"])
        if f.get(f"{field}_to"):
            stmt = stmt.where(col <= f[f"{field}_to"])
    if f.get("unassigned") is not None:
        stmt = stmt.where(Case.lead_mediator_id.is_(None) if f["unassigned"] else Case.lead_mediator_id.is_not(None))
    if f.get("q"):
        stmt = stmt.where(search_clause(f["q"]))
    return stmt


def search_clause(q: str) -> ColumnElement[bool]:
    """One search box: the case number or title, a party's name or ID number (any party: workers,
    representatives, agents, the employer as registered on the case), or the enterprise's registered name.
    Several words (separated by spaces) must all match, each somewhere."""
    clauses = []
    for word in q.split()[:5]:
        like = f"%{escape_like(word)}%"
        id_like = f"%{escape_like(word.upper())}%"
        party = exists().where(Party.case_id == Case.id,
                               or_(Party.name.like(like, escape="\\"), Party.id_number.like(id_like, escape="\\")))
        enterprise = Case.enterprise_id.in_(select(Enterprise.id).where(Enterprise.name.like(like, escape="\\")))
        clauses.append(or_(Case.number.like(like, escape="\\"), Case.title.like(like, escape="\\"), party, enterprise))
    return and_(*clauses) if clauses else true()


def list_cases(session: Session, *, actor: Actor, filters: Mapping[str, Any], today: dt.date) -> Page:
    stmt = case_query(actor, filters, today)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    sort = filters.get("sort") or "-reported_on"
    desc = sort.startswith("-")
    col = SORTS[sort.lstrip("-")]
    cols = col if isinstance(col, tuple) else (col,)
    per_page = min(int(filters.get("per_page") or 20), MAX_PER_PAGE)
    page = max(int(filters.get("page") or 1), 1)
    items = session.scalars(
        stmt.options(joinedload(Case.organisation), joinedload(Case.enterprise), joinedload(Case.lead_mediator))
        .order_by(*(c.desc() if desc else c.asc() for c in cols), Case.id.desc() if desc else Case.id.asc())
        .limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    return Page(items=list(items), total=int(total), page=page, per_page=per_page)


@dataclass(frozen=True)
class DeadlineRow:
    case: Case
    kind: str
    due_on: dt.date
    days_left: int


@dataclass(frozen=True)
class CaseDue:
    """A case with the deadlines that put it in a workbench panel (earliest first)."""

    case: Case
    deadlines: list[DeadlineRow]

    @property
    def first(self) -> DeadlineRow:
        return self.deadlines[0]


@dataclass(frozen=True)
class Workbench:
    counts: dict[str, int]
    #: Cases with a missed deadline still to deal with (one entry per case, its missed deadlines inside).
    overdue: list[CaseDue]
    overdue_total: int
    due_today: list[CaseDue]
    lapsing: list[CaseDue]
    collective: list[Case]
    mine: list[Case]
    #: The committee's queue: applications waiting for the acceptance decision, and open cases nobody leads.
    awaiting_acceptance: int = 0
    unassigned: int = 0


#: Cases still being handled by the committee (before the agreement or the end of mediation).
OPEN_STATES = ("reported", "triage", "negotiating", "applied", "mediating", "lapsed")
UNASSIGNED_STATES = OPEN_STATES
CLOCK_KINDS = MISSABLE_KINDS


def _group(rows: list[DeadlineRow]) -> list[CaseDue]:
    out: dict[int, CaseDue] = {}
    for r in rows:
        if r.case.id in out:
            out[r.case.id].deadlines.append(r)
        else:
            out[r.case.id] = CaseDue(case=r.case, deadlines=[r])
    return list(out.values())


def workbench(session: Session, *, actor: Actor, today: dt.date, lapse_window: int = 3, limit: int = 50) -> Workbench:
    """A mediator's desk: cases by state, what is overdue, due today and about to lapse (day 15), in cases
    (a case with two missed deadlines is one overdue case); the parties' optional windows are not clocks."""
    scope = scope_clause(actor)
    counts = dict(session.execute(
        select(Case.status, func.count()).where(scope, Case.status != "closed").group_by(Case.status)
    ).all())
    rows = session.execute(
        select(Case, Deadline.kind, Deadline.due_on)
        .join(Deadline, Deadline.case_id == Case.id)
        .where(scope, Case.status != "closed", Deadline.kind.in_(CLOCK_KINDS), pending_clause(today),
               Deadline.due_on <= today + dt.timedelta(days=lapse_window))
        .order_by(Deadline.due_on, Case.id).limit(limit * 6)
    ).all()
    overdue, due_today, lapsing = [], [], []
    for case, kind, due in rows:
        row = DeadlineRow(case=case, kind=kind, due_on=due, days_left=(due - today).days)
        if due < today:
            overdue.append(row)
        elif due == today:
            due_today.append(row)
        elif kind == "mediation_end":
            lapsing.append(row)
    overdue_total = session.scalar(
        select(func.count(Case.id)).where(scope, Case.status != "closed", overdue_now_clause(today))) or 0
    collective = list(session.scalars(
        select(Case).where(scope, Case.is_collective.is_(True), Case.status.in_(OPEN_STATES))
        .order_by(Case.reported_on.desc()).limit(limit)
    ).all())
    mine_clause = Case.lead_mediator_id == actor.user_id if actor.user_id is not None else Case.id.is_(None)
    mine = list(session.scalars(
        select(Case).where(scope, mine_clause, Case.status != "closed")
        .options(joinedload(Case.enterprise)).order_by(Case.updated_at.desc()).limit(limit)
    ).all())
    unassigned = session.scalar(select(func.count(Case.id)).where(
        scope, Case.status.in_(UNASSIGNED_STATES), Case.lead_mediator_id.is_(None))) or 0
    return Workbench(counts=counts, overdue=_group(overdue)[:limit], overdue_total=int(overdue_total),
                     due_today=_group(due_today)[:limit], lapsing=_group(lapsing)[:limit], collective=collective,
                     mine=mine, awaiting_acceptance=int(counts.get("applied", 0)), unassigned=int(unassigned))


def next_deadlines(session: Session, case_ids: list[int], today: dt.date) -> dict[int, DeadlineRow]:
    """For a page of cases, each one's most urgent deadline still to meet (``MISSABLE_KINDS``): one query."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Deadline.case_id, Deadline.kind, Deadline.due_on)
        .where(Deadline.case_id.in_(case_ids), Deadline.kind.in_(MISSABLE_KINDS), pending_clause(today))
        .order_by(Deadline.due_on)
    ).all()
    out: dict[int, DeadlineRow] = {}
    for case_id, kind, due in rows:
        if case_id not in out:
            out[case_id] = DeadlineRow(case=None, kind=kind, due_on=due, days_left=(due - today).days)  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class SupervisorToday:
    #: Collective disputes whose report (集体争议报告, 1 day) is not made: past its limit, due today, or due tomorrow
    #: (registered today — the report is today's work too).
    collective_unreported: list[CaseDue]
    #: Cases in mediation whose period ends within the window (they lapse the day after).
    lapsing: list[CaseDue]


def supervisor_today(session: Session, *, actor: Actor, today: dt.date, lapse_window: int = 3,
                     limit: int = 200) -> SupervisorToday:
    """What a supervisor must see today in their subtree (the alerts come from mediation.risk.alerts)."""
    scope = scope_clause(actor)
    opts = (joinedload(Case.organisation), joinedload(Case.lead_mediator), joinedload(Case.enterprise))
    unreported = session.execute(
        select(Case, Deadline.kind, Deadline.due_on).join(Deadline, Deadline.case_id == Case.id)
        .where(scope, Case.status != "closed", Case.escalated_at.is_(None), Deadline.kind == "collective_report",
               pending_clause(today), Deadline.due_on <= today + dt.timedelta(days=1))
        .options(*opts).order_by(Deadline.due_on, Case.id).limit(limit)
    ).unique().all()
    lapsing = session.execute(
        select(Case, Deadline.kind, Deadline.due_on).join(Deadline, Deadline.case_id == Case.id)
        .where(scope, Case.status == "mediating", Deadline.kind == "mediation_end", pending_clause(today),
               Deadline.due_on >= today, Deadline.due_on <= today + dt.timedelta(days=lapse_window))
        .options(*opts).order_by(Deadline.due_on, Case.id).limit(limit)
    ).unique().all()

    def rows(found: Any) -> list[CaseDue]:
        return _group([DeadlineRow(case=c, kind=k, due_on=d, days_left=(d - today).days) for c, k, d in found])

    return SupervisorToday(collective_unreported=rows(unreported), lapsing=rows(lapsing))
