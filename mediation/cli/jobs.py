"""``mediation worker`` (the queue's workers and the periodic jobs) and ``mediation daily`` (the daily jobs once).

On PostgreSQL, ``mediation worker`` starts one worker process per core (``--processes``): each runs the
queue's jobs one at a time — documents to render, risk deltas to fold — and procrastinate's periodic
deferrer (the deadline sweep every 15 minutes, the daily jobs once per China date after 01:30), deduplicated
across every worker of every node by the database. Run it on as many nodes as you like.

On SQLite (the one-process demo) jobs run inline in the request that defers them; ``mediation worker`` runs
the periodic jobs in a loop (:class:`mediation.tasks.periodic.PeriodicRunner`).
"""

from __future__ import annotations

import datetime as dt
import functools
import os

import click

from mediation.cli.common import engine
from mediation.runtime.settings import Settings
from mediation.tasks.periodic import DAILY_AT, PeriodicRunner, run_daily


@click.command("daily", help="运行每日任务一次：期限检查、企业风险重新评估、清理过期登录记录"
                             "（供 cron 使用；常驻运行请用 worker）")
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


@click.command("worker", help="运行后台任务：文书生成、统计汇总、每15分钟期限检查、每天01:30（北京时间）后的每日任务")
@click.option("--processes", type=click.IntRange(1, 64), default=None,
              help="工作进程数（默认：CPU核数）；仅PostgreSQL")
@click.option("--queues", default="", help="只处理这些队列（逗号分隔；默认全部）")
@click.option("--heartbeat", type=click.FloatRange(0.5, 600), default=5.0, show_default=True,
              help="心跳间隔（秒）")
@click.option("--stalled-after", type=click.FloatRange(1, 3600), default=20.0, show_default=True,
              help="多久没有心跳的进程视为已死亡，其任务重新排队（秒）")
@click.option("--sweep-minutes", type=click.IntRange(1, 24 * 60), default=15, show_default=True,
              help="SQLite：期限检查间隔（分钟）")
@click.option("--daily-at", default="01:30", show_default=True, help="SQLite：每日任务的时刻（北京时间，HH:MM）")
def worker(processes: int | None, queues: str, heartbeat: float, stalled_after: float, sweep_minutes: int,
           daily_at: str) -> None:
    settings = Settings.from_env()
    at = _clock_time(daily_at)
    if settings.is_sqlite:
        _sqlite_runner(sweep_minutes, at)
        return
    from mediation.tasks.worker import WorkerOptions, supervise

    options = WorkerOptions(queues=[q for q in queues.split(",") if q] or None, heartbeat=heartbeat,
                            stalled_after=stalled_after)
    n = processes or os.cpu_count() or 1
    click.echo(f"后台任务：{n}个工作进程（{os.cpu_count()}核），队列：{queues or '全部'}")
    if n == 1:
        _worker_process(options, 0)
    else:
        supervise(functools.partial(_worker_process, options), n)
    click.echo("后台任务已停止")


def _worker_process(options: object, index: int) -> None:
    """One worker process (also the target of the supervisor's children: importable, picklable)."""
    from mediation.db.engine import make_session_factory
    from mediation.queue import conninfo
    from mediation.runtime.logs import configure_logging
    from mediation.tasks import unit_tasks
    from mediation.tasks.worker import WorkerOptions, build_app, run_worker

    assert isinstance(options, WorkerOptions)
    settings = Settings.from_env()
    configure_logging(settings)
    factory = make_session_factory(engine())
    app = build_app(factory, conninfo=conninfo(settings.database_url), tasks=unit_tasks())
    run_worker(app, options, name=f"worker-{os.getpid()}-{index}", session_factory=factory)


def _sqlite_runner(sweep_minutes: int, daily_at: dt.time) -> None:
    import signal
    import threading

    from mediation.db.engine import make_session_factory

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    runner = PeriodicRunner(make_session_factory(engine()), sweep_every=dt.timedelta(minutes=sweep_minutes),
                            daily_at=daily_at)
    click.echo(f"定时任务已启动（SQLite：文书等任务随请求即时完成）：每{sweep_minutes}分钟检查期限，"
               f"每天{daily_at:%H:%M}（北京时间）后运行每日任务")
    runner.serve(stop, report=lambda r: click.echo(r.line(), err=not r.ok))
    click.echo("定时任务已停止")


__all__ = ["DAILY_AT", "daily", "worker"]
