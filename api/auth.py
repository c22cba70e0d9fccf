"""Authentication: browser sessions (flask-login + CSRF) and bearer API tokens for machines."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from flask import Flask, current_app, g, redirect, request, url_for
from flask import session as flask_session
from flask.views import MethodView
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_smorest import Blueprint
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, fields, validate

from api.db import db_session
from mediation.accounts import sessions as session_svc
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

    def __init__(self, user: User | TokenHolder, sid: str | None = None) -> None:
        #: The server-side session this browser holds (None: authenticated by a bearer token).
        self.sid = sid
        if isinstance(user, TokenHolder):
            self.id = str(user.user_id)
            self.actor = user.actor
            self.organisation_name = user.organisation_name
        else:
            # the session remembers which password it was opened with (a reset or change ends it) and
            # names its server-side row (logout ends it)
            self.id = login_id(user, sid or "")
            self.actor = actor_for(user)
            self.organisation_name = user.organisation.name
        self.username = user.username
        self.display_name = user.display_name
        self.role = user.role


def session_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def login_id(user: User, sid: str) -> str:
    """What the (signed) session cookie holds as flask-login's user id."""
    return f"{user.id}.{session_fingerprint(user.password_hash)}.{sid}"


def _bearer_header() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


@login_manager.user_loader
def _load_user(session_id: str) -> SessionUser | None:
    """``"<user id>.<fingerprint of the password hash>.<session id>"``, all three required: the user is
    active, the password is the one the session was opened with, and the server-side session is live (not
    logged out, revoked or expired). A request with a bearer token is authenticated by the token alone: the
    cookie is not looked at (so a cookie plus a made-up token is no way around the CSRF check)."""
    if _bearer_header() is not None:
        return None
    parts = session_id.split(".")
    if len(parts) != 3:
        return None
    user_id, fingerprint, sid = parts
    if not user_id.isdigit() or not fingerprint or not sid:
        return None
    user = db_session().get(User, int(user_id))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(fingerprint, session_fingerprint(user.password_hash)):
        return None
    if session_svc.live_session(db_session(), user_id=user.id, sid=sid) is None:
        return None
    return SessionUser(user, sid)


def begin_session(user: User, *, rotate_csrf: bool = True) -> SessionUser:
    """Log ``user`` in on this browser: a new server-side session, and (at login) a fresh cookie, so the
    CSRF token of the anonymous page is not the one of the logged-in session."""
    previous = getattr(current_user, "sid", None) if current_user.is_authenticated else None
    if previous and rotate_csrf:  # a new login in a logged-in browser: the session it replaces ends
        session_svc.end_session(db_session(), sid=previous, reason="replaced")
    hours = current_app.config.get("SESSION_HOURS", 12)
    _, sid = session_svc.open_session(db_session(), user=user, ip=request.remote_addr or "",
                                      user_agent=request.headers.get("User-Agent", ""),
                                      lifetime=dt.timedelta(hours=hours))
    if rotate_csrf:
        flask_session.clear()
    who = SessionUser(user, sid)
    login_user(who)
    return who


def end_session() -> None:
    """Logout: this browser's server-side session ends and its cookie is emptied (new CSRF token too)."""
    sid = getattr(current_user, "sid", None)
    if sid:
        session_svc.end_session(db_session(), sid=sid)
    logout_user()
    flask_session.clear()


@login_manager.request_loader
def _load_from_bearer(req: Any) -> SessionUser | None:
    token = _bearer_header()
    if token is None:
        return None
    user = user_for_token(db_session(), token)
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
    """CSRF applies to cookie-authenticated unsafe requests; requests authenticated by a (valid) bearer token
    carry no cookie risk. A bearer header that authenticates nobody leaves the request anonymous (the cookie
    is ignored then), so it is answered 401, never let through on the cookie."""
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    if current_user.is_authenticated and g.get("bearer"):
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
        begin_session(user)
        return me_dict(user)


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    @blp.doc(operationId="logout")
    def post(self) -> None:
        """退出登录（结束本浏览器的会话）"""
        if current_user.is_authenticated and not g.get("bearer"):
            # only a browser session passed the CSRF check: a request that is anonymous (e.g. a cookie sent with
            # a made-up bearer token, which skips the cookie) changes nothing, not even the cookie
            end_session()


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
    @blp.alt_response(404, description="令牌不存在或不在您的管辖范围内")
    @blp.doc(operationId="revokeToken")
    def delete(self, token_id: int) -> None:
        """吊销 API 令牌（本人的令牌；管理员：本组织及下级用户的令牌）"""
        revoke_token(db_session(), token_id=token_id, actor=current_actor(), client=request.remote_addr or "-")
