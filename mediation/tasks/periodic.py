"""The periodic jobs: the deadline sweep every 15 minutes, the daily jobs once per China date after 01:30.

Deadlines are database rows, never timers: something has to look at them. The **deadline sweep** records due
and overdue deadlines and lapses mediation on day 15 (safe to run repeatedly and concurrently). Once a day,
after a set hour (China time), the **daily jobs** run: the sweep for the new day, then the risk **rescore**
(signals that have left the scoring window stop counting, so a level can fall without any new event), then the
**pruning** of login attempts, ended sessions and revoked tokens past their retention.

On PostgreSQL both are procrastinate periodic tasks (:mod:`mediation.tasks.worker`): every worker of every
node runs procrastinate's periodic deferrer, and the database defers each tick once (``procrastinate_periodic_
defers`` is unique per task and tick). The daily jobs are checked every 15 minutes too, and run when the day's
**claim** (``periodic_runs``: name × China date, a primary key) is taken: once per day however many workers
are up, caught up at the next tick after a node was down at 01:30. On SQLite (the one-process demo),
:class:`PeriodicRunner` runs the same functions in a thread of ``mediation worker``.
"""

from __future__ import annotations

import datetime as dt
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediation.db.models_ops import PeriodicRun
from mediation.db.uow import unit_of_work
from mediation.domain.clock import CHINA_TZ

SessionFactory = Callable[[], Session]
#: ``job(session_factory, now)`` → a one-line summary; raises on failure.
Job = Callable[[SessionFactory, dt.datetime], str]

SWEEP_EVERY = dt.timedelta(minutes=15)
DAILY_AT = dt.time(1, 30)
#: A claim whose job neither finished nor was retried for this long was left by a dead run: taken over.
STALE_CLAIM = dt.timedelta(hours=2)
JOB_NAMES: dict[str, str] = {"sweep": "期限检查", "rescore": "风险重新评估", "daily": "每日任务",
                             "prune_access": "清理过期登录记录", "notify": "通知提醒"}


@dataclass(frozen=True)
class JobResult:
    job: str
    at: dt.datetime
    ok: bool
    summary: str

    def line(self) -> str:
        status = "完成" if self.ok else "失败"
        return f"[{self.at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S}] {self.job}{status}：{self.summary}"


def sweep_job(session_factory: SessionFactory, now: dt.datetime) -> str:
    """The sweep, with the services' environment of the process (the observers keep the risk tables in step)."""
    from mediation.cases.sweep import run_sweep
    from mediation.runtime.settings import Settings
    from mediation.wiring import env_factory

    with session_factory() as s:
        env = env_factory(Settings.from_env())(s)
    report = run_sweep(session_factory, env=env, today=now.astimezone(CHINA_TZ).date())
    if report.errors:
        raise RuntimeError(report.summary() + "；" + "；".join(report.errors[:5]))
    return report.summary()


def notify_job(session_factory: SessionFactory, now: dt.datetime) -> str:
    """The reminders due at ``now`` (each once per recipient and occasion, however many workers run), then the
    delivery of every message whose time has come (quiet hours over, a retry's backoff elapsed)."""
    from mediation.blobs import store_from_spec
    from mediation.notify import NotifySettings, deliverer_for, notifier_for
    from mediation.notify import notify_job as run_notify
    from mediation.runtime.settings import Settings
    from mediation.wiring import job_queue

    settings, notify = Settings.from_env(), NotifySettings.from_env()
    blobs = store_from_spec(settings.blob_store, endpoint_url=settings.s3_endpoint_url)
    queue = job_queue(settings, blobs, notify=notify)
    return run_notify(session_factory, notifier_for(notify, queue, clock=lambda: now),
                      deliverer_for(notify, blobs=blobs, queue=queue, clock=lambda: now))


def rescore_job(session_factory: SessionFactory, now: dt.datetime) -> str:
    """Every enterprise re-assessed, committed batch by batch."""
    from mediation.risk import scoring

    with session_factory() as s, unit_of_work(s):
        summary = scoring.rescore_all(s, at=now, reason="rescore", commit=s.commit)
    return summary.text()


def prune_access_job(session_factory: SessionFactory, now: dt.datetime) -> str:
    """Login attempts, ended or expired sessions and revoked tokens older than the settings' retention."""
    from mediation.accounts.housekeeping import prune_access_records
    from mediation.runtime.settings import Settings

    days = Settings.from_env().access_retention_days
    with session_factory() as s:
        return prune_access_records(s, retention=dt.timedelta(days=days), now=now).summary()


DAILY: tuple[tuple[str, Job], ...] = (("sweep", sweep_job), ("rescore", rescore_job),
                                      ("prune_access", prune_access_job))


