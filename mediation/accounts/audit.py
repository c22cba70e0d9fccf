"""The audit of user administration and access (``user_admin_events``): who did what to whom, when and from which
client — creation, role/organisation/name/phone changes, (de)activation, password resets and changes, API token
revocations and browser sessions ended by their user. Append-only; read by administrators, each within their
organisation subtree (the organisation of the user it concerns)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Organisation, User
from mediation.db.models_access import UserAdminEvent
from mediation.domain.errors import PermissionDenied
from mediation.domain.policy import Actor, can

#: ``client`` of what is done from the server's command line.
CLI = "cli"
#: Every action recorded, with its label for people.
ACTIONS: dict[str, str] = {
    "create": "创建用户",
    "update": "修改用户",
    "deactivate": "停用",
    "reactivate": "恢复启用",
    "reset_password": "重置密码",
    "change_password": "本人修改密码",
    "revoke_token": "吊销API令牌",
    "end_session": "结束浏览器会话",
    "end_other_sessions": "结束其他浏览器会话",
}


def record(session: Session, *, user_id: int, actor: Actor | None, action: str, client: str | None,
           details: Mapping[str, Any] | None = None) -> UserAdminEvent:
    """Add one record to the caller's transaction (the caller commits, with the change it records)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    where = (client or CLI) if actor is None else (client or "-")
    row = UserAdminEvent(user_id=user_id, actor_id=actor.user_id if actor is not None else None, action=action,
                         details=dict(details or {}), client=where[:64])
    session.add(row)
    return row


def events_in_scope(session: Session, *, actor: Actor, action: str | None = None, user_id: int | None = None,
                    since: dt.datetime | None = None, before_id: int | None = None,
                    limit: int = 100) -> list[UserAdminEvent]:
    """The records about users of the administrator's organisation subtree, newest first (``before_id``: the
    next page). Nobody else reads them."""
    if not can(actor, "manage_users"):
        raise PermissionDenied("只有系统管理员可以查看用户管理记录")
    stmt = (select(UserAdminEvent).join(User, User.id == UserAdminEvent.user_id)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(Organisation.path.startswith(actor.org_path, autoescape=True)))
    if action is not None:
        stmt = stmt.where(UserAdminEvent.action == action)
    if user_id is not None:
        stmt = stmt.where(UserAdminEvent.user_id == user_id)
    if since is not None:
        stmt = stmt.where(UserAdminEvent.at >= since)
    if before_id is not None:
        stmt = stmt.where(UserAdminEvent.id < before_id)
    return list(session.scalars(stmt.order_by(UserAdminEvent.id.desc()).limit(max(1, min(limit, 500)))).all())
