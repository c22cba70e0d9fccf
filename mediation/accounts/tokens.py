"""Bearer API tokens for machine clients: random, shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from mediation.accounts import audit
from mediation.db.models import Organisation, User
from mediation.db.models_access import ApiToken
from mediation.domain.errors import NotFound, ValidationFailed
from mediation.domain.policy import Actor, can

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


@dataclass(frozen=True)
class TokenHolder:
    """Who a valid bearer token acts for: enough to authorise a request, read in one query."""

    user_id: int
    username: str
    display_name: str
    role: str
    organisation_id: int
    organisation_name: str
    org_path: str

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, role=self.role, organisation_id=self.organisation_id,
                     org_path=self.org_path, name=self.display_name)


_t, _u, _o = ApiToken.__table__, User.__table__, Organisation.__table__
#: Core, not ORM: every API request runs it, and no object it reads is changed.
_HOLDER = (
    select(_t.c.id, _t.c.last_used_at, _t.c.revoked_at, _u.c.active, _u.c.id, _u.c.username,
           _u.c.display_name, _u.c.role, _u.c.organisation_id, _o.c.name, _o.c.path)
    .select_from(_t.join(_u, _u.c.id == _t.c.user_id).join(_o, _o.c.id == _u.c.organisation_id))
    .where(_t.c.token_hash == bindparam("digest"))
)


def user_for_token(session: Session, token: str) -> TokenHolder | None:
    """The holder of a valid (known, unrevoked, active user's) token, else None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.execute(_HOLDER, {"digest": _digest(token)}).one_or_none()
    if row is None:
        return None
    token_id, last_used, revoked, active, *holder = row
    if revoked is not None or not active:
        return None
    now = dt.datetime.now(dt.UTC)
    if last_used is None or now - last_used > dt.timedelta(minutes=5):
        # coarse, so a busy client does not write on every request
        session.execute(update(_t).where(_t.c.id == token_id).values(last_used_at=now))
        session.commit()
    return TokenHolder(*holder)


def _revoked(session: Session, row: ApiToken, *, actor: Actor | None, client: str | None, by: str) -> ApiToken:
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        audit.record(session, user_id=row.user_id, actor=actor, action="revoke_token", client=client,
                     details={"token_id": row.id, "name": row.name, "prefix": row.prefix, "by": by})
        session.commit()
    return row


def revoke_token(session: Session, *, token_id: int, actor: Actor, client: str | None = None) -> ApiToken:
    """Its holder revokes a token, or an administrator whose subtree holds the holder's organisation; any
    other token answers NotFound (no existence leak). Audited (``client``: the caller's address)."""
    row = session.get(ApiToken, token_id)
    if row is None or not (row.user_id == actor.user_id or (
            can(actor, "manage_users") and row.user.organisation.path.startswith(actor.org_path))):
        raise NotFound("令牌不存在")
    return _revoked(session, row, actor=actor, client=client,
                    by="holder" if row.user_id == actor.user_id else "administrator")


def list_tokens(session: Session, *, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all())


def revoke_token_as_operator(session: Session, *, token_id: int) -> ApiToken:
    """Revocation from the server's command line (whoever runs it already holds the database)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"令牌 #{token_id} 不存在")
    return _revoked(session, row, actor=None, client=audit.CLI, by="operator")
