"""Server-side browser sessions: opened at login, looked up on every request, ended by logout, by the user
(one or all of their other sessions), by a password change or reset and by a deactivation.

The browser's (signed) cookie carries only a random session id; its SHA-256 is stored, so a copy of the
database does not hand out live sessions. A session also ends after ``lifetime`` (absolute, from login).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mediation.accounts import audit
from mediation.db.models import User
from mediation.db.models_access import UserSession
from mediation.domain.errors import NotFound
from mediation.domain.policy import Actor

#: Sessions end this long after login at the latest (``MEDIATION_SESSION_HOURS``).
DEFAULT_LIFETIME = dt.timedelta(hours=12)
#: ``last_seen_at`` is written at most this often (not on every request).
_TOUCH_EVERY = dt.timedelta(minutes=5)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def open_session(session: Session, *, user: User, ip: str = "", user_agent: str = "",
                 lifetime: dt.timedelta = DEFAULT_LIFETIME, commit: bool = True) -> tuple[UserSession, str]:
    """A new session for ``user``; returns the row and the plain session id (for the cookie only)."""
    sid = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    row = UserSession(user_id=user.id, sid_hash=_digest(sid), created_at=now, last_seen_at=now,
                      expires_at=now + lifetime, ip=(ip or "")[:64], user_agent=(user_agent or "")[:255])
    session.add(row)
    if commit:
        session.commit()
    else:
        session.flush()
    return row, sid


def live_session(session: Session, *, user_id: int, sid: str) -> UserSession | None:
    """The user's session with this id if it has not ended (revoked or expired), else None."""
    if not sid or len(sid) > 128:
        return None
    row = session.scalar(select(UserSession).where(UserSession.sid_hash == _digest(sid)))
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return None
    now = dt.datetime.now(dt.UTC)
    if row.expires_at <= now:
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    return row


def session_id_of(session: Session, sid: str) -> int | None:
    """The row id of the session with this plain id (to tell "this session" in a list)."""
    return session.scalar(select(UserSession.id).where(UserSession.sid_hash == _digest(sid)))


def end_session(session: Session, *, sid: str, reason: str = "logout") -> None:
    """Logout: this browser's session ends (an unknown or already ended id is no error)."""
    session.execute(update(UserSession).where(UserSession.sid_hash == _digest(sid), UserSession.revoked_at.is_(None))
                    .values(revoked_at=dt.datetime.now(dt.UTC), revoked_reason=reason))
    session.commit()


def end_user_sessions(session: Session, *, user_id: int, reason: str, except_id: int | None = None) -> int:
    """End every live session of a user (but ``except_id``); the caller commits. Returns how many."""
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if except_id is not None:
        stmt = stmt.where(UserSession.id != except_id)
    return session.execute(stmt.values(revoked_at=dt.datetime.now(dt.UTC), revoked_reason=reason)).rowcount or 0


def list_sessions(session: Session, *, user_id: int) -> list[UserSession]:
    """The user's live sessions, newest first."""
    now = dt.datetime.now(dt.UTC)
    return list(session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
                                  UserSession.expires_at > now).order_by(UserSession.id.desc())).all())


def revoke_own_session(session: Session, *, actor: Actor, session_id: int, client: str | None = None) -> UserSession:
    """The user ends one of their sessions (audited)."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound(f"会话{session_id}不存在")
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        row.revoked_reason = "revoked"
        audit.record(session, user_id=row.user_id, actor=actor, action="end_session", client=client,
                     details={"session_id": row.id, "session_ip": row.ip})
        session.commit()
    return row


def end_other_sessions(session: Session, *, actor: Actor, except_id: int | None, client: str | None = None) -> int:
    """The user ends every other session of theirs (audited when there was one); commits. Returns how many."""
    assert actor.user_id is not None
    ended = end_user_sessions(session, user_id=actor.user_id, reason="revoked", except_id=except_id)
    if ended:
        audit.record(session, user_id=actor.user_id, actor=actor, action="end_other_sessions", client=client,
                     details={"sessions_ended": ended, "kept_session_id": except_id})
    session.commit()
    return ended
