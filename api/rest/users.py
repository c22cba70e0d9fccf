"""User administration (administrators): view, change role/organisation/name/phone, deactivate and
reactivate, reset a password, read the audit; and every user's own password change."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.auth import current_actor
from api.db import db_session
from api.rest.schemas import Id, Strict, UserOut
from mediation.accounts import users as user_svc
from mediation.db.models import User
from mediation.db.models_access import UserAdminEvent
from mediation.domain.identity import validate_phone
from workflows.schema import domain_check

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="用户管理：停用与恢复、角色与组织、密码")


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
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))


class PasswordChangeIn(Strict):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))


class UserEventOut(Schema):
    id = fields.Integer()
    action = fields.String(metadata={"description": "create / update / deactivate / reactivate / reset_password / "
                                                    "change_password"})
    actor_id = fields.Integer(allow_none=True, metadata={"description": "操作的管理员；命令行操作为空"})
    details = fields.Dict()
    at = fields.DateTime()


@blp.route("/users/<id:user_id>")
class UserItem(MethodView):
    @blp.response(200, UserOut)
    def get(self, user_id: int) -> User:
        """用户详情（管理员：本组织及下级）"""
        return user_svc.managed_user(db_session(), actor=current_actor(), user_id=user_id)

    @blp.arguments(UserPatchIn)
    @blp.response(200, UserOut)
    @blp.alt_response(404, description="用户不存在或不在管辖范围内")
    @blp.alt_response(422, description="输入有误（如停用或降级自己）")
    def patch(self, data: dict[str, Any], user_id: int) -> User:
        """修改用户：姓名、电话、角色、所在组织，或停用/恢复（管理员；每次修改均记录）"""
        return user_svc.update_user(db_session(), actor=current_actor(), user_id=user_id, changes=data)


@blp.route("/users/<id:user_id>/deactivate")
class UserDeactivate(MethodView):
    @blp.response(200, UserOut)
    def post(self, user_id: int) -> User:
        """停用用户（不能再登录，会话和 API 令牌随即失效）"""
        return user_svc.set_active(db_session(), actor=current_actor(), user_id=user_id, active=False)


@blp.route("/users/<id:user_id>/reactivate")
class UserReactivate(MethodView):
    @blp.response(200, UserOut)
    def post(self, user_id: int) -> User:
        """恢复启用用户"""
        return user_svc.set_active(db_session(), actor=current_actor(), user_id=user_id, active=True)


@blp.route("/users/<id:user_id>/password")
class UserPassword(MethodView):
    @blp.arguments(PasswordResetIn)
    @blp.response(204)
    def post(self, data: dict[str, Any], user_id: int) -> None:
        """重置用户密码（管理员；该用户的 API 令牌同时吊销）"""
        user_svc.reset_password(db_session(), actor=current_actor(), user_id=user_id, password=data["password"])


@blp.route("/users/<id:user_id>/events")
class UserEvents(MethodView):
    @blp.response(200, UserEventOut(many=True))
    def get(self, user_id: int) -> list[UserAdminEvent]:
        """用户管理记录（创建、修改、停用、恢复、重置密码）"""
        return user_svc.user_events(db_session(), actor=current_actor(), user_id=user_id)


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.arguments(PasswordChangeIn)
    @blp.response(204)
    @blp.alt_response(422, description="当前密码不正确或新密码不符合要求")
    def post(self, data: dict[str, Any]) -> None:
        """修改本人密码"""
        user_svc.change_own_password(db_session(), actor=current_actor(), current_password=data["current_password"],
                                     new_password=data["new_password"])
