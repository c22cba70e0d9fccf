"""Recurring jobs and the scheduler that runs them.

Deadlines are database rows, never timers: something has to look at them. The **deadline sweep** runs every
few minutes (it records due and overdue deadlines and lapses mediation on day 15; safe to run repeatedly
and concurrently), and once a day, after a set hour (China time), the **daily jobs** run: the sweep for the
new day, then the risk **rescore** (signals that have left the scoring window stop counting, so a level can
fall without any new event).

``mediation scheduler`` runs :class:`Scheduler` in a loop (one per installation is enough; two are harmless:
both jobs are idempotent). ``mediation daily`` runs the daily jobs once, for installations that prefer cron.
One job failing is reported and does not stop the others or the loop.
"""

from __future__ import annotations

import datetime as dt
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from sqlalchemy.orm import Session

from mediation.cli.common import engine
from mediation.cli.common import env_factory as cli_env_factory
from mediation.db.uow import unit_of_work
from mediation.domain.clock import CHINA_TZ
from mediation.runtime.env import EnvFactory

SessionFactory = Callable[[], Session]
Job = Callable[[SessionFactory, dt.datetime], str]


@dataclass(frozen=True)
class JobResult:
    job: str
    at: dt.datetime
    ok: bool
    summary: str

    def line(self) -> str:
        status = "完成" if self.ok else "失败"
        return f"[{self.at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S}] {self.job}{status}：{self.summary}"


def sweep_job(env_factory: EnvFactory) -> Job:
    """The sweep, run with the services' environment (the observers keep the risk tables in step)."""

    def sweep(session_factory: SessionFactory, now: dt.datetime) -> str:
        from mediation.cases.sweep import run_sweep

        with session_factory() as s:
            env = env_factory(s)
        report = run_sweep(session_factory, env=env, today=now.astimezone(CHINA_TZ).date())
        if report.errors:
            raise RuntimeError(report.summary() + "；" + "；".join(report.errors[:5]))
        return report.summary()

    return sweep


def rescore_job(session_factory: SessionFactory, now: dt.datetime) -> str:
    from mediation.db import registry  # noqa: F401  (every model mapped)
    from mediation.risk import scoring

    with session_factory() as s:
        with unit_of_work(s):
            summary = scoring.rescore_all(s, at=now, reason="rescore")
    return summary.text()


JOB_NAMES: dict[str, str] = {"sweep": "期限检查", "rescore": "风险重新评估"}


def daily_jobs(env_factory: EnvFactory | None = None) -> dict[str, Job]:
    """The daily set, in order: the sweep, then the rescore. ``env_factory`` defaults to the command line's
    wiring (:func:`mediation.cli.common.env_factory`)."""
    return {"sweep": sweep_job(env_factory or cli_env_factory()), "rescore": rescore_job}


def run_job(name: str, job: Job, session_factory: SessionFactory, now: dt.datetime) -> JobResult:
    try:
        return JobResult(JOB_NAMES.get(name, name), now, True, job(session_factory, now))
    except Exception as exc:  # a failed job is reported; the scheduler goes on
        detail = "".join(traceback.format_exception_only(exc)).strip()
        return JobResult(JOB_NAMES.get(name, name), now, False, detail)


def run_daily(session_factory: SessionFactory, now: dt.datetime | None = None, *,
              env_factory: EnvFactory | None = None) -> list[JobResult]:
    now = now or dt.datetime.now(dt.UTC)
    return [run_job(name, job, session_factory, now) for name, job in daily_jobs(env_factory).items()]


@dataclass
class Scheduler:
    """Decides, at each tick, which jobs are due: the sweep when ``sweep_every`` has passed since the last
    one, and the daily jobs once per China date at or after ``daily_at`` (on start, the same day's daily
    jobs run at once if that hour has passed)."""

    session_factory: SessionFactory
    sweep_every: dt.timedelta = dt.timedelta(minutes=15)
    daily_at: dt.time = dt.time(1, 30)
    jobs: dict[str, Job] = field(default_factory=daily_jobs)
    last_sweep: dt.datetime | None = None
    last_daily: dt.date | None = None

    def __post_init__(self) -> None:
        if self.sweep_every <= dt.timedelta(0):
            raise ValueError("sweep_every must be positive")

    def due(self, now: dt.datetime) -> list[str]:
        local = now.astimezone(CHINA_TZ)
        if self.last_daily != local.date() and local.time() >= self.daily_at:
            return list(self.jobs)  # the daily set includes the sweep
        if self.last_sweep is None or now - self.last_sweep >= self.sweep_every:
            return ["sweep"]
        return []

    def tick(self, now: dt.datetime) -> list[JobResult]:
        names = self.due(now)
        if len(names) > 1:
            self.last_daily = now.astimezone(CHINA_TZ).date()
        results = [run_job(n, self.jobs[n], self.session_factory, now) for n in names]
        if "sweep" in names:
            self.last_sweep = now
        return results

    def serve(
        self,
        stop: threading.Event,
        *,
        report: Callable[[JobResult], None],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        poll: float = 30.0,
    ) -> None:
        """Tick until ``stop`` is set, waking every ``poll`` seconds."""
        while not stop.is_set():
            for result in self.tick(clock()):
                report(result)
            stop.wait(poll)


# --- commands ---------------------------------------------------------------------------------------


@click.command("daily", help="运行每日任务一次：期限检查、企业风险重新评估（供 cron 使用；也可用 scheduler 常驻运行）")
def daily() -> None:
    from mediation.db.engine import make_session_factory

    results = run_daily(make_session_factory(engine()))
    for r in results:
        click.echo(r.line(), err=not r.ok)
    if not all(r.ok for r in results):
        raise SystemExit(1)


def _clock_time(value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"时间格式应为 HH:MM：{value}") from None


@click.command("scheduler", help="常驻运行定时任务：每隔数分钟检查期限；每天（北京时间）指定时刻后运行每日任务")
@click.option("--sweep-minutes", type=click.IntRange(1, 24 * 60), default=15, show_default=True,
              help="期限检查间隔（分钟）")
@click.option("--daily-at", default="01:30", show_default=True, help="每日任务的时刻（北京时间，HH:MM）")
@click.option("--poll", type=click.FloatRange(0.1, 3600), default=30.0, show_default=True, help="检查间隔（秒）")
def scheduler(sweep_minutes: int, daily_at: str, poll: float) -> None:
    import signal
    import threading

    from mediation.db.engine import make_session_factory

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sched = Scheduler(make_session_factory(engine()), sweep_every=dt.timedelta(minutes=sweep_minutes),
                      daily_at=_clock_time(daily_at))
    click.echo(f"定时任务已启动：每{sweep_minutes}分钟检查期限，每天{daily_at}（北京时间）后运行每日任务")
    sched.serve(stop, report=lambda r: click.echo(r.line(), err=not r.ok), poll=poll)
    click.echo("定时任务已停止")
