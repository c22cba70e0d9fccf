"""Pruning access records: login attempts, ended or expired browser sessions and revoked API tokens go after the
retention period; live sessions and tokens, recent rows and everything the throttle still counts stay; the
daily jobs and ``mediation user prune-access`` run it."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mediation.accounts import throttle
from mediation.accounts.housekeeping import cutoff_for, prune_access_records
from mediation.accounts.sessions import open_session
from mediation.accounts.tokens import issue_token
from mediation.cli.main import main
from mediation.db.models_access import ApiToken, LoginAttempt, UserAdminEvent, UserSession
from mediation.domain.clock import CHINA_TZ
from mediation.tasks.periodic import run_daily
from tests.factories import World, build_world

NOW = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _attempt(db: Session, at: dt.datetime, *, username: str = "clerk", ip: str = "203.0.113.1",
             success: bool = False) -> None:
    db.add(LoginAttempt(username=username, ip=ip, at=at, success=success))


def _session(db: Session, world: World, *, created: dt.datetime, hours: float = 12,
             revoked: dt.datetime | None = None) -> int:
    row, _ = open_session(db, user=world.clerk, lifetime=dt.timedelta(hours=hours), commit=False)
    row.created_at = row.last_seen_at = created
    row.expires_at = created + dt.timedelta(hours=hours)
    if revoked is not None:
        row.revoked_at, row.revoked_reason = revoked, "logout"
    db.flush()
    return row.id


def _token(db: Session, world: World, revoked: dt.datetime | None) -> int:
    row, _ = issue_token(db, user=world.mediator, name="t")
    row.revoked_at = revoked
    db.commit()
    return row.id


def _ids(db: Session, entity: type[UserSession] | type[ApiToken]) -> set[int]:
    db.expire_all()
    return set(db.scalars(select(entity.id)))


def test_old_records_go_and_live_or_recent_ones_stay(db: Session, world: World) -> None:
    retention = 30 * DAY
    db.execute(LoginAttempt.__table__.delete())
    _attempt(db, NOW - 31 * DAY)
    _attempt(db, NOW - 31 * DAY, success=True)
    _attempt(db, NOW - 29 * DAY)
    _attempt(db, NOW - dt.timedelta(minutes=1))
    old_logout = _session(db, world, created=NOW - 40 * DAY, revoked=NOW - 40 * DAY)
    old_expired = _session(db, world, created=NOW - 40 * DAY)
    recent_logout = _session(db, world, created=NOW - 2 * DAY, revoked=NOW - 2 * DAY)
    long_lived = _session(db, world, created=NOW - 40 * DAY, hours=24 * 60)  # still live: stays
    live = _session(db, world, created=NOW - dt.timedelta(hours=1))
    old_revoked = _token(db, world, NOW - 31 * DAY)
    recent_revoked = _token(db, world, NOW - DAY)
    active = _token(db, world, None)
    db.commit()
    audit_before = db.scalar(select(func.count()).select_from(UserAdminEvent))

    dry = prune_access_records(db, retention=retention, now=NOW, dry_run=True)
    assert (dry.login_attempts, dry.sessions, dry.tokens) == (2, 2, 1)
    assert "可清理" in dry.summary()
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == 4  # nothing deleted

    report = prune_access_records(db, retention=retention, now=NOW)
    assert (report.login_attempts, report.sessions, report.tokens) == (2, 2, 1)
    assert report.cutoff == NOW - retention and "已清理" in report.summary()
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == 2
    assert db.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.success.is_(True))) == 0
    sessions = _ids(db, UserSession)
    assert {recent_logout, long_lived, live} <= sessions and not {old_logout, old_expired} & sessions
    tokens = _ids(db, ApiToken)
    assert {recent_revoked, active} <= tokens and old_revoked not in tokens
    # the audit is never pruned
    assert db.scalar(select(func.count()).select_from(UserAdminEvent)) == audit_before
    # again: nothing more to do
    again = prune_access_records(db, retention=retention, now=NOW)
    assert (again.login_attempts, again.sessions, again.tokens) == (0, 0, 0)


def test_retention_has_a_floor_and_the_cutoff_never_reaches_into_the_throttle_window() -> None:
    with pytest.raises(ValueError, match="保留期"):
        cutoff_for(dt.timedelta(hours=23), NOW)
    assert cutoff_for(DAY, NOW) <= NOW - throttle.WINDOW
    assert cutoff_for(400 * DAY, NOW) == NOW - 400 * DAY


def test_pruning_changes_no_throttle_answer(db: Session, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random attempts over two days by a few clients on a few accounts: every client's wait for every
    account is the same before and after pruning with the shortest retention there is (and a window as long as
    the retention: what the throttle looks at is kept however the constants are set)."""
    rng = random.Random(20261205)
    db.execute(LoginAttempt.__table__.delete())
    users, ips = ["clerk", "mediator", "ghost"], ["203.0.113.1", "203.0.113.2", "198.51.100.3"]
    for _ in range(400):
        at = NOW - dt.timedelta(seconds=rng.randrange(0, 2 * 86400))
        _attempt(db, at, username=rng.choice(users), ip=rng.choice(ips), success=rng.random() < 0.15)
    for i in range(30):  # a burst right now
        _attempt(db, NOW - dt.timedelta(seconds=i * 20), username="mediator", ip="203.0.113.2")
    db.commit()
    pruned = []
    for window in (throttle.WINDOW, DAY):
        monkeypatch.setattr(throttle, "WINDOW", window)

        def answers() -> dict[tuple[str, str], dt.timedelta]:
            return {(u, ip): throttle.wait_needed(db, username=u, ip=ip, now=NOW) for u in users for ip in ips}

        before = answers()
        assert any(w > dt.timedelta(0) for w in before.values())
        report = prune_access_records(db, retention=DAY, now=NOW)
        assert answers() == before
        assert report.cutoff == NOW - DAY
        pruned.append(report.login_attempts)
    assert pruned[0] > 100 and pruned[1] == 0


def test_the_daily_jobs_and_the_command_prune(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("MEDIATION_ACCESS_RETENTION_DAYS", "10")
    now = dt.datetime.now(dt.UTC)
    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s)
        for days in (11, 12, 3):
            _attempt(s, now - days * DAY)
        _session(s, world, created=now - 20 * DAY, revoked=now - 20 * DAY)
        s.commit()

    def factory() -> Session:
        return Session(committing_engine, expire_on_commit=False)

    results = {r.job: r for r in run_daily(factory, now.astimezone(CHINA_TZ))}
    assert results["清理过期登录记录"].ok, results
    assert "登录尝试2条" in results["清理过期登录记录"].summary
    assert "浏览器会话1个" in results["清理过期登录记录"].summary
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 1
        _attempt(s, now - 5 * DAY)
        s.commit()
    r = CliRunner().invoke(main, ["user", "prune-access", "--days", "4", "--dry-run"], catch_exceptions=False)
    assert r.exit_code == 0 and "可清理" in r.output and "登录尝试1条" in r.output, r.output
    r = CliRunner().invoke(main, ["user", "prune-access", "--days", "4"], catch_exceptions=False)
    assert r.exit_code == 0 and "登录尝试1条" in r.output, r.output
    r = CliRunner().invoke(main, ["user", "prune-access", "--days", "0"])
    assert r.exit_code == 2 and "--days" in r.output
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 1
