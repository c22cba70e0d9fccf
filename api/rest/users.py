"""User administration (administrators): view, change role/organisation/name/phone, deactivate and
reactivate, reset a password, read the audit; and every user's own password change."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.auth import begin_session, current_actor
from api.db import db_session
from api.rest.representations import PASSWORD_RULE, Id, Strict, UserOut
from mediation.accounts import audit
from mediation.accounts import sessions as session_svc
from mediation.accounts import users as user_svc
from mediation.db.models import User
from mediation.db.models_access import UserAdminEvent, UserSession
from mediation.domain.identity import validate_phone
from workflows.schema import domain_check

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="用户：本人、回避申报与用户管理")


class _StrictBool(fields.Boolean):
    """JSON ``true`` or ``false`` only (not 0/1 or strings)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class UserPatchIn(Strict):
    display_name = fields.String(validate=validate.Length(min=1, max=64))
    phone = fields.String(allow_none=True, validate=domain_check(validate_phone))
    role = fields.String(validate=validate.OneOf([r.value for r in user_svc.ASSIGNABLE_ROLES]))
    organisation_id = Id()
    active = _StrictBool(metadata={"description": "false：停用（不能登录，会话和 API 令牌随即失效）"})

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("请至少提供一项要修改的内容")


class PasswordResetIn(Strict):
    password = fields.String(required=True, load_only=True, validate=PASSWORD_RULE)


class PasswordChangeIn(Strict):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, load_only=True, validate=PASSWORD_RULE)


class UserEventOut(Schema):
    id = fields.Integer()
    user_id = fields.Integer(metadata={"description": "被操作的用户"})
    action = fields.String(metadata={"description": "；".join(f"{k}：{v}" for k, v in audit.ACTIONS.items())})
    action_label = fields.Function(lambda e: audit.ACTIONS.get(e.action, e.action))
    actor_id = fields.Integer(allow_none=True, metadata={"description": "操作人（管理员或用户本人）；命令行操作为空"})
    client = fields.String(allow_none=True, metadata={"description": "操作来自的客户端地址；命令行为 cli"})
    details = fields.Dict()
    at = fields.DateTime()


