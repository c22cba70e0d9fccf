"""Users: creation and administration with argon2 password hashes, authentication, and the acting identity.

Usernames are normalised (trimmed, lower case) and unique whatever their case; display names are trimmed
and never blank (they are printed on documents as the mediator); phones are checked like parties' phones.
Every administrative change (creation, role/organisation/name/phone change, deactivation and
reactivation, password reset or change) is recorded in ``user_admin_events``. A deactivated user cannot
log in, and their sessions and API tokens stop working (both check ``User.active`` on every request); a
deactivation also ends the user's browser sessions for good (a reactivation does not revive them). A password
reset (administrator, command line) or change (the user) ends every browser session of the user and
revokes their API tokens.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mediation.accounts import audit, throttle
from mediation.accounts import sessions as session_svc
from mediation.accounts.passwords import password_problems
from mediation.db.models import Organisation, User
from mediation.db.models_access import ApiToken, UserAdminEvent
from mediation.db.uow import unit_of_work
from mediation.domain.enums import Role
from mediation.domain.errors import DuplicateError, NotFound, PermissionDenied, ValidationFailed
from mediation.domain.identity import validate_phone
from mediation.domain.policy import Actor, can

_hasher = PasswordHasher()
#: A hash to verify against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
_USERNAME_RE = re.compile(r"^[a-z0-9_.-]{3,64}$")
#: Roles an administrator may give (the system role is the sweep's, never a person's).
ASSIGNABLE_ROLES = (Role.CLERK, Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: [message]})


def hash_password(password: str, *, username: str | None = None, display_name: str | None = None,
                  field: str = "password") -> str:
    """The argon2 hash of a password that meets the policy (:mod:`mediation.accounts.passwords`), else
    ValidationFailed naming ``field``."""
    problems = password_problems(password, username=username, display_name=display_name)
    if problems:
        raise ValidationFailed("；".join(problems), errors={field: problems})
    return _hasher.hash(password)


def normalise_username(username: str) -> str:
    """``" Zhang.San "`` → ``"zhang.san"``: what is stored and compared."""
    value = username.strip().lower()
    if not _USERNAME_RE.match(value):
        raise _invalid("username", "用户名为3至64位字母、数字或_.-")
    return value


def clean_display_name(name: str) -> str:
    value = " ".join(name.split())
    if not value:
        raise _invalid("display_name", "姓名不能为空")
    if len(value) > 64:
        raise _invalid("display_name", "姓名不能超过64个字符")
    return value


def clean_phone(phone: str | None) -> str | None:
    if phone is None or not phone.strip():
        return None
    try:
        return validate_phone(phone)
    except ValueError as exc:
        raise _invalid("phone", str(exc)) from exc


def _check_role(role: str) -> str:
    if role == Role.SYSTEM:
        raise _invalid("role", "不能创建系统角色用户")
    if role not in {r.value for r in ASSIGNABLE_ROLES}:
        raise _invalid("role", "角色无效")
    return role


def find_user(session: Session, username: str) -> User | None:
    """The user with this name, whatever its case (an exact match first, for names stored before
    normalisation)."""
    key = username.strip()
    return session.scalar(select(User).where(func.lower(User.username) == key.lower())
                          .order_by((User.username == key).desc(), User.id).limit(1))


def _audit(session: Session, *, user: User, actor: Actor | None, action: str,
           details: Mapping[str, Any] | None = None, client: str | None = None) -> None:
    audit.record(session, user_id=user.id, actor=actor, action=action, client=client, details=details)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    display_name: str,
    role: str,
    organisation_id: int,
    phone: str | None = None,
    commit: bool = True,
    password_hash: str | None = None,
    actor: Actor | None = None,
    client: str | None = None,
) -> User:
    """``actor`` is the administrator (None: the command line or the seed), ``client`` their address."""
    role = _check_role(role)
    if session.get(Organisation, organisation_id) is None:
        raise _invalid("organisation_id", "组织不存在")
    username = normalise_username(username)
    display_name = clean_display_name(display_name)
    hashed = password_hash or hash_password(password, username=username, display_name=display_name)
    phone = clean_phone(phone)
    if find_user(session, username) is not None:
        raise DuplicateError(f"用户名“{username}”已存在（用户名不区分大小写）")
    user = User(username=username, display_name=display_name, password_hash=hashed, role=role,
                organisation_id=organisation_id, phone=phone)
    session.add(user)
    session.flush()
    _audit(session, user=user, actor=actor, action="create", client=client,
           details={"role": role, "organisation_id": organisation_id})
    if commit:
        session.commit()
    else:
        session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = find_user(session, username)
    if user is None or not user.active:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.commit()
    return user


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        role=user.role,
        organisation_id=user.organisation_id,
        org_path=user.organisation.path,
        name=user.display_name,
    )


# --- administration -------------------------------------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    if not can(actor, "manage_users"):
        raise PermissionDenied("只有系统管理员可以管理用户")


def managed_user(session: Session, *, actor: Actor, user_id: int) -> User:
    """A user of the administrator's organisation subtree; others answer NotFound (no existence leak)."""
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None or not user.organisation.path.startswith(actor.org_path):
        raise NotFound(f"用户{user_id}不存在或不在您的管辖范围内")
    return user


def _org_in_scope(session: Session, actor: Actor, organisation_id: int) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None or not org.path.startswith(actor.org_path):
        raise _invalid("organisation_id", "组织不存在或不在您的管辖范围内")
    return org


