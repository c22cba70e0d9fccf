"""``mediation token …``: bearer API tokens for machine clients (create, list, revoke).

Registered in :mod:`mediation.cli.main` with one ``main.add_command(tokens)`` line. Never imports ``api``.
"""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.cli.common import engine


def _user(session: Session, username: str) -> object:
    from mediation.db.models import User

    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"用户“{username}”不存在")
    if not user.active:
        raise click.ClickException(f"用户“{username}”已停用")
    return user


@click.group("token", help="API 令牌（机器客户端使用 Authorization: Bearer …）")
def tokens() -> None:
    pass


@tokens.command("create", help="为用户签发 API 令牌（令牌只显示这一次）")
@click.option("--username", required=True)
@click.option("--name", default="cli", show_default=True, help="令牌用途，便于日后识别和吊销")
@click.option("--quiet", is_flag=True, help="只输出令牌本身（便于脚本使用）")
def token_create(username: str, name: str, quiet: bool) -> None:
    from mediation.accounts.tokens import issue_token
    from mediation.db.models import User
    from mediation.domain.errors import DomainError

    with Session(engine(), expire_on_commit=False) as s:
        user = _user(s, username)
        assert isinstance(user, User)
        try:
            row, plain = issue_token(s, user=user, name=name)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        if quiet:
            click.echo(plain)
        else:
            click.echo(f"已为 {user.username} 签发令牌 #{row.id}（{row.name}）。只显示这一次，请妥善保存：")
            click.echo(plain)


@tokens.command("list", help="列出用户的 API 令牌（不显示令牌本身）")
@click.option("--username", required=True)
def token_list(username: str) -> None:
    from mediation.accounts.tokens import list_tokens
    from mediation.db.models import User

    with Session(engine()) as s:
        user = _user(s, username)
        assert isinstance(user, User)
        rows = list_tokens(s, user=user)
        if not rows:
            click.echo("（没有令牌）")
        for r in rows:
            state = f"已吊销 {_fmt(r.revoked_at)}" if r.revoked_at else "有效"
            click.echo(f"#{r.id}\t{r.prefix}…\t{r.name}\t创建 {_fmt(r.created_at)}\t最近使用 {_fmt(r.last_used_at)}"
                       f"\t{state}")


@tokens.command("revoke", help="吊销 API 令牌")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    from mediation.accounts.tokens import revoke_token_as_operator
    from mediation.domain.errors import DomainError

    with Session(engine()) as s:
        try:
            row = revoke_token_as_operator(s, token_id=token_id)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        click.echo(f"令牌 #{token_id}（{row.name}）已吊销于 {_fmt(row.revoked_at)}")


def _fmt(value: dt.datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")
