"""Command line: ``mediation --help``. Every command reads settings from the environment at call time."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mediation.settings import Settings


def _engine() -> Engine:
    from mediation.db.engine import engine_from_settings

    return engine_from_settings(Settings.from_env())


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from None


@click.group(help="劳动争议调解案件管理引擎 — labour-dispute mediation engine")
def main() -> None:
    pass


@main.group(help="数据库迁移 (Alembic)")
def db() -> None:
    pass


@db.command("upgrade", help="升级数据库到最新版本")
@click.option("--revision", default="heads")
def db_upgrade(revision: str) -> None:
    from mediation.db import migrate

    engine = _engine()
    migrate.upgrade(engine, revision)
    click.echo(f"数据库已升级到 {migrate.current(engine)}（{engine.url.render_as_string(hide_password=True)}）")


@db.command("downgrade", help="回退数据库版本")
@click.option("--revision", required=True)
def db_downgrade(revision: str) -> None:
    from mediation.db import migrate

    engine = _engine()
    migrate.downgrade(engine, revision)
    click.echo(f"数据库已回退到 {migrate.current(engine)}")


@db.command("current", help="显示数据库当前版本")
def db_current() -> None:
    from mediation.db import migrate

    click.echo(migrate.current(_engine()) or "(空数据库)")


@main.command("seed-demo", help="生成演示数据（真实行政区划、园区、企业、各状态案件、各角色用户）")
@click.option("--cases", default=2400, show_default=True)
@click.option("--enterprises", default=240, show_default=True)
@click.option("--seed", default=20261125, show_default=True)
@click.option("--if-empty", is_flag=True, help="数据库已有案件时跳过")
def seed_demo(cases: int, enterprises: int, seed: int, if_empty: bool) -> None:
    from mediation.db.models import Case
    from mediation.seed import seed_demo as run

    engine = _engine()
    with Session(engine) as s:
        if if_empty and (s.scalar(select(func.count()).select_from(Case)) or 0) > 0:
            click.echo("已有案件，跳过演示数据")
            return
        summary = run(s, cases=cases, enterprises=enterprises, seed=seed, progress=click.echo)
    click.echo(summary)


@main.command("create-user", help="创建用户")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", required=True, type=click.Choice(["clerk", "mediator", "supervisor", "admin"]))
@click.option("--organisation-id", type=int, required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(username: str, display_name: str, role: str, organisation_id: int, password: str) -> None:
    from mediation.domain.errors import DomainError
    from mediation.services.users import create_user as create

    with Session(_engine()) as s:
        try:
            user = create(s, username=username, password=password, display_name=display_name, role=role,
                          organisation_id=organisation_id)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        click.echo(f"已创建用户 {user.username}（{user.id}）")


@main.group(help="流程定义")
def workflow() -> None:
    pass


@workflow.command("diagram", help="导出流程图（mermaid）")
@click.option("--version", "version", default=None, help="流程定义版本，默认当前版本")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def workflow_diagram(version: str | None, output: Path | None) -> None:
    from workflows.definitions import CURRENT_VERSION, get_definition
    from workflows.diagram import mermaid

    try:
        text = mermaid(get_definition(version or CURRENT_VERSION))
    except KeyError as exc:
        raise click.ClickException(str(exc)) from exc
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"已写入 {output}")
    else:
        click.echo(text)


@main.group(help="期限")
def deadlines() -> None:
    pass


@deadlines.command("sweep", help="检查到期和逾期期限，调解期满的案件转入期满状态（可重复、可并发运行）")
@click.option("--today", default=None, help="以该日为今天（YYYY-MM-DD），默认北京时间今天")
def deadlines_sweep(today: str | None) -> None:
    from mediation.db.engine import make_session_factory
    from mediation.services.sweep import run_sweep

    report = run_sweep(make_session_factory(_engine()), today=_date(today))
    click.echo(report.summary())
    for e in report.errors:
        click.echo(f"  错误：{e}", err=True)


@deadlines.command("recompute", help="按当前日历和规则重算所有未届满期限（记录新旧日期和原因）")
@click.option("--reason", required=True)
def deadlines_recompute(reason: str) -> None:
    from mediation.services.context import invalidate_calendar_cache
    from mediation.services.sweep import recompute_deadlines

    invalidate_calendar_cache()
    with Session(_engine()) as s:
        r = recompute_deadlines(s, reason=reason)
    click.echo(f"检查{r.examined}项期限，调整{r.changed}项，涉及{len(r.cases)}件案件（批次 {r.batch}）")


@main.group("calendar", help="工作日历（节假日与调休）")
def calendar_group() -> None:
    pass


@calendar_group.command("load", help="载入某年国务院节假日安排（JSON），并重算所有未届满期限")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--no-recompute", is_flag=True)
def calendar_load(file: click.utils.LazyFile, no_recompute: bool) -> None:
    """FILE: ``{"year": 2027, "source": "国办发明电〔2026〕N号", "holidays": ["2027-01-01", …],
    "workdays": ["2027-02-07", …]}`` — holidays are rest days, workdays are make-up working days (调休)."""
    from mediation.services.calendar_admin import load_year
    from mediation.services.context import invalidate_calendar_cache
    from mediation.services.sweep import recompute_deadlines

    try:
        data = json.load(file)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"文件不是有效的JSON：{exc}") from exc
    with Session(_engine()) as s:
        try:
            year = load_year(s, data)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        invalidate_calendar_cache()
        click.echo(f"已载入{year}年节假日安排")
        if not no_recompute:
            r = recompute_deadlines(s, reason=f"载入{year}年节假日安排（{data.get('source', '')}）")
            click.echo(f"重算：检查{r.examined}项期限，调整{r.changed}项，涉及{len(r.cases)}件案件")


@main.command("daily", help="运行每日任务一次：期限检查、企业风险重新评估（供 cron 使用；也可用 scheduler 常驻运行）")
def daily() -> None:
    from mediation.db.engine import make_session_factory
    from mediation.jobs import run_daily

    results = run_daily(make_session_factory(_engine()))
    for r in results:
        click.echo(r.line(), err=not r.ok)
    if not all(r.ok for r in results):
        raise SystemExit(1)


def _clock_time(value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"时间格式应为 HH:MM：{value}") from None


@main.command("scheduler", help="常驻运行定时任务：每隔数分钟检查期限；每天（北京时间）指定时刻后运行每日任务")
@click.option("--sweep-minutes", type=click.IntRange(1, 24 * 60), default=15, show_default=True,
              help="期限检查间隔（分钟）")
@click.option("--daily-at", default="01:30", show_default=True, help="每日任务的时刻（北京时间，HH:MM）")
@click.option("--poll", type=click.FloatRange(0.1, 3600), default=30.0, show_default=True, help="检查间隔（秒）")
def scheduler(sweep_minutes: int, daily_at: str, poll: float) -> None:
    import signal
    import threading

    from mediation.db.engine import make_session_factory
    from mediation.jobs import Scheduler

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sched = Scheduler(make_session_factory(_engine()), sweep_every=dt.timedelta(minutes=sweep_minutes),
                      daily_at=_clock_time(daily_at))
    click.echo(f"定时任务已启动：每{sweep_minutes}分钟检查期限，每天{daily_at}（北京时间）后运行每日任务")
    sched.serve(stop, report=lambda r: click.echo(r.line(), err=not r.ok), poll=poll)
    click.echo("定时任务已停止")


main.add_command(__import__("mediation.cli_tokens", fromlist=["tokens"]).tokens)  # mediation token …
main.add_command(__import__("mediation.cli_risk", fromlist=["risk"]).risk)  # mediation risk …
main.add_command(__import__("mediation.cli_users", fromlist=["users"]).users)  # mediation user …


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
