"""``mediation db …``: Alembic migrations."""

from __future__ import annotations

import click

from mediation.cli.common import engine


@click.group("db", help="数据库迁移 (Alembic)")
def db() -> None:
    pass


@db.command("upgrade", help="升级数据库到最新版本")
@click.option("--revision", default="heads")
def db_upgrade(revision: str) -> None:
    from mediation.db import migrate

    eng = engine()
    migrate.upgrade(eng, revision)
    click.echo(f"数据库已升级到 {migrate.current(eng)}（{eng.url.render_as_string(hide_password=True)}）")


@db.command("downgrade", help="回退数据库版本")
@click.option("--revision", required=True)
def db_downgrade(revision: str) -> None:
    from mediation.db import migrate

    eng = engine()
    migrate.downgrade(eng, revision)
    click.echo(f"数据库已回退到 {migrate.current(eng)}")


@db.command("current", help="显示数据库当前版本")
def db_current() -> None:
    from mediation.db import migrate

    click.echo(migrate.current(engine()) or "(空数据库)")