def run_job(name: str, job: Job, session_factory: SessionFactory, now: dt.datetime) -> JobResult:
    try:
        return JobResult(JOB_NAMES.get(name, name), now, True, job(session_factory, now))
    except Exception as exc:  # a failed job is reported; the others still run
        detail = "".join(traceback.format_exception_only(exc)).strip()
        return JobResult(JOB_NAMES.get(name, name), now, False, detail)


def run_daily(session_factory: SessionFactory, now: dt.datetime | None = None) -> list[JobResult]:
    """The daily jobs once, unconditionally (``mediation daily``, e.g. from cron)."""
    now = now or dt.datetime.now(dt.UTC)
    return [run_job(name, job, session_factory, now) for name, job in DAILY]


# --- claims -----------------------------------------------------------------------------------------------


def claim(session_factory: SessionFactory, name: str, period: str, *, job_id: int | None, now: dt.datetime,
          stale_after: dt.timedelta = STALE_CLAIM) -> bool:
    """Take ``name`` for ``period`` (committed at once). True for the first claimant, for a retry of the same
    queue job, and for whoever comes after a claim left unfinished for ``stale_after``."""
    with session_factory() as s:
        try:
            s.add(PeriodicRun(name=name, period=period, job_id=job_id, started_at=now))
            s.commit()
            return True
        except IntegrityError:
            s.rollback()
        row = s.scalars(select(PeriodicRun).where(PeriodicRun.name == name, PeriodicRun.period == period)
                        .with_for_update()).one()
        if row.finished_at is not None:
            s.rollback()
            return False
        if (job_id is not None and row.job_id == job_id) or now - row.started_at >= stale_after:
            row.job_id, row.started_at = job_id, now
            s.commit()
            return True
        s.rollback()
        return False


def finish(session_factory: SessionFactory, name: str, period: str, summary: str, now: dt.datetime) -> None:
    with session_factory() as s:
        s.execute(update(PeriodicRun).where(PeriodicRun.name == name, PeriodicRun.period == period)
                  .values(finished_at=now, summary=summary[:2000]))
        s.commit()


def daily_due(now: dt.datetime, daily_at: dt.time = DAILY_AT) -> str | None:
    """The China date whose daily jobs may run at ``now`` (``None`` before the hour)."""
    local = now.astimezone(CHINA_TZ)
    return local.date().isoformat() if local.time() >= daily_at else None


def daily_job(session_factory: SessionFactory, now: dt.datetime, *, job_id: int | None = None,
              daily_at: dt.time = DAILY_AT) -> str:
    """The daily jobs if they are due today and nobody ran them yet (the claim decides); else a no-op."""
    day = daily_due(now, daily_at)
    if day is None:
        return f"未到每日任务时刻（{daily_at:%H:%M}）"
    if not claim(session_factory, "daily", day, job_id=job_id, now=now):
        return f"{day}的每日任务已由其他进程运行"
    results = run_daily(session_factory, now)
    summary = "；".join(r.line() for r in results)
    failed = [r for r in results if not r.ok]
    if failed:  # the claim stays open: the queue's retry (same job) takes it up again
        raise RuntimeError(summary)
    finish(session_factory, "daily", day, summary, dt.datetime.now(dt.UTC))
    return summary


# --- the in-process runner (SQLite demo) ------------------------------------------------------------------


@dataclass
class PeriodicRunner:
    """Runs the periodic jobs in a loop: the sweep every ``sweep_every``, the daily check as often (the claim
    makes it once a day). For the one-process SQLite demo; PostgreSQL uses procrastinate's periodic tasks."""

    session_factory: SessionFactory
    sweep_every: dt.timedelta = SWEEP_EVERY
    daily_at: dt.time = DAILY_AT
    last_run: dt.datetime | None = None
    jobs: dict[str, Job] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.sweep_every <= dt.timedelta(0):
            raise ValueError("sweep_every must be positive")
        if not self.jobs:
            daily_at = self.daily_at
            self.jobs = {"sweep": sweep_job,
                         "daily": lambda f, now: daily_job(f, now, daily_at=daily_at),
                         "notify": notify_job}

    def tick(self, now: dt.datetime) -> list[JobResult]:
        if self.last_run is not None and now - self.last_run < self.sweep_every:
            return []
        self.last_run = now
        return [run_job(name, job, self.session_factory, now) for name, job in self.jobs.items()]

    def serve(self, stop: threading.Event, *, report: Callable[[JobResult], None],
              clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC), poll: float = 30.0) -> None:
        while not stop.is_set():
            for result in self.tick(clock()):
                report(result)
            stop.wait(poll)
