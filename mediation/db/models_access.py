"""Access-related tables: API tokens, browser sessions, idempotency records, login attempts, personal-data
reads, recusals, user administration audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from mediation.db.base import Base, utcnow
from mediation.db.models import User


class ApiToken(Base):
    """A bearer token for machine clients; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class IdempotencyRecord(Base):
    """The first result of a creating POST, replayed for the same key and body."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(128))
    endpoint: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoginAttempt(Base):
    """One password check (a login, a token request, the current password of a password change): the
    throttle counts the failures per client, per account and per (account, client)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_lookup", "username", "ip", "at"),
                      Index("ix_login_attempts_ip_at", "ip", "at"),
                      Index("ix_login_attempts_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    success: Mapped[bool] = mapped_column()


class UserSession(Base):
    """A browser session, kept server-side so that it can be ended: the cookie names it by a random id
    (only its SHA-256 is stored). Logout ends it; a password change or reset, a deactivation and the
    user themselves (``DELETE /api/v1/me/sessions``) end it too."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    #: Why it ended: logout, replaced (a new login in the same browser), password_changed, password_reset,
    #: deactivated, revoked (by the user).
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship()


class PersonalDataAccess(Base):
    """Every read of unmasked personal data (ID numbers, phones, addresses). Append-only."""

    __tablename__ = "personal_data_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: The case whose parties were read, or (for a risk signal's reporter) the signal.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("risk_signals.id"), index=True)
    fields: Mapped[list[Any]] = mapped_column()
    endpoint: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MediatorConflict(Base):
    """A declared conflict of interest (recusal, 回避) with an enterprise or a named party."""

    __tablename__ = "mediator_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    party_name: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(255))
    declared_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UserAdminEvent(Base):
    """Audit of user administration and access: creation, role/organisation changes, (de)activation, password
    resets and changes, API token revocations (by the holder or an administrator) and browser sessions ended by
    their user. ``user_id`` is whom it concerns, ``actor_id`` who did it (None: the server's command line),
    ``client`` from which client address. Append-only."""

    __tablename__ = "user_admin_events"
    __table_args__ = (Index("ix_user_admin_events_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The client's address (``cli`` from the command line; None for records older than this column).
    client: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(UserAdminEvent, "before_update")
@event.listens_for(UserAdminEvent, "before_delete")
@event.listens_for(PersonalDataAccess, "before_update")
@event.listens_for(PersonalDataAccess, "before_delete")
def _audit_is_append_only(_mapper: Mapper[Any], _conn: Any, target: PersonalDataAccess | UserAdminEvent) -> None:
    raise RuntimeError(f"audit records are append-only ({type(target).__name__} {target.id})")
