"""The risk fold: a case event writes its own fact row and one delta — no rollup or counter row shared with other
cases —; the fold adds the deltas to the rollups and counters and deletes them in the same transaction, once; one
fold runs at a time; the dashboard says how fresh its figures are."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from mediation.db.models_risk import EnterpriseScopeStats, RiskFactDelta, RiskRollup
from mediation.risk import facts, fold, maintenance
from tests.factories import World, build_world, drive, new_case, standard_env
from tests.helpers import TODAY


def _rollup_total(db: Session) -> tuple[int, int]:
    return (db.scalar(select(func.coalesce(func.sum(RiskRollup.cases), 0))) or 0,
            db.scalar(select(func.coalesce(func.sum(EnterpriseScopeStats.open_cases), 0))) or 0)


def test_an_event_writes_one_delta_and_no_shared_row_until_the_fold(db: Session, world: World) -> None:
    db.info[facts.FOLD_BY_WORKER] = True  # as the application's sessions on PostgreSQL
    try:
        before = _rollup_total(db)
        case = new_case(db, world, TODAY)
        deltas = db.scalars(select(RiskFactDelta).order_by(RiskFactDelta.id)).all()
        # the case's facts, and the enterprise's new score (its case indicators changed): inserts, nothing shared
        assert sorted((d.kind, d.case_id, d.enterprise_id) for d in deltas) == [
            ("fact", case.id, None), ("level", None, world.enterprise.id)]
        assert _rollup_total(db) == before  # nothing shared was written
        waiting_since = min(d.created_at for d in deltas)
        assert fold.fresh_as_of(db) == waiting_since

        drive(db, world, case, TODAY, "accept")
        assert fold.pending(db) >= 2 and _rollup_total(db) == before

        n = fold.fold_all(db)
        db.commit()
        assert n >= 2 and fold.pending(db) == 0
        cases, open_cases = _rollup_total(db)
        assert cases > before[0] and open_cases == before[1] + 2  # the installation's scope and the city's
        assert fold.fold_all(db) == 0 and _rollup_total(db) == (cases, open_cases)  # folding again: no change
        now = dt.datetime.now(dt.UTC)
        assert abs((fold.fresh_as_of(db, now) - now).total_seconds()) < 1e-6  # nothing waits: fresh now
        report = maintenance.verify(db)
        assert report.ok and report.deltas_folded == 0, report.text()
    finally:
        db.info.pop(facts.FOLD_BY_WORKER, None)


def test_by_default_the_session_folds_after_its_commit(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    drive(db, world, case, TODAY, "accept", "record_session")
    assert fold.pending(db) == 0  # each unit folded its delta once committed
    report = maintenance.verify(db)
    assert report.ok and report.deltas_folded == 0, report.text()


def test_verify_counts_waiting_deltas_and_rebuild_supersedes_them(db: Session, world: World) -> None:
    db.info[facts.FOLD_BY_WORKER] = True
    try:
        drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
        waiting = fold.pending(db)
        nested = db.begin_nested()
        report = maintenance.verify(db)
        nested.rollback()
        assert report.ok and report.deltas_folded == waiting > 0 and "尚未汇总" in report.text()
        assert fold.pending(db) == waiting  # the check changed nothing
        maintenance.rebuild(db, commit=False)
        assert fold.pending(db) == 0
        assert maintenance.verify(db).ok
    finally:
        db.info.pop(facts.FOLD_BY_WORKER, None)


pg = pytest.mark.postgres_only


@pg
def test_transitions_in_one_province_and_month_no_longer_wait_for_each_other(committing_engine: Engine) -> None:
    """The deadlock's root cause is gone: two events of two cases in the same rollup rows run side by side
    (each holds only its case's rows); before, the second waited for the first's rollup row locks."""
    with Session(committing_engine) as s:
        world = build_world(s, "_par")
        world.env = standard_env(s)
        a, b = new_case(s, world, TODAY), new_case(s, world, TODAY)
        s.commit()
        ids, org_id = (a.id, b.id), world.township.id
    sessions = [Session(committing_engine, info={facts.FOLD_BY_WORKER: True}) for _ in ids]
    try:
        for s, case_id in zip(sessions, ids, strict=True):
            s.execute(text("SET LOCAL lock_timeout = '2s'"))
            old, new = facts.load_and_compute(s, case_id, org_id)
            # the same change the observer records (the second session would block on the first's rollup rows)
            assert new is not None
            facts.apply_fact_change(s, old, new._replace(is_open=not new.is_open))
        for s in sessions:
            s.commit()
    finally:
        for s in sessions:
            s.close()
    with Session(committing_engine) as s:
        assert fold.pending(s) == 2


@pg
def test_one_fold_at_a_time_a_second_worker_skips_its_turn(committing_engine: Engine) -> None:
    with Session(committing_engine) as s:
        world = build_world(s, "_fold")
        s.info[facts.FOLD_BY_WORKER] = True
        world.env = standard_env(s)
        new_case(s, world, TODAY)
        s.commit()
        waiting = fold.pending(s)
        assert waiting >= 1
    holder = Session(committing_engine)
    try:
        assert fold.fold(holder) == waiting  # holds the lock until it commits
        other: list[int] = []
        t = threading.Thread(target=lambda: other.append(_fold_in_own_session(committing_engine)))
        t.start()
        t.join(10)
        assert other == [0]  # the lock was taken: skipped, nothing folded twice
        holder.commit()
    finally:
        holder.close()
    with Session(committing_engine) as s:
        assert fold.pending(s) == 0
        assert maintenance.verify(s).ok


def _fold_in_own_session(engine: Engine) -> int:
    with Session(engine) as s:
        n = fold.fold(s)
        s.commit()
        return n
