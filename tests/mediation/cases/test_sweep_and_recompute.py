"""The deadline sweep (idempotent) and the audited recompute after loading a holiday schedule."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.cases.calendar_admin import load_year
from mediation.cases.sweep import recompute_deadlines, run_sweep
from mediation.db.models import Case, CaseEvent, DeadlineChange
from mediation.runtime.env import ServiceEnv, invalidate_calendar_cache
from tests.factories import World, build_world, drive, new_case

TODAY = dt.date(2025, 10, 20)


@pytest.fixture
def world(db: Session, env: ServiceEnv) -> World:
    return build_world(db, env=env)


def _factory(db: Session):  # the sweep opens sessions; in tests they all share the test transaction
    class _Ctx:
        def __enter__(self) -> Session:
            return db

        def __exit__(self, *exc: object) -> None:
            return None

    return _Ctx


def test_sweep_lapses_day_15_and_is_idempotent(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    env = world.env
    # day 15 itself is still within the period
    r = run_sweep(_factory(db), today=dt.date(2025, 11, 4), env=env)
    assert r.lapsed == [] and r.due_today >= 1
    db.expire_all()
    assert db.get(Case, case.id).status == "mediating"  # type: ignore[union-attr]
    r = run_sweep(_factory(db), today=dt.date(2025, 11, 5), env=env)
    assert r.lapsed == [case.id]
    db.expire_all()
    case = db.get(Case, case.id)
    assert case is not None and case.status == "lapsed"
    assert {d.kind: d.status for d in case.deadlines}["mediation_end"] == "overdue"
    events = [e.event for e in case.events]
    assert "lapse" in events
    # The art. 14(3) date passed too, but it is a milestone (the right to arbitrate arises), never overdue.
    assert "deadline_overdue" not in events
    assert {d.kind: d.status for d in case.deadlines}["arbitration_right"] == "open"
    again = run_sweep(_factory(db), today=dt.date(2025, 11, 5), env=env)
    assert again.lapsed == [] and again.overdue_marked == 0
    # the lapsed case offers termination and referral
    from mediation.cases.service import available_events

    opts = {o.event for o in available_events(db, case=case, actor=world.actor(world.mediator), today=TODAY, env=env)}
    assert {"terminate", "refer"} <= opts


SCHEDULE_2027 = {
    "year": 2027,
    "source": "测试用2027年节假日安排",
    "holidays": ["2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09",
                 "2027-02-10", "2027-02-11", "2027-02-12"],
    "workdays": ["2027-02-14"],
}


def test_loading_next_years_schedule_recomputes_with_audit(db: Session, world: World) -> None:
    day = dt.date(2026, 12, 28)
    case = new_case(db, world, day, dispute_arose_on="2026-12-01", received_on="2026-12-28")
    lim = next(d for d in case.deadlines if d.kind == "limitation" and d.status == "open")
    assert lim.provisional  # 2027 has no holiday data yet
    acceptance = next(d for d in case.deadlines if d.kind == "acceptance")
    assert acceptance.due_on == dt.date(2026, 12, 31)
    load_year(db, SCHEDULE_2027)
    invalidate_calendar_cache()
    report = recompute_deadlines(db, reason="载入2027年节假日安排", env=world.env)
    assert report.changed >= 1 and case.id in report.cases
    db.expire_all()
    lim = next(d for d in db.get(Case, case.id).deadlines if d.kind == "limitation" and d.status == "open")  # type: ignore[union-attr]
    assert not lim.provisional
    changes = db.scalars(select(DeadlineChange).where(DeadlineChange.batch == report.batch)).all()
    assert changes and all(c.reason == "载入2027年节假日安排" for c in changes)
    ev = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())).first()
    assert ev is not None and ev.event == "deadlines_recomputed" and ev.to_state == "applied"
    # running it again changes nothing
    assert recompute_deadlines(db, reason="再次重算", env=world.env).changed == 0


def test_bad_schedule_is_refused(db: Session) -> None:
    with pytest.raises(ValueError, match="来源"):
        load_year(db, {"year": 2027, "holidays": ["2027-01-01"]})
    with pytest.raises(ValueError, match="不属于2027年"):
        load_year(db, {"year": 2027, "source": "x", "holidays": ["2028-01-01"]})
