"""``mediation user …``: deactivate, reactivate and reset the password of a user from the server.

Registered in :mod:`mediation.cli.main` with one ``main.add_command(users)`` line. Every change is recorded in
the user-administration audit (actor: the command line). Never imports ``api``.
"""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from mediation.cli.common import engine


@click.group("user", help="用户管理（停用、恢复、重置密码；创建用户见 create-user）")
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
