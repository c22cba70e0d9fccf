"""Per-case facts (and the deltas that carry their changes to the rollups), kept consistent with the base tables.

One definition, :func:`facts_select`, turns base rows (cases, enterprises, organisations, regions,
claims, obligations, deadlines, sessions, events, signals, alerts, enterprise levels) into the fact row of
a case. Everything derived is computed from fact rows:

- incrementally: inside the transaction of every case event (:func:`refresh_case`, called by the case
  observer) the case's new fact row is computed with :func:`facts_select`, compared with the stored one, stored,
  and the *difference* written as one delta row (:func:`record_delta`: an INSERT, no row shared with another
  case); the fold (:mod:`mediation.risk.fold`) adds deltas to every rollup row and counter they touch, one
  upsert per key, and deletes them in the same transaction — by the workers every second on PostgreSQL, inline
  after the commit on SQLite and wherever the session is not marked :data:`FOLD_BY_WORKER`;
- in bulk (:mod:`mediation.risk.maintenance`), by ``INSERT … SELECT`` from :func:`facts_select` and
  ``GROUP BY`` over the facts; ``verify`` recomputes both ways and compares.

Rollups are keyed by (scope, dimension, grain, region key, value, bucket). Scopes: 0 = the whole
installation, and every organisation at a rollup level (province, city) above the case — so a
supervisor's query reads only the rows of their own scope. Organisations below the rollup levels (county,
township, park, enterprise committees) have few enough cases to be answered from the facts directly.
Time buckets are the month (and for the coarse dimensions the ISO week) of ``reported_on``; measures are
the case's *current* state (a cohort view: "cases reported in May, of which N are still open"). The rollup keys
and the writes that add changes to rollups and counters are in :mod:`mediation.risk.rollups`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, aliased

from mediation.db.models import (
    Agreement,
    Case,
    CaseEvent,
    Claim,
    Deadline,
    Enterprise,
    MediationSession,
    Obligation,
    Organisation,
    Region,
)
from mediation.db.models_risk import (
    EnterpriseRisk,
    RiskAlert,
    RiskCaseFacts,
    RiskFactDelta,
)
from mediation.db.models_risk import RiskSignal as Signal
from mediation.db.sqlfuncs import month_start, week_start
from mediation.domain.deadline_rules import MISSABLE_KINDS
from workflows.definitions import DEFINITIONS
from workflows.events import SPECS, EventSpec

#: The facts that are the time of a case's first event of a kind, and the events that mark them — from the events'
#: specs (``EventSpec.facts``). A spec naming a fact not listed here fails at import.
FACT_COLUMNS: tuple[str, ...] = ("accepted_at", "escalated_at")


def event_facts(specs: Iterable[EventSpec]) -> dict[str, tuple[str, ...]]:
    """``{fact: events that mark it}`` for every fact column, checked: every named fact is known, every fact marked."""
    marked: dict[str, list[str]] = {f: [] for f in FACT_COLUMNS}
    for spec in specs:
        for fact in spec.facts:
            if fact not in marked:
                raise ValueError(f"event {spec.event!r} marks unknown risk fact {fact!r} (known: {FACT_COLUMNS})")
            marked[fact].append(spec.event)
    unmarked = [f for f, events in marked.items() if not events]
    if unmarked:
        raise ValueError(f"no event marks the risk facts {unmarked}")
    return {f: tuple(events) for f, events in marked.items()}


EVENT_FACTS: Mapping[str, tuple[str, ...]] = event_facts(SPECS.values())


def _event_is(names: tuple[str, ...]) -> ColumnElement[bool]:
    return CaseEvent.event == names[0] if len(names) == 1 else CaseEvent.event.in_(names)


#: Statuses in which a dispute is still being handled (the workflow's ``open`` flag, any version).
OPEN_STATES: tuple[str, ...] = tuple(sorted({s.name for d in DEFINITIONS.values() for s in d.states if s.open}))
#: Mediation accepted but ended without agreement.
FAILED_STATES: tuple[str, ...] = ("lapsed", "terminated", "referred")
NATIONAL = 0
#: Organisation levels that get their own rollup rows and counters.
ROLLUP_SCOPE_LEVELS: tuple[str, ...] = ("province", "city")


@dataclass(frozen=True)
class Dim:
    """A rollup dimension: region key granularity (``p`` province, ``c`` city, ``k`` county), an optional
    attribute, and the grains kept (``m`` month, ``w`` week)."""

    name: str
    region: str
    attr: str | None
    grains: tuple[str, ...]

    @property
    def region_rank(self) -> int:
        return "pck".index(self.region)


DIMS: tuple[Dim, ...] = (
    Dim("province", "p", None, ("m", "w")),
    Dim("city", "c", None, ("m", "w")),
    Dim("county", "k", None, ("m",)),
    Dim("park", "k", "park_id", ("m",)),
    Dim("category@p", "p", "category", ("m", "w")),
    Dim("category@c", "c", "category", ("m", "w")),
    Dim("category@k", "k", "category", ("m",)),
    Dim("industry@p", "p", "industry", ("m",)),
    Dim("industry@c", "c", "industry", ("m",)),
    Dim("ownership@p", "p", "ownership", ("m",)),
    Dim("ownership@c", "c", "ownership", ("m",)),
    Dim("level@p", "p", "level", ("m",)),
    Dim("level@c", "c", "level", ("m",)),
)
DIM_BY_NAME: Mapping[str, Dim] = {d.name: d for d in DIMS}
LEVEL_DIMS: tuple[Dim, ...] = tuple(d for d in DIMS if d.attr == "level")

ROLLUP_MEASURES: tuple[str, ...] = (
    "cases", "open_cases", "collective", "workers", "claimed_cents", "recovered_cents", "agreed", "failed",
    "accepted", "overdue", "overdue_open",
)
ROLLUP_KEY: tuple[str, ...] = ("scope_id", "dim", "grain", "province", "city", "county", "value", "bucket")
COUNTER_MEASURES: tuple[str, ...] = (
    "total_cases", "open_cases", "collective_open", "overdue_open", "workers_open", "claimed_open_cents",
)


class Fact(NamedTuple):
    """A row of ``risk_case_facts`` (same columns, same order)."""

    case_id: int
    organisation_id: int
    scope_p: int
    scope_c: int
    enterprise_id: int | None
    reported_on: dt.date
    month: dt.date
    week: dt.date
    province: str
    city: str
    county: str
    park_id: int | None
    industry: str
    ownership: str
    category: str
    level: str
    is_open: bool
    collective: bool
    workers: int
    claimed_cents: int
    recovered_cents: int
    outcome: str
    accepted: bool
    overdue: bool
    first_signal_at: dt.datetime | None
    accepted_at: dt.datetime | None
    first_session_at: dt.datetime | None
    escalated_at: dt.datetime | None
    alert_reported_at: dt.datetime | None


FACT_COLUMNS: tuple[str, ...] = Fact._fields
assert FACT_COLUMNS == tuple(c.name for c in RiskCaseFacts.__table__.columns), "Fact must mirror risk_case_facts"
_FACTS = RiskCaseFacts.__table__


# --- the definition -----------------------------------------------------------------------------------


def _cents(expr: ColumnElement[Any]) -> ColumnElement[int]:
    return cast(func.round(func.coalesce(expr, 0) * 100), BigInteger)


def facts_select(
    *,
    case_ids: Sequence[int] | None = None,
    id_range: tuple[int, int] | None = None,
    scope_table: FromClause | None = None,
    scope_values: tuple[int, int] | None = None,
    one_case: bool = False,
    with_stored: bool = False,
) -> Select[Any]:
    """The fact rows of the selected cases, computed from the base tables.

    Scopes come either from ``scope_table`` (columns ``org_id``, ``scope_p``, ``scope_c``; bulk) or as
    literal values for a single organisation's cases (``scope_values``). ``one_case``: the statement takes
    bound parameters ``case_id``, ``scope_p`` and ``scope_c`` (built once, compiled once: the observer).
    ``with_stored`` (with ``one_case``): the stored fact row's columns follow the computed ones (all NULL when
    there is none), and the computed row takes its rollup scopes from the stored row while the case stays
    in the same organisation (``scope_p``/``scope_c`` otherwise) — the observer's one query.
    """

    def restrict(col: Any) -> ColumnElement[bool]:
        if one_case:
            return col == bindparam("case_id", type_=Integer)
        if case_ids is not None:
            return col.in_(list(case_ids))
        if id_range is not None:
            return col.between(id_range[0], id_range[1])
        return true()

    claims = (select(Claim.case_id.label("case_id"), func.sum(Claim.amount).label("amount"))
              .where(restrict(Claim.case_id)).group_by(Claim.case_id).subquery("claims_x"))
    recovered = (select(Agreement.case_id.label("case_id"), func.sum(Obligation.performed_amount).label("amount"))
                 .join(Obligation, Obligation.agreement_id == Agreement.id)
                 .where(Obligation.obligor == "employer", restrict(Agreement.case_id))
                 .group_by(Agreement.case_id).subquery("recovered_x"))
    overdue = (select(Deadline.case_id.label("case_id"), func.count().label("n"))
               .where(Deadline.overdue_recorded_at.is_not(None), Deadline.kind.in_(MISSABLE_KINDS),
                      restrict(Deadline.case_id))
               .group_by(Deadline.case_id).subquery("overdue_x"))
    sessions = (select(MediationSession.case_id.label("case_id"), func.min(MediationSession.started_at).label("at"))
                .where(restrict(MediationSession.case_id)).group_by(MediationSession.case_id).subquery("sessions_x"))
    events = (select(CaseEvent.case_id.label("case_id"),
                     *(func.min(case((_event_is(names), CaseEvent.at))).label(fact)
                       for fact, names in EVENT_FACTS.items()))
              .where(CaseEvent.event.in_(sorted({e for names in EVENT_FACTS.values() for e in names})),
                     restrict(CaseEvent.case_id))
              .group_by(CaseEvent.case_id).subquery("events_x"))
    signals = (select(Signal.case_id.label("case_id"), func.min(Signal.observed_at).label("at"))
               .where(Signal.case_id.is_not(None), restrict(Signal.case_id))
               .group_by(Signal.case_id).subquery("signals_x"))
    alerts = (select(RiskAlert.case_id.label("case_id"), func.min(RiskAlert.reported_at).label("at"))
              .where(RiskAlert.case_id.is_not(None), restrict(RiskAlert.case_id))
              .group_by(RiskAlert.case_id).subquery("alerts_x"))

    c = Case.__table__
    e = Enterprise.__table__
    o = Organisation.__table__
    er = EnterpriseRisk.__table__
    r0, r1, r2 = aliased(Region), aliased(Region), aliased(Region)
    region_code = func.coalesce(e.c.region_code, o.c.region_code)
    province = case(
        (r0.level == "province", r0.code),
        (r0.level == "city", r1.code),
        (r0.level == "county", func.coalesce(r2.code, r1.code)),
        else_="",
    )
    # A county directly under a province (municipal districts, province-administered counties) has the
    # province as its city-level key, so every county sits under exactly one city key.
    city = case((r0.level == "city", r0.code), (r0.level == "county", r1.code), else_="")
    county = case((r0.level == "county", r0.code), else_="")
    outcome = case(
        (c.c.agreed_on.is_not(None), "agreed"),
        (and_(c.c.accepted_on.is_not(None),
              or_(c.c.status.in_(FAILED_STATES),
                  and_(c.c.status == "closed", func.coalesce(c.c.end_reason, "") != "withdrawn"))), "failed"),
        else_="",
    )
    if scope_table is not None:
        scope_p: Any = func.coalesce(scope_table.c.scope_p, 0)
        scope_c: Any = func.coalesce(scope_table.c.scope_c, 0)
    elif one_case:
        scope_p, scope_c = bindparam("scope_p", type_=Integer), bindparam("scope_c", type_=Integer)
        if with_stored:
            stored = _FACTS.alias("stored_x")
            same_org = stored.c.organisation_id == c.c.organisation_id
            scope_p, scope_c = case((same_org, stored.c.scope_p), else_=scope_p), case((same_org, stored.c.scope_c),
                                                                                       else_=scope_c)
    else:
        p, cc = scope_values or (0, 0)
        scope_p, scope_c = literal(p), literal(cc)
    is_open = c.c.status.in_(OPEN_STATES)
    cols = [
        c.c.id.label("case_id"),
        c.c.organisation_id.label("organisation_id"),
        scope_p.label("scope_p"),
        scope_c.label("scope_c"),
        c.c.enterprise_id.label("enterprise_id"),
        c.c.reported_on.label("reported_on"),
        month_start(c.c.reported_on).label("month"),
        week_start(c.c.reported_on).label("week"),
        func.coalesce(province, "").label("province"),
        func.coalesce(city, "").label("city"),
        func.coalesce(county, "").label("county"),
        e.c.park_id.label("park_id"),
        func.coalesce(e.c.industry, "").label("industry"),
        func.coalesce(e.c.ownership, "").label("ownership"),
        c.c.category.label("category"),
        func.coalesce(er.c.level, "none").label("level"),
        type_coerce(is_open, Boolean).label("is_open"),
        c.c.is_collective.label("collective"),
        c.c.workers_count.label("workers"),
        _cents(claims.c.amount).label("claimed_cents"),
        _cents(recovered.c.amount).label("recovered_cents"),
        outcome.label("outcome"),
        type_coerce(c.c.accepted_on.is_not(None), Boolean).label("accepted"),
        type_coerce(overdue.c.n.is_not(None), Boolean).label("overdue"),
        signals.c.at.label("first_signal_at"),
        events.c.accepted_at.label("accepted_at"),
        sessions.c.at.label("first_session_at"),
        events.c.escalated_at.label("escalated_at"),
        alerts.c.at.label("alert_reported_at"),
    ]
    frm: Any = (
        # a left join (every case has its organisation): SQLite then reads the cases in id order, as the facts
        # are stored, instead of per organisation through an index
        c.outerjoin(o, o.c.id == c.c.organisation_id)
        .outerjoin(e, e.c.id == c.c.enterprise_id)
        .outerjoin(er, er.c.enterprise_id == c.c.enterprise_id)
        .outerjoin(r0, r0.code == region_code)
        .outerjoin(r1, r1.code == r0.parent_code)
        .outerjoin(r2, r2.code == r1.parent_code)
        .outerjoin(claims, claims.c.case_id == c.c.id)
        .outerjoin(recovered, recovered.c.case_id == c.c.id)
        .outerjoin(overdue, overdue.c.case_id == c.c.id)
        .outerjoin(sessions, sessions.c.case_id == c.c.id)
        .outerjoin(events, events.c.case_id == c.c.id)
        .outerjoin(signals, signals.c.case_id == c.c.id)
        .outerjoin(alerts, alerts.c.case_id == c.c.id)
    )
    if scope_table is not None:
        frm = frm.outerjoin(scope_table, scope_table.c.org_id == c.c.organisation_id)
    if one_case and with_stored:
        frm = frm.outerjoin(stored, stored.c.case_id == c.c.id)
        cols += [stored.c[name].label(f"stored_{name}") for name in Fact._fields]
    return select(*cols).select_from(frm).where(restrict(c.c.id))


# --- scopes -------------------------------------------------------------------------------------------


def path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def scope_pairs(rows: Iterable[tuple[int, str, str]]) -> dict[int, tuple[int, int]]:
    """``(id, path, level)`` of organisations (all ancestors included) → ``{id: (scope_p, scope_c)}``:
    the top-most province-level and city-level organisation on the path (0 = none)."""
    rows = list(rows)
    level = {oid: lv for oid, _p, lv in rows}
    out: dict[int, tuple[int, int]] = {}
    for oid, path, _lv in rows:
        chain = path_ids(path) or [oid]
        p = next((a for a in chain if level.get(a) == "province"), 0)
        c = next((a for a in chain if level.get(a) == "city"), 0)
        out[oid] = (p, c)
    return out


def org_scopes(session: Session, org_id: int) -> tuple[int, int]:
    """The rollup scopes above ``org_id`` (cached for the session: organisations do not move)."""
    cache: dict[int, tuple[int, int]] = session.info.setdefault("risk.scopes", {})
    hit = cache.get(org_id)
    if hit is not None:
        return hit
    path = session.scalar(select(Organisation.path).where(Organisation.id == org_id)) or f"/{org_id}/"
    ids = path_ids(path) or [org_id]
    rows = session.execute(select(Organisation.id, Organisation.path, Organisation.level)
                           .where(Organisation.id.in_(ids))).all()
    pairs = scope_pairs([(r[0], r[1], r[2]) for r in rows])
    cache[org_id] = pairs.get(org_id, (0, 0))
    return cache[org_id]


def rollup_scopes(scope_p: int, scope_c: int) -> list[int]:
    return [NATIONAL, *[s for s in (scope_p, scope_c) if s]]


def is_rollup_scope(session: Session, org: Organisation) -> bool:
    """Does ``org`` have its own rollup rows (a province/city organisation with no same-level ancestor)?"""
    if org.level not in ROLLUP_SCOPE_LEVELS:
        return False
    p, c = org_scopes(session, org.id)
    return (org.level == "province" and p == org.id) or (org.level == "city" and c == org.id)


def load_facts(session: Session, *conditions: ColumnElement[bool]) -> list[Fact]:
    return [Fact(*r) for r in session.execute(select(_FACTS).where(*conditions)).all()]


def load_fact(session: Session, case_id: int) -> Fact | None:
    rows = load_facts(session, _FACTS.c.case_id == case_id)
    return rows[0] if rows else None


@functools.cache
def _one_case_statement() -> Select[Any]:
    return facts_select(one_case=True)


def compute_fact(session: Session, case_id: int, organisation_id: int, stored: Fact | None = None) -> Fact | None:
    """The case's fact row from the base tables. ``stored`` (the case's current fact row, if known) saves
    looking up the rollup scopes: organisations do not move, so they are those of the stored row while
    the case stays in the same organisation."""
    if stored is not None and stored.organisation_id == organisation_id:
        p, c = stored.scope_p, stored.scope_c
    else:
        p, c = org_scopes(session, organisation_id)
    row = session.execute(_one_case_statement(), {"case_id": case_id, "scope_p": p, "scope_c": c}).one_or_none()
    return None if row is None else Fact(*row)


@functools.cache
def _one_case_with_stored_statement() -> Select[Any]:
    return facts_select(one_case=True, with_stored=True)


def load_and_compute(session: Session, case_id: int, organisation_id: int) -> tuple[Fact | None, Fact | None]:
    """The case's stored fact row and the row computed now from the base tables, in one query (the
    observer runs it on every case event). Scopes are looked up only for a case without a stored row or
    one that moved to another organisation."""
    row = session.execute(_one_case_with_stored_statement(),
                          {"case_id": case_id, "scope_p": -1, "scope_c": -1}).one_or_none()
    if row is None:  # no such case (any fact left behind is removed)
        return load_fact(session, case_id), None
    n = len(Fact._fields)
    old = Fact(*row[n:]) if row[n] is not None else None
    if old is None or old.organisation_id != organisation_id:
        return old, compute_fact(session, case_id, organisation_id)
    return old, Fact(*row[:n])


def store_fact(session: Session, old: Fact | None, new: Fact | None) -> None:
    if new is None:
        if old is not None:
            session.execute(delete(RiskCaseFacts).where(RiskCaseFacts.case_id == old.case_id))
        return
    if old is None:
        session.execute(_FACTS.insert().values(new._asdict()))
        return
    changed = {k: v for k, v, was in zip(Fact._fields, new, old, strict=True) if v != was}
    if changed:  # only what moved: a narrower UPDATE, and none at all when nothing did
        session.execute(_FACTS.update().where(_FACTS.c.case_id == new.case_id).values(changed))


# --- deltas -------------------------------------------------------------------------------------------

#: ``session.info`` flag: the deltas this session records are folded by the workers' periodic fold (the
#: application's sessions on PostgreSQL); without it the session folds them itself after its commit.
FOLD_BY_WORKER = "mediation.risk.fold_by_worker"
_DATE_FIELDS = frozenset({"reported_on", "month", "week"})
_TIME_FIELDS = frozenset(f for f in Fact._fields if f.endswith("_at"))
_DELTAS = RiskFactDelta.__table__


def fact_to_json(f: Fact) -> list[Any]:
    return [v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for v in f]


def fact_from_json(values: Sequence[Any]) -> Fact:
    out: list[Any] = []
    for name, v in zip(Fact._fields, values, strict=True):
        if v is not None and name in _DATE_FIELDS:
            v = dt.date.fromisoformat(v)
        elif v is not None and name in _TIME_FIELDS:
            v = dt.datetime.fromisoformat(v)
        out.append(v)
    return Fact(*out)


def record_delta(session: Session, changes: Sequence[tuple[Fact, int]], *, kind: str = "fact",
                 case_id: int | None = None, enterprise_id: int | None = None) -> None:
    """One INSERT: ``changes`` (``(fact, ±1)``) to fold into the rollups and counters later (see
    :mod:`mediation.risk.fold`); folded after the commit by this session itself unless it is marked
    :data:`FOLD_BY_WORKER`."""
    session.execute(_DELTAS.insert().values(kind=kind, case_id=case_id, enterprise_id=enterprise_id,
                                            changes=[[sign, fact_to_json(f)] for f, sign in changes],
                                            created_at=dt.datetime.now(dt.UTC)))
    if not session.info.get(FOLD_BY_WORKER):
        from mediation.queue import after_commit
        from mediation.risk.fold import fold_all

        after_commit(session, "risk.fold", fold_all)


def apply_fact_change(session: Session, old: Fact | None, new: Fact | None) -> bool:
    """Store ``new`` in place of ``old`` and record the difference as a delta for the rollups and counters."""
    if old == new:
        return False
    changes = [(f, s) for f, s in ((old, -1), (new, 1)) if f is not None]
    case_id = (new or old).case_id  # type: ignore[union-attr]
    record_delta(session, changes, case_id=case_id)
    store_fact(session, old, new)
    return True


def refresh_case(session: Session, case_id: int, organisation_id: int) -> tuple[Fact | None, Fact | None]:
    """Recompute one case's facts from the base tables and propagate the change."""
    old, new = load_and_compute(session, case_id, organisation_id)
    apply_fact_change(session, old, new)
    return old, new


def relevel_enterprise(session: Session, enterprise_id: int, level: str, score: int) -> int:
    """The enterprise's warning level changed: its cases' facts take the new level, and a delta moves them between
    the level dimension's rollup rows and sets the level and score on its counters (when folded). Returns the
    number of cases moved."""
    facts = [f for f in load_facts(session, _FACTS.c.enterprise_id == enterprise_id) if f.level != level]
    changes: list[tuple[Fact, int]] = []
    for f in facts:
        changes += [(f, -1), (f._replace(level=level), 1)]
    if facts:
        session.execute(update(RiskCaseFacts).where(RiskCaseFacts.enterprise_id == enterprise_id)
                        .values(level=level))
    record_delta(session, changes, kind="level", enterprise_id=enterprise_id)
    return len(facts)


def record_counter_risk(session: Session, enterprise_id: int) -> None:
    """The enterprise's score changed (not its level): its counters take it when the delta is folded."""
    record_delta(session, [], kind="level", enterprise_id=enterprise_id)
