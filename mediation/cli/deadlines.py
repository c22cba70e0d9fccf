"""``mediation deadlines …``: the sweep and the audited recompute."""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from mediation.cli.common import engine, env_factory, parse_date


@click.group("deadlines", help="期限")
def deadlines() -> None:
    pass


@deadlines.command("sweep", help="检查到期和逾期期限，调解期满的案件转入期满状态（可重复、可并发运行）")
@click.option("--today", default=None, help="以该日为今天（YYYY-MM-DD），默认北京时间今天")
def deadlines_sweep(today: str | None) -> None:
    from mediation.cases.sweep import run_sweep
    from mediation.db.engine import make_session_factory

    factory = make_session_factory(engine())
    with factory() as s:
        env = env_factory()(s)
    report = run_sweep(factory, env=env, today=parse_date(today))
    click.echo(report.summary())
    for e in report.errors:
        click.echo(f"  错误：{e}", err=True)


@deadlines.command("recompute", help="按当前日历和规则重算所有未届满期限（记录新旧日期和原因）")
@click.option("--reason", required=True)
def deadlines_recompute(reason: str) -> None:
    from mediation.cases.sweep import recompute_deadlines
    from mediation.runtime.env import invalidate_calendar_cache

    invalidate_calendar_cache()
    with Session(engine()) as s:
        r = recompute_deadlines(s, reason=reason, env=env_factory()(s))
    click.echo(f"检查{r.examined}项期限，调整{r.changed}项，涉及{len(r.cases)}件案件（批次 {r.batch}）")
