"""``mediation risk …``: synthetic data and bulk import, rebuild and verify of the derived risk tables,
nightly rescoring.

Registered in :mod:`mediation.cli.main` with one ``main.add_command(risk)`` line. Never imports ``api``.
"""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy.orm import Session

from mediation.cli.common import engine
from mediation.db.uow import unit_of_work


@click.group(help="风险预警与热点统计：合成数据、批量导入、汇总表重建与核对")
def risk() -> None:
    pass


@risk.command("import-synthetic", help="生成并批量导入合成案件（真实行政区划、合理分布），随后评估风险并重建汇总表")
@click.option("--cases", "n_cases", type=click.IntRange(1, 50_000_000), default=100_000, show_default=True)
@click.option("--enterprises", type=click.IntRange(1, 5_000_000), default=None,
              help="企业数，默认为案件数的1/20")
@click.option("--province", "provinces", multiple=True,
              help="省级行政区划代码（可多次指定），默认浙江、江苏、广东、山东、河南、四川")
@click.option("--seed", type=int, default=20261126, show_default=True)
@click.option("--days", type=click.IntRange(30, 3650), default=730, show_default=True, help="案件分布在最近多少天")
@click.option("--no-score", is_flag=True, help="不评估企业风险等级（更快）")
def import_synthetic(n_cases: int, enterprises: int | None, provinces: tuple[str, ...], seed: int, days: int,
                     no_score: bool) -> None:
    from mediation.db import registry  # noqa: F401  (all tables)
    from mediation.domain import divisions
    from mediation.risk import bulk, synthetic

    for code in provinces:
        div = divisions.find(code)
        if div is None or div.level != "province":
            raise click.BadParameter(f"不是省级行政区划代码：{code}", param_hint="--province")
    with Session(engine()) as s, click.progressbar(length=n_cases, label="导入案件", show_pos=True,
                                                    show_percent=True, show_eta=True) as bar:
        report = bulk.import_synthetic(
            s, cases=n_cases, enterprises=enterprises, provinces=provinces or synthetic.DEFAULT_PROVINCES,
            seed=seed, days=days, score=not no_score, progress=bar.update,
            say=lambda m: click.echo(f"\n{m}", err=True))
    click.echo(report.text())


@risk.command("rebuild", help="由基础表重新计算案件事实、汇总表和企业计数（一个事务）")
def rebuild() -> None:
    from mediation.db import registry  # noqa: F401
    from mediation.risk import maintenance

    with Session(engine()) as s:
        report = maintenance.rebuild(s, progress=lambda m: click.echo(m, err=True))
    click.echo(report.text())


@risk.command("verify", help="核对：汇总表和企业计数（连同尚未汇总的变更）是否与由基础表重新计算的结果一致"
                                "（不修改数据）")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="最多列出的差异数")
def verify(limit: int) -> None:
    from mediation.db import registry  # noqa: F401
    from mediation.risk import maintenance

    with Session(engine()) as s:
        report = maintenance.verify(s, limit=limit)
        s.rollback()
    click.echo(report.text())
    if not report.ok:
        for label, rows in (("事实行", report.facts_diff), ("汇总行（缺）", report.rollups_missing),
                            ("汇总行（多）", report.rollups_extra), ("企业计数（缺）", report.counters_missing),
                            ("企业计数（多）", report.counters_extra)):
            for r in rows:
                click.echo(f"{label}: {tuple(r)}")
        raise SystemExit(1)


@risk.command("fold", help="把等待中的案件事实变更汇入汇总表和企业计数（工作进程每秒自动进行；可重复运行）")
def fold() -> None:
    from mediation.db import registry  # noqa: F401
    from mediation.risk import fold as risk_fold

    with Session(engine()) as s:
        with unit_of_work(s):
            n = risk_fold.fold_all(s, wait=True)
    click.echo(f"已汇总{n}条变更")


@risk.command("rescore", help="重新评估全部企业的风险等级（每日运行：超出时间窗口的风险信息不再计入），记录等级变化")
@click.option("--no-alerts", is_flag=True, help="不因等级升高发出预警（例如导入历史数据后）")
def rescore(no_alerts: bool) -> None:
    from mediation.db import registry  # noqa: F401
    from mediation.risk import scoring

    with Session(engine()) as s:
        with unit_of_work(s):
            summary = scoring.rescore_all(s, at=dt.datetime.now(dt.UTC), reason="rescore",
                                          raise_alerts=not no_alerts)
    click.echo(summary.text())