def _revoke_tokens(session: Session, user: User) -> int:
    return session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=dt.datetime.now(dt.UTC))
    ).rowcount or 0


def update_user(session: Session, *, actor: Actor, user_id: int, changes: Mapping[str, Any],
                client: str | None = None) -> User:
    """Change a user's display name, phone, role, organisation or active flag (administrators only; audited with
    the administrator's ``client`` address). An administrator cannot deactivate or demote themselves (nobody
    would be left to undo it)."""
    with unit_of_work(session):
        user = managed_user(session, actor=actor, user_id=user_id)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}

        def change(field: str, value: Any) -> None:
            if getattr(user, field) != value:
                before[field], after[field] = getattr(user, field), value
                setattr(user, field, value)

        if "display_name" in changes:
            change("display_name", clean_display_name(changes["display_name"] or ""))
        if "phone" in changes:
            change("phone", clean_phone(changes["phone"]))
        if "role" in changes:
            role = _check_role(changes["role"])
            if user.id == actor.user_id and role != user.role:
                raise _invalid("role", "不能更改自己的角色")
            change("role", role)
        if "organisation_id" in changes:
            org = _org_in_scope(session, actor, changes["organisation_id"])
            if user.id == actor.user_id and org.id != user.organisation_id:
                raise _invalid("organisation_id", "不能更改自己所在的组织")
            change("organisation_id", org.id)
        if "active" in changes:
            active = bool(changes["active"])
            if user.id == actor.user_id and not active:
                raise _invalid("active", "不能停用自己的账号")
            change("active", active)
        if after.get("active") is False:
            session_svc.end_user_sessions(session, user_id=user.id, reason="deactivated")
        if after:
            action = ("deactivate" if after.get("active") is False else
                      "reactivate" if after.get("active") is True else "update")
            _audit(session, user=user, actor=actor, action=action, client=client,
                   details={"before": before, "after": after})
        return user


def set_active(session: Session, *, actor: Actor, user_id: int, active: bool, client: str | None = None) -> User:
    return update_user(session, actor=actor, user_id=user_id, changes={"active": active}, client=client)


def reset_password(session: Session, *, actor: Actor, user_id: int, password: str, client: str | None = None) -> User:
    """An administrator sets a new password; the user's API tokens are revoked."""
    with unit_of_work(session):
        user = managed_user(session, actor=actor, user_id=user_id)
        _reset(session, user, actor, password, {}, client)
        return user


def change_own_password(session: Session, *, actor: Actor, current_password: str, new_password: str,
                        client: str = "-") -> User:
    """The user changes their own password: every browser session of theirs ends and their API tokens are
    revoked (the caller may open a new session for the browser that made the change). The current password is
    a password check like a login's: throttled per client and account (``client``: the client's address)."""
    with unit_of_work(session):
        user = session.get(User, actor.user_id) if actor.user_id is not None else None
        if user is None or not user.active:
            raise NotFound("用户不存在或已停用")
        username = user.username.lower()
        throttle.check_allowed(session, username=username, ip=client)
        try:
            _hasher.verify(user.password_hash, current_password)
        except (VerificationError, InvalidHashError):
            throttle.record(session, username=username, ip=client, success=False)
            raise _invalid("current_password", "当前密码不正确") from None
        if current_password == new_password:
            raise _invalid("new_password", "新密码不能与当前密码相同")
        user.password_hash = hash_password(new_password, username=user.username, display_name=user.display_name,
                                           field="new_password")
        revoked = _revoke_tokens(session, user)
        ended = session_svc.end_user_sessions(session, user_id=user.id, reason="password_changed")
        _audit(session, user=user, actor=actor, action="change_password", client=client,
               details={"tokens_revoked": revoked, "sessions_ended": ended})
        throttle.record(session, username=username, ip=client, success=True)  # commits
        return user


def _reset(session: Session, user: User, actor: Actor | None, password: str, details: dict[str, Any],
           client: str | None = None) -> None:
    """A password set by someone else (an administrator, the command line): the user's API tokens and browser
    sessions go with it."""
    user.password_hash = hash_password(password, username=user.username, display_name=user.display_name)
    revoked = _revoke_tokens(session, user)
    ended = session_svc.end_user_sessions(session, user_id=user.id, reason="password_reset")
    _audit(session, user=user, actor=actor, action="reset_password", client=client,
           details={**details, "tokens_revoked": revoked, "sessions_ended": ended})


def _operator_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"用户“{username}”不存在")
    return user


def operator_set_active(session: Session, *, username: str, active: bool) -> User:
    """From the server's command line (whoever runs it already holds the database)."""
    with unit_of_work(session):
        user = _operator_user(session, username)
        if user.active != active:
            user.active = active
            if not active:
                session_svc.end_user_sessions(session, user_id=user.id, reason="deactivated")
            _audit(session, user=user, actor=None, action="reactivate" if active else "deactivate",
                   details={"via": "cli"})
        return user


def operator_reset_password(session: Session, *, username: str, password: str) -> User:
    with unit_of_work(session):
        user = _operator_user(session, username)
        _reset(session, user, None, password, {"via": "cli"})
        return user


def user_events(session: Session, *, actor: Actor, user_id: int) -> list[UserAdminEvent]:
    user = managed_user(session, actor=actor, user_id=user_id)
    return list(session.scalars(select(UserAdminEvent).where(UserAdminEvent.user_id == user.id)
                                .order_by(UserAdminEvent.id)).all())
