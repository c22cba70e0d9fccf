"""Users: creation with argon2 password hashes, authentication, and the acting identity."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Organisation, User
from mediation.domain.enums import Role
from mediation.domain.errors import DuplicateError, ValidationFailed
from mediation.domain.policy import Actor

_hasher = PasswordHasher()
#: A hash to verify against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValidationFailed("密码至少8位", errors={"password": ["密码至少8位"]})
    return _hasher.hash(password)


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
) -> User:
    try:
        Role(role)
    except ValueError:
        raise ValidationFailed("角色无效", errors={"role": ["角色无效"]}) from None
    if role == Role.SYSTEM:
        raise ValidationFailed("不能创建系统角色用户", errors={"role": ["不能创建系统角色用户"]})
    if session.get(Organisation, organisation_id) is None:
        raise ValidationFailed("组织不存在", errors={"organisation_id": ["组织不存在"]})
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DuplicateError(f"用户名“{username}”已存在")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=password_hash or hash_password(password),
        role=role,
        organisation_id=organisation_id,
        phone=phone,
    )
    session.add(user)
    if commit:
        session.commit()
    else:
        session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
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
