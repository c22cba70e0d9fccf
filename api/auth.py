"""Authentication: browser sessions (flask-login + CSRF) and bearer API tokens for machines."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Flask, g, redirect, request, url_for
from flask.views import MethodView
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_smorest import Blueprint
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, fields, validate

from api.db import db_session
from mediation.accounts import throttle
from mediation.accounts.tokens import TokenHolder, issue_token, revoke_token, user_for_token
from mediation.accounts.users import actor_for, authenticate
from mediation.db.models import User
from mediation.domain.errors import DomainError
from mediation.domain.policy import Actor

login_manager = LoginManager()
csrf = CSRFProtect()


class Unauthorized(DomainError):
    code = "unauthorized"
    title = "请先登录"
    status = 401


class SessionUser(UserMixin):
    """What flask-login keeps: the user id and the acting identity, no ORM object across requests."""

    def __init__(self, user: User | TokenHolder) -> None:
        if isinstance(user, TokenHolder):
            self.id = str(user.user_id)
            self.actor = user.actor
            self.organisation_name = user.organisation_name
        else:
            # the session remembers which password it was opened with: a reset or change ends it
            self.id = f"{user.id}.{session_fingerprint(user.password_hash)}"
            self.actor = actor_for(user)
            self.organisation_name = user.organisation.name
        self.username = user.username
        self.display_name = user.display_name
        self.role = user.role


def session_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


@login_manager.user_loader
def _load_user(session_id: str) -> SessionUser | None:
    """``"<user id>.<fingerprint of the password hash>"``: a deactivated user, or one whose password was
    reset or changed since the session was opened, is logged out. (A bare id is a session opened before
    fingerprints existed; it stays valid until it expires or the user is deactivated.)"""
    user_id, _, fingerprint = session_id.partition(".")
    if not user_id.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    if user is None or not user.active:
        return None
    if fingerprint and not hmac.compare_digest(fingerprint, session_fingerprint(user.password_hash)):
        return None
    return SessionUser(user)


@login_manager.request_loader
def _load_from_bearer(req: Any) -> SessionUser | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    user = user_for_token(db_session(), header[7:].strip())
    if user is None:
        return None
    g.bearer = True
    return SessionUser(user)


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    if not request.path.startswith("/api/"):
        return redirect(url_for("web.login", next=request.path))
    raise Unauthorized("请先登录，或在 Authorization 头中提供有效的 API 令牌。")


def current_actor() -> Actor:
    if not current_user.is_authenticated:
        raise Unauthorized("请先登录，或在 Authorization 头中提供有效的 API 令牌。")
    actor: Actor = current_user.actor
    return actor


def _csrf_protect() -> None:
    """CSRF applies to cookie-authenticated unsafe requests; bearer-token requests carry no cookie risk."""
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if request.endpoint in _CSRF_EXEMPT or request.endpoint == "web.login":
        return
    if not current_user.is_authenticated:
        return  # nothing to forge without a session: the view answers 401 / redirects to login
    csrf.protect()


_CSRF_EXEMPT = {"auth.Login", "auth.Tokens"}


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.before_request(_csrf_protect)


blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录、退出与 API 令牌")


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenRequestSchema(LoginSchema):
    name = fields.String(load_default="api", validate=validate.Length(min=1, max=64))


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    organisation_id = fields.Integer()
    organisation_name = fields.String()


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    token = fields.String(metadata={"description": "只显示这一次，请妥善保存"})
    prefix = fields.String()


def _checked_login(username: str, password: str) -> User:
    session = db_session()
    username = username.strip().lower()  # usernames are case-insensitive: one throttle per account
    ip = request.remote_addr or "-"
    throttle.check_allowed(session, username=username, ip=ip)
    user = authenticate(session, username, password)
    throttle.record(session, username=username, ip=ip, success=user is not None)
    if user is None:
        raise Unauthorized("用户名或密码错误")
    return user


def me_dict(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "organisation_id": user.organisation_id, "organisation_name": user.organisation.name}


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, MeSchema)
    @blp.alt_response(401, description="用户名或密码错误")
    @blp.alt_response(429, description="登录尝试过于频繁")
    @blp.doc(operationId="login")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """登录（浏览器会话）"""
        user = _checked_login(data["username"], data["password"])
        login_user(SessionUser(user))
        return me_dict(user)


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    @blp.doc(operationId="logout")
    def post(self) -> None:
        """退出登录"""
        logout_user()


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    @blp.alt_response(401, description="用户名或密码错误")
    @blp.alt_response(429, description="登录尝试过于频繁")
    @blp.doc(operationId="createToken")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """用用户名和密码换取 API 令牌（令牌只显示一次）"""
        user = _checked_login(data["username"], data["password"])
        row, plain = issue_token(db_session(), user=user, name=data["name"])
        return {"id": row.id, "name": row.name, "token": plain, "prefix": row.prefix}


@blp.route("/tokens/<id:token_id>")
class TokenItem(MethodView):
    @blp.response(204)
    @blp.doc(operationId="revokeToken")
    def delete(self, token_id: int) -> None:
        """吊销 API 令牌"""
        actor = current_actor()
        user = db_session().get(User, actor.user_id)
        assert user is not None
        revoke_token(db_session(), token_id=token_id, user=user)