class UserEventQuery(Strict):
    action = fields.String(validate=validate.OneOf(list(audit.ACTIONS)))
    user_id = Id(strict=False)
    since = fields.AwareDateTime(metadata={"description": "只列出此时刻及以后的记录"})
    before_id = Id(strict=False, metadata={"description": "翻页：只列出编号小于此值的记录"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class BrowserSessionOut(Schema):
    id = fields.Integer()
    created_at = fields.DateTime(metadata={"description": "登录时间"})
    last_seen_at = fields.DateTime(metadata={"description": "最近使用时间（约每5分钟更新）"})
    expires_at = fields.DateTime(metadata={"description": "到期时间（到期须重新登录）"})
    ip = fields.String(metadata={"description": "登录时的客户端地址"})
    user_agent = fields.String(metadata={"description": "登录时的浏览器"})
    current = fields.Boolean(metadata={"description": "是否为发出本请求的浏览器会话"})


@blp.route("/users/<id:user_id>")
class UserItem(MethodView):
    @blp.response(200, UserOut)
    @blp.doc(operationId="getUser")
    def get(self, user_id: int) -> User:
        """用户详情（管理员：本组织及下级）"""
        return user_svc.managed_user(db_session(), actor=current_actor(), user_id=user_id)

    @blp.arguments(UserPatchIn)
    @blp.response(200, UserOut)
    @blp.alt_response(404, description="用户不存在或不在管辖范围内")
    @blp.alt_response(422, description="输入有误（如停用或降级自己）")
    @blp.doc(operationId="updateUser")
    def patch(self, data: dict[str, Any], user_id: int) -> User:
        """修改用户：姓名、电话、角色、所在组织，或停用/恢复（管理员；每次修改均记录）"""
        return user_svc.update_user(db_session(), actor=current_actor(), user_id=user_id, changes=data,
                                    client=_client())


@blp.route("/users/<id:user_id>/deactivate")
class UserDeactivate(MethodView):
    @blp.response(200, UserOut)
    @blp.doc(operationId="deactivateUser")
    def post(self, user_id: int) -> User:
        """停用用户（不能再登录，会话和 API 令牌随即失效）"""
        return user_svc.set_active(db_session(), actor=current_actor(), user_id=user_id, active=False,
                                   client=_client())


@blp.route("/users/<id:user_id>/reactivate")
class UserReactivate(MethodView):
    @blp.response(200, UserOut)
    @blp.doc(operationId="reactivateUser")
    def post(self, user_id: int) -> User:
        """恢复启用用户"""
        return user_svc.set_active(db_session(), actor=current_actor(), user_id=user_id, active=True,
                                   client=_client())


@blp.route("/users/<id:user_id>/password")
class UserPassword(MethodView):
    @blp.arguments(PasswordResetIn)
    @blp.response(204)
    @blp.doc(operationId="resetUserPassword")
    def post(self, data: dict[str, Any], user_id: int) -> None:
        """重置用户密码（管理员；该用户的 API 令牌同时吊销）"""
        user_svc.reset_password(db_session(), actor=current_actor(), user_id=user_id, password=data["password"],
                                client=_client())


@blp.route("/users/<id:user_id>/events")
class UserEvents(MethodView):
    @blp.response(200, UserEventOut(many=True))
    @blp.doc(operationId="listUserEvents")
    def get(self, user_id: int) -> list[UserAdminEvent]:
        """用户管理记录（创建、修改、停用、恢复、重置密码）"""
        return user_svc.user_events(db_session(), actor=current_actor(), user_id=user_id)


@blp.route("/users/events")
class UserEventList(MethodView):
    @blp.arguments(UserEventQuery, location="query")
    @blp.response(200, UserEventOut(many=True))
    @blp.doc(operationId="listUserEventsInScope")
    def get(self, query: dict[str, Any]) -> list[UserAdminEvent]:
        """用户管理与访问审计（管理员：本组织及下级用户的记录，最新的在前）：谁、对谁、何时、从哪个客户端，
        包括角色变更、停用、重置密码、吊销令牌、结束会话"""
        return audit.events_in_scope(db_session(), actor=current_actor(), **query)


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.arguments(PasswordChangeIn)
    @blp.response(204)
    @blp.alt_response(422, description="当前密码不正确或新密码不符合要求")
    @blp.alt_response(429, description="当前密码错误次数过多，须等待后再试")
    @blp.doc(operationId="changeMyPassword")
    def post(self, data: dict[str, Any]) -> None:
        """修改本人密码（本人的所有浏览器会话随即结束、API 令牌全部吊销；发出请求的浏览器获得新会话）"""
        user = user_svc.change_own_password(db_session(), actor=current_actor(),
                                            current_password=data["current_password"],
                                            new_password=data["new_password"], client=_client())
        if not g.get("bearer"):
            begin_session(user, rotate_csrf=False)  # this browser stays logged in, on a new session


def _client() -> str:
    return request.remote_addr or "-"


def _current_session_id() -> int | None:
    sid = getattr(current_user, "sid", None)
    return session_svc.session_id_of(db_session(), sid) if sid else None


@blp.route("/me/sessions")
class MySessions(MethodView):
    @blp.response(200, BrowserSessionOut(many=True))
    @blp.doc(operationId="listMySessions")
    def get(self) -> list[dict[str, Any]]:
        """本人当前有效的浏览器会话（最新的在前）"""
        actor = current_actor()
        assert actor.user_id is not None
        rows = session_svc.list_sessions(db_session(), user_id=actor.user_id)
        here = _current_session_id()
        return [_session_dict(r, here) for r in rows]

    @blp.response(204)
    @blp.doc(operationId="endMyOtherSessions")
    def delete(self) -> None:
        """结束本人的其他所有浏览器会话（发出请求的浏览器会话保留）"""
        session_svc.end_other_sessions(db_session(), actor=current_actor(), except_id=_current_session_id(),
                                       client=_client())


@blp.route("/me/sessions/<id:session_id>")
class MySessionItem(MethodView):
    @blp.response(204)
    @blp.alt_response(404, description="会话不存在")
    @blp.doc(operationId="endMySession")
    def delete(self, session_id: int) -> None:
        """结束本人的某一浏览器会话"""
        session_svc.revoke_own_session(db_session(), actor=current_actor(), session_id=session_id, client=_client())


def _session_dict(row: UserSession, current_id: int | None) -> dict[str, Any]:
    return {"id": row.id, "created_at": row.created_at, "last_seen_at": row.last_seen_at,
            "expires_at": row.expires_at, "ip": row.ip, "user_agent": row.user_agent,
            "current": row.id == current_id}
