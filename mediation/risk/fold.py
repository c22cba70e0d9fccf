"""The fold: risk fact deltas into the rollups and counters.

A case event's unit of work stores its case's fact row and inserts one delta (:func:`mediation.risk.facts.
record_delta`); it never touches the rollup and counter rows a whole province and month share. The fold reads
the waiting deltas (oldest first, a batch at a time), sums them per key — one upsert per rollup key and per
counter, in key order —, sets the counters' warning level and score of the enterprises whose level or score
moved, and deletes the deltas it applied, **in the same transaction**: a delta is counted exactly once, however
many workers fold, in whatever order the deltas come, and whether a fold is killed half-way (rolled back, the
deltas are still there) or retried.

On PostgreSQL one fold runs at a time (a transaction-level advisory lock: a second worker finds it taken and
skips its turn); the workers fold every second (:func:`mediation.tasks.worker.fold_loop`). On SQLite, and for
every session not marked :data:`mediation.risk.facts.FOLD_BY_WORKER`, the session folds after its own commit
(:func:`fold_all`), so the demo's dashboard is exact when the request returns.

Freshness: the rollups include every change made before the oldest waiting delta (:func:`fresh_as_of`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from mediation.db.models_risk import EnterpriseRisk, EnterpriseScopeStats, RiskFactDelta
from mediation.risk.facts import LEVEL_DIMS, Fact, fact_from_json
from mediation.risk.rollups import apply_counter_delta, apply_rollup_delta

#: The advisory lock of the fold (PostgreSQL): ``hashtext('mediation.risk.fold')`` would do as well; a constant
#: is plainer to find in ``pg_locks``.
FOLD_LOCK = 7_340_129_001
BATCH = 2000
_DELTAS = RiskFactDelta.__table__


def lock(session: Session, *, wait: bool) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # one writer at a time anyway
    if wait:
        session.execute(select(func.pg_advisory_xact_lock(FOLD_LOCK)))
        return True
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(FOLD_LOCK))))


def fold(session: Session, *, limit: int = BATCH, wait: bool = False) -> int:
    """Fold up to ``limit`` waiting deltas (oldest first) into the rollups and counters, in the caller's
    transaction (the caller commits). Returns how many were folded: 0 when none wait, or when another fold holds
    the lock and ``wait`` is false."""
    if not lock(session, wait=wait):
        return 0
    rows = session.execute(select(_DELTAS.c.id, _DELTAS.c.kind, _DELTAS.c.enterprise_id, _DELTAS.c.changes)
                           .order_by(_DELTAS.c.id).limit(limit)).all()
    if not rows:
        return 0
    apply_deltas(session, [(r.kind, r.enterprise_id, r.changes) for r in rows])
    ids = [r.id for r in rows]
    for i in range(0, len(ids), 500):
        session.execute(delete(_DELTAS).where(_DELTAS.c.id.in_(ids[i:i + 500])))
    return len(ids)


def apply_deltas(session: Session, deltas: Sequence[tuple[str, int | None, Sequence[Any]]]) -> None:
    """Add ``(kind, enterprise_id, changes)`` deltas to the rollups and counters: summed per key first."""
    everything: list[tuple[Fact, int]] = []
    levels: list[tuple[Fact, int]] = []
    relevelled: set[int] = set()
    for kind, enterprise_id, changes in deltas:
        decoded = [(fact_from_json(f), int(sign)) for sign, f in changes]
        if kind == "level":
            levels += decoded
            if enterprise_id is not None:
                relevelled.add(enterprise_id)
        else:
            everything += decoded
    if everything:
        apply_rollup_delta(session, everything)
        apply_counter_delta(session, everything)
    if levels:
        apply_rollup_delta(session, levels, LEVEL_DIMS)
    if relevelled:
        risk = session.execute(select(EnterpriseRisk.enterprise_id, EnterpriseRisk.level, EnterpriseRisk.score)
                               .where(EnterpriseRisk.enterprise_id.in_(sorted(relevelled)))).all()
        for enterprise_id, level, score in sorted(risk):
            session.execute(update(EnterpriseScopeStats).where(EnterpriseScopeStats.enterprise_id == enterprise_id)
                            .values(risk_level=level, risk_score=score))


def fold_all(session: Session, *, wait: bool = True) -> int:
    """Fold every waiting delta, a batch at a time, in the caller's transaction (the inline fold after a commit,
    ``mediation risk fold``, ``verify``)."""
    total = 0
    while n := fold(session, wait=wait):
        total += n
        if n < BATCH:
            break
    return total


def pending(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(_DELTAS)) or 0


def fresh_as_of(session: Session, now: dt.datetime | None = None) -> dt.datetime:
    """The instant up to which the rollups hold every change: now when no delta waits, else when the oldest
    waiting delta was written."""
    oldest = session.scalar(select(func.min(_DELTAS.c.created_at)))
    now = now or dt.datetime.now(dt.UTC)
    if oldest is None:
        return now
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    return min(oldest, now)


__all__ = ["BATCH", "FOLD_LOCK", "apply_deltas", "fold", "fold_all", "fresh_as_of", "lock", "pending"]
