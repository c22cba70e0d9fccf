"""``mediation user …``: deactivate, reactivate and reset the password of a user from the server; prune old login
attempts, ended sessions and revoked tokens.

Registered in :mod:`mediation.cli.main` with one ``main.add_command(users)`` line. Every change is recorded in
the user-administration audit (actor: the command line). Never imports ``api``.
"""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from mediation.cli.common import engine


@click.group("user", help="用户管理（停用、恢复、重置密码、清理过期登录记录；创建用户见 create-user）")
def users() -> None:
    pass


def _set_active(username: str, active: bool) -> None:
    from mediation.accounts.users import operator_set_active
    from mediation.domain.errors import DomainError

    with Session(engine()) as s:
        try:
            user = operator_set_active(s, username=username, active=active)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        state = "恢复启用" if active else "停用（不能再登录，会话和 API 令牌随即失效）"
        click.echo(f"用户 {user.username}（{user.id}）已{state}")


@users.command("deactivate", help="停用用户")
@click.option("--username", required=True)
def deactivate(username: str) -> None:
    _set_active(username, False)


@users.command("reactivate", help="恢复启用用户")
@click.option("--username", required=True)
def reactivate(username: str) -> None:
    _set_active(username, True)


@users.command("reset-password", help="重置用户密码（并吊销其 API 令牌）")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def reset_password(username: str, password: str) -> None:
    from mediation.accounts.users import operator_reset_password
    from mediation.domain.errors import DomainError

    with Session(engine()) as s:
        try:
            user = operator_reset_password(s, username=username, password=password)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        click.echo(f"已重置用户 {user.username}（{user.id}）的密码，其 API 令牌已吊销")


@users.command("prune-access", help="清理保留期以前的登录尝试、已结束或过期的浏览器会话和已吊销的 API 令牌"
                                      "（每日任务也会运行；审计记录不清理）")
@click.option("--days", type=click.IntRange(1, 3650), default=None,
              help="保留天数（默认取 MEDIATION_ACCESS_RETENTION_DAYS，未设置为180）")
@click.option("--dry-run", is_flag=True, help="只统计，不删除")
def prune_access(days: int | None, dry_run: bool) -> None:
    import datetime as dt

    from mediation.accounts.housekeeping import prune_access_records
    from mediation.runtime.settings import Settings

    retention = dt.timedelta(days=days or Settings.from_env().access_retention_days)
    with Session(engine()) as s:
        click.echo(prune_access_records(s, retention=retention, dry_run=dry_run).summary())


@click.command("create-user", help="创建用户")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", required=True, type=click.Choice(["clerk", "mediator", "supervisor", "admin"]))
@click.option("--organisation-id", type=int, required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(username: str, display_name: str, role: str, organisation_id: int, password: str) -> None:
    from mediation.accounts.users import create_user as create
    from mediation.domain.errors import DomainError

    with Session(engine()) as s:
        try:
            user = create(s, username=username, password=password, display_name=display_name, role=role,
                          organisation_id=organisation_id)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        click.echo(f"已创建用户 {user.username}（{user.id}）")
