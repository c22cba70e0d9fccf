"""Bearer API tokens for machine clients: random, shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from mediation.db.models import User
from mediation.db.models_access import ApiToken
from mediation.domain.errors import NotFound, ValidationFailed

TOKEN_PREFIX = "lm_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, *, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the plain token (never stored, shown once)."""
    name = name.strip()
    if not name or len(name) > 64:
        raise ValidationFailed("令牌名称为1至64个字符", errors={"name": ["令牌名称为1至64个字符"]})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=_digest(plain), prefix=plain[:10])
    session.add(row)
    session.commit()
    return row, plain


def user_for_token(session: Session, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(token))
        .options(joinedload(ApiToken.user, innerjoin=True).joinedload(User.organisation, innerjoin=True))
    )
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = dt.datetime.now(dt.UTC)
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=5):
        row.last_used_at = now  # coarse, so a busy client does not write on every request
        session.commit()
    return row.user


def revoke_token(session: Session, *, token_id: int, user: User) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != user.id and user.role != "admin"):
        raise NotFound("令牌不存在")
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        session.commit()
    return row


def list_tokens(session: Session, *, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all())


def revoke_token_as_operator(session: Session, *, token_id: int) -> ApiToken:
    """Revocation from the server's command line (whoever runs it already holds the database)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"令牌 #{token_id} 不存在")
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        session.commit()
    return row
