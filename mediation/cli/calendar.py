"""``mediation calendar …``: loading the official holiday schedule."""

from __future__ import annotations

import json

import click
from sqlalchemy.orm import Session

from mediation.cli.common import engine, env_factory


@click.group("calendar", help="工作日历（节假日与调休）")
def calendar_group() -> None:
    pass


@calendar_group.command("load", help="载入某年国务院节假日安排（JSON），并重算所有未届满期限")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--no-recompute", is_flag=True)
def calendar_load(file: click.utils.LazyFile, no_recompute: bool) -> None:
    """FILE: ``{"year": 2027, "source": "国办发明电〔2026〕N号", "holidays": ["2027-01-01", …],
    "workdays": ["2027-02-07", …]}`` — holidays are rest days, workdays are make-up working days (调休)."""
    from mediation.cases.calendar_admin import load_year
    from mediation.cases.sweep import recompute_deadlines
    from mediation.runtime.env import invalidate_calendar_cache

    try:
        data = json.load(file)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"文件不是有效的JSON：{exc}") from exc
    with Session(engine()) as s:
        try:
            year = load_year(s, data)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        invalidate_calendar_cache()
        click.echo(f"已载入{year}年节假日安排")
        if not no_recompute:
            r = recompute_deadlines(s, reason=f"载入{year}年节假日安排（{data.get('source', '')}）",
                                    env=env_factory()(s))
            click.echo(f"重算：检查{r.examined}项期限，调整{r.changed}项，涉及{len(r.cases)}件案件")
