"""The queue: a job deferred in a unit of work exists exactly when the unit commits (PostgreSQL: procrastinate
through the session's own connection); a queueing lock refuses a duplicate without spoiling the transaction;
SQLite runs the job inline in the caller's session; a worker runs a job, retries it with backoff and records
the last failure; the daily claim and the alerts' unique key make duplicates impossible."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from mediation.db.models_ops import ConfigVersion, PeriodicRun
from mediation.db.models_risk import RiskAlert
from mediation.db.uow import unit_of_work
from mediation.queue import InlineQueue, PostgresQueue, conninfo
from mediation.risk import alerts
from mediation.risk.rules import default_rules
from mediation.tasks.periodic import claim
from mediation.tasks.worker import UnitTask, build_app
from tests.factories import build_world

pg = pytest.mark.postgres_only


def _jobs(engine: Engine, task: str) -> list[tuple[Any, ...]]:
    with engine.connect() as c:
        return list(c.execute(text("SELECT id, status, args, attempts FROM procrastinate_jobs WHERE task_name = :t "
                                   "ORDER BY id"), {"t": task}))


@pg
def test_a_job_is_queued_with_the_commit_and_never_after_a_rollback(committing_engine: Engine) -> None:
    q = PostgresQueue()
    with Session(committing_engine) as s:
        s.add(ConfigVersion(name="x", version=1))
        job_id = q.defer(s, "t.kept", n=1)
        assert job_id is not None
        s.commit()
    with Session(committing_engine) as s:
        s.add(ConfigVersion(name="y", version=1))
        q.defer(s, "t.dropped", n=2)
        s.rollback()
    assert [(r[0], r[1], r[2]) for r in _jobs(committing_engine, "t.kept")] == [(job_id, "todo", {"n": 1})]
    assert _jobs(committing_engine, "t.dropped") == []


@pg
def test_a_queueing_lock_refuses_a_duplicate_and_the_transaction_goes_on(committing_engine: Engine) -> None:
    q = PostgresQueue()
    with Session(committing_engine) as s:
        assert q.defer(s, "t.locked", queueing_lock="only-one") is not None
        assert q.defer(s, "t.locked", queueing_lock="only-one") is None
        s.add(ConfigVersion(name="z", version=1))
        s.commit()
    assert len(_jobs(committing_engine, "t.locked")) == 1
    with Session(committing_engine) as s:
        assert s.get(ConfigVersion, "z") is not None


def test_sqlite_and_the_demo_run_jobs_inline_after_the_commit_in_the_callers_session(db: Session) -> None:
    seen: list[tuple[Session, int, bool]] = []
    failed: list[tuple[str, int]] = []

    def handler(session: Session, n: int) -> None:
        # runs after the unit's commit: the row the unit wrote is there, and the job writes in a unit of its own
        seen.append((session, n, session.get(ConfigVersion, "inline") is not None))
        if n == 5:
            session.add(ConfigVersion(name="half-written", version=1))
            raise RuntimeError("render failed")

    def on_failure(session: Session, exc: BaseException, n: int) -> None:
        failed.append((str(exc), n))

    q = InlineQueue({"t.inline": handler}, {"t.inline": on_failure})
    with unit_of_work(db):
        db.add(ConfigVersion(name="inline", version=1))
        assert q.defer(db, "t.inline", n=3) is None
        assert q.defer(db, "t.inline", n=3) is None  # the same job twice in one unit runs once
        assert q.defer(db, "t.inline", n=5) is None
        assert seen == []  # nothing runs inside the unit
    assert seen == [(db, 3, True), (db, 5, True)]
    assert failed == [("render failed", 5)] and db.get(ConfigVersion, "half-written") is None

    seen.clear()
    with pytest.raises(ValueError), unit_of_work(db):
        q.defer(db, "t.inline", n=4)
        raise ValueError("the unit fails")
    with unit_of_work(db):
        pass
    assert seen == []  # a job of a unit rolled back never runs, not even after a later commit
    with pytest.raises(LookupError):
        q.defer(db, "t.unknown")


def _drain(app: Any) -> None:
    async def run() -> None:
        async with app.open_async():
            await app.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)

    asyncio.run(run())


@pg
def test_a_worker_runs_a_job_in_its_own_committed_session(committing_engine: Engine) -> None:
    def handler(session: Session, name: str) -> None:
        session.add(ConfigVersion(name=name, version=7))

    factory = lambda: Session(committing_engine, expire_on_commit=False)  # noqa: E731
    app = build_app(factory, conninfo=conninfo(committing_engine.url.render_as_string(hide_password=False)),
                    tasks={"t.write": UnitTask(handler)}, periodic=False)
    with Session(committing_engine) as s:
        PostgresQueue().defer(s, "t.write", name="from-job")
        s.commit()
    _drain(app)
    with Session(committing_engine) as s:
        assert s.get(ConfigVersion, "from-job").version == 7  # type: ignore[union-attr]
    assert [r[1] for r in _jobs(committing_engine, "t.write")] == ["succeeded"]


@pg
def test_a_failing_job_is_retried_and_its_last_failure_recorded(committing_engine: Engine) -> None:
    calls: list[int] = []

    def handler(session: Session) -> None:
        session.add(ConfigVersion(name=f"partial{len(calls)}", version=1))  # rolled back with the failure
        calls.append(1)
        raise RuntimeError("渲染失败")

    def on_failure(session: Session, exc: BaseException) -> None:
        session.add(ConfigVersion(name="failed", version=len(calls)))

    factory = lambda: Session(committing_engine, expire_on_commit=False)  # noqa: E731
    app = build_app(factory, conninfo=conninfo(committing_engine.url.render_as_string(hide_password=False)),
                    tasks={"t.fail": UnitTask(handler, retries=2, wait=0, on_failure=on_failure)}, periodic=False)
    with Session(committing_engine) as s:
        PostgresQueue().defer(s, "t.fail")
        s.commit()
    for _ in range(3):
        _drain(app)
    assert len(calls) == 3  # the first attempt and two retries
    with Session(committing_engine) as s:
        assert s.get(ConfigVersion, "failed").version == 3  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(ConfigVersion).where(ConfigVersion.name.like("partial%"))) == 0
    assert [(r[1], r[3]) for r in _jobs(committing_engine, "t.fail")] == [("failed", 3)]


def test_a_daily_claim_is_taken_once_and_a_retry_of_the_same_job_takes_it_again(committing_engine: Engine) -> None:
    factory = lambda: Session(committing_engine, expire_on_commit=False)  # noqa: E731
    now = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    assert claim(factory, "daily", "2026-11-26", job_id=10, now=now)
    assert not claim(factory, "daily", "2026-11-26", job_id=11, now=now)
    assert claim(factory, "daily", "2026-11-26", job_id=10, now=now)  # procrastinate retrying job 10
    # a claim left unfinished by a dead run is taken over after a while
    assert claim(factory, "daily", "2026-11-26", job_id=12, now=now + dt.timedelta(hours=3))
    with factory() as s:
        assert s.get(PeriodicRun, ("daily", "2026-11-26")).job_id == 12  # type: ignore[union-attr]


def test_the_same_alert_is_never_raised_twice(db: Session) -> None:
    world = build_world(db)
    ent = world.enterprise
    at = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    from mediation.risk.rules import assess

    a = assess(default_rules(), {})
    kw = dict(enterprise_id=ent.id, organisation_id=world.township.id, level="red", previous_level="yellow",
              assessment=a, features={}, at=at, rules=default_rules())
    first = alerts.raise_level_alert(db, **kw)  # type: ignore[arg-type]
    again = alerts.raise_level_alert(db, **kw)  # type: ignore[arg-type]
    assert first is not None and again is None
    assert db.scalar(select(func.count()).select_from(RiskAlert).where(RiskAlert.enterprise_id == ent.id)) == 1
    # the next day, the same rise is a new alert
    assert alerts.raise_level_alert(db, **{**kw, "at": at + dt.timedelta(days=1)}) is not None  # type: ignore[arg-type]
