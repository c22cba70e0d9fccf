"""Notifications: one's own in-app notices and preferences, the messages sent about a case, the failed
deliveries (supervisors), and fixing a mediation session ahead (the parties are told)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.db import db_session, service_env
from mediation.cases import service as case_svc
from mediation.db.models import User
from mediation.db.models_notify import NotificationMessage
from mediation.db.uow import unit_of_work
from mediation.domain.errors import PermissionDenied, ValidationFailed
from mediation.domain.policy import can
from mediation.notify import NotifySettings, notifier_for, queries
from mediation.notify.appointments import AppointmentSchema, schedule_session
from mediation.notify.observer import NotificationObserver
from mediation.notify.service import Notifier
from mediation.runtime.hooks import Observer

blp = Blueprint("notifications", __name__, url_prefix="/api/v1",
                description="通知：站内通知、通知设置（渠道与免打扰时段）、案件的通知记录、发送失败的通知、调解会议安排")


class MessageOut(Schema):
    id = fields.Integer(required=True)
    case_id = fields.Integer(allow_none=True)
    event = fields.String(required=True)
    event_label = fields.String(required=True)
    channel = fields.String(required=True, metadata={"description": "email | sms | inapp"})
    channel_label = fields.String(required=True)
    recipient_kind = fields.String(required=True, metadata={"description": "party 当事人 | user 工作人员"})
    recipient = fields.String(required=True, metadata={"description": "收件人（当事人姓名已遮蔽）"})
    address = fields.String(required=True, metadata={"description": "遮蔽后的电子邮件地址或手机号码"})
    status = fields.String(required=True, metadata={"description": "pending 待发送 | sent 已送达 | failed 发送失败"})
    status_label = fields.String(required=True)
    attempts = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    not_before = fields.DateTime(required=True, metadata={"description": "最早发送时间（免打扰、重试间隔）"})
    sent_at = fields.DateTime(allow_none=True)
    error = fields.String(required=True)
    subject = fields.String(required=True)
    body = fields.String()
    read_at = fields.DateTime(allow_none=True)


class MessagePage(Schema):
    items = fields.List(fields.Nested(MessageOut), required=True)
    total = fields.Integer(required=True)
    unread = fields.Integer()


class InboxArgs(Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "只列未读"},
                            error_messages={"invalid": "unread 应为 true 或 false"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000, error="页码应在1至100000之间"),
                          error_messages={"invalid": "页码应为整数"})


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000, error="页码应在1至100000之间"),
                          error_messages={"invalid": "页码应为整数"})


class ReadOut(Schema):
    marked = fields.Integer(required=True, metadata={"description": "标为已读的条数"})
    unread = fields.Integer(required=True)


class PreferencesOut(Schema):
    inapp_enabled = fields.Boolean(required=True, metadata={"description": "站内通知始终开启"})
    email = fields.String(allow_none=True)
    email_enabled = fields.Boolean(required=True)
    sms_enabled = fields.Boolean(required=True)
    phone = fields.String(allow_none=True, metadata={"description": "短信发往用户资料中的手机号码（遮蔽显示）"})
    quiet_start = fields.String(allow_none=True, metadata={"description": "免打扰开始（北京时间 HH:MM）"})
    quiet_end = fields.String(allow_none=True, metadata={"description": "免打扰结束（北京时间 HH:MM）"})


class PreferencesIn(queries.PreferencesSchema):
    pass


class AppointmentIn(AppointmentSchema):
    class Meta:
        unknown = "raise"


class AppointmentOut(Schema):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    starts_at = fields.DateTime(required=True)
    place = fields.String(required=True)
    notified = fields.Integer(required=True, metadata={"description": "记录的通知条数（每位当事人、每个渠道一条）"})


def _user() -> User:
    actor = current_actor()
    user = db_session().get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise PermissionDenied("仅工作人员账号有通知")
    return user


def notifier() -> Notifier:
    """The notifier of the application (its queue: the workers', or inline after the commit)."""
    found = current_app.extensions.get("mediation.notifier")
    if found is None:
        found = notifier_for(NotifySettings.from_env(), current_app.extensions["mediation.queue"])
        current_app.extensions["mediation.notifier"] = found
    return found  # type: ignore[no-any-return]


def assignment_observers() -> tuple[Observer, ...]:
    """What sees an assignment in its unit of work: the notifications observer of the application's environment
    (the new lead mediator is told). The risk observer is not involved: an assignment changes no risk fact."""
    return tuple(o for o in service_env().observers if isinstance(o, NotificationObserver))


def _body() -> dict[str, Any]:
    """The JSON object sent; no body, or one that is not an object, is a 422 naming the body."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("请求内容应为 JSON 对象（键值对）", errors={"_schema": ["请求内容应为 JSON 对象"]})
    return dict(body)


@blp.route("/me/notifications")
class MyNotifications(MethodView):
    @blp.arguments(InboxArgs, location="query")
    @blp.response(200, MessagePage)
    @blp.doc(operationId="listMyNotifications")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """本人的站内通知（最新在前，每页50条）"""
        user, session = _user(), db_session()
        rows, total = queries.inbox(session, user_id=user.id, unread_only=args["unread"], page=args["page"])
        items = [{**queries.message_dict(m), "read_at": m.read_at} for m in rows]
        return {"items": items, "total": total, "unread": queries.unread_count(session, user_id=user.id)}


@blp.route("/me/notifications/read")
class MyNotificationsRead(MethodView):
    @blp.response(200, ReadOut)
    @blp.doc(operationId="markAllMyNotificationsRead")
    def post(self) -> dict[str, Any]:
        """把本人的站内通知全部标为已读"""
        user, session = _user(), db_session()
        with unit_of_work(session):
            n = queries.mark_read(session, user_id=user.id, message_id=None, now=dt.datetime.now(dt.UTC))
        return {"marked": n, "unread": queries.unread_count(session, user_id=user.id)}


@blp.route("/me/notifications/<id:message_id>/read")
class MyNotificationRead(MethodView):
    @blp.response(200, ReadOut)
    @blp.alt_response(404, description="没有这条通知（或不是本人的）")
    @blp.doc(operationId="markMyNotificationRead")
    def post(self, message_id: int) -> dict[str, Any]:
        """把一条站内通知标为已读"""
        user, session = _user(), db_session()
        with unit_of_work(session):
            n = queries.mark_read(session, user_id=user.id, message_id=message_id, now=dt.datetime.now(dt.UTC))
        return {"marked": n, "unread": queries.unread_count(session, user_id=user.id)}


@blp.route("/me/notification-preferences")
class MyPreferences(MethodView):
    @blp.response(200, PreferencesOut)
    @blp.doc(operationId="getMyNotificationPreferences")
    def get(self) -> dict[str, Any]:
        """本人的通知设置：站内通知始终开启，电子邮件、短信可选；免打扰时段内邮件和短信顺延至时段结束"""
        return queries.preferences_dict(db_session(), _user())

    @blp.arguments(PreferencesIn)
    @blp.response(200, PreferencesOut)
    @blp.alt_response(422, description="设置有误（字段名见 errors）")
    @blp.doc(operationId="updateMyNotificationPreferences")
    def put(self, _data: dict[str, Any]) -> dict[str, Any]:
        """修改本人的通知设置（整体替换）"""
        user, session = _user(), db_session()
        with unit_of_work(session):
            queries.update_preferences(session, user=user, data=_body())
        return queries.preferences_dict(session, user)


@blp.route("/cases/<id:case_id>/notifications")
class CaseNotifications(MethodView):
    @blp.response(200, MessagePage)
    @blp.doc(operationId="listCaseNotifications")
    def get(self, case_id: int) -> dict[str, Any]:
        """本案发出的通知：收件人（遮蔽）、渠道、时间、状态与正文"""
        session = db_session()
        case_svc.get_case(session, case_id=case_id, actor=current_actor())
        rows = queries.case_messages(session, case_id=case_id)
        return {"items": [queries.message_dict(m) for m in rows], "total": len(rows)}


@blp.route("/notifications/failed")
class FailedNotifications(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, MessagePage)
    @blp.alt_response(403, description="仅督导人员和管理员")
    @blp.doc(operationId="listFailedNotifications")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """辖区内发送失败的通知（多次重试后仍失败），含失败原因"""
        rows, total = queries.failed_messages(db_session(), actor=current_actor(), page=args["page"])
        return {"items": [queries.message_dict(m) for m in rows], "total": total}


@blp.route("/notifications/<id:message_id>/retry")
class RetryNotification(MethodView):
    @blp.response(200, MessageOut)
    @blp.alt_response(404, description="没有这条发送失败的通知（或不在辖区内）")
    @blp.doc(operationId="retryNotification")
    def post(self, message_id: int) -> dict[str, Any]:
        """重新发送一条发送失败的通知（如已更正联系方式或邮件设置）：重新计算尝试次数"""
        session = db_session()
        with unit_of_work(session):
            m = queries.retry_failed(session, actor=current_actor(), message_id=message_id,
                                     queue=current_app.extensions["mediation.queue"], now=dt.datetime.now(dt.UTC))
            message_id = m.id
        found = session.get(NotificationMessage, message_id)
        assert found is not None
        return queries.message_dict(found)


@blp.route("/cases/<id:case_id>/appointments")
class CaseAppointments(MethodView):
    @blp.arguments(AppointmentIn)
    @blp.response(201, AppointmentOut)
    @blp.alt_response(422, description="时间、地点有误或案件状态不允许")
    @blp.doc(operationId="scheduleSession")
    def post(self, _data: dict[str, Any], case_id: int) -> dict[str, Any]:
        """安排调解会议：通知各方当事人（电子邮件、短信），会议前一日再提醒"""
        session, actor = db_session(), current_actor()
        with unit_of_work(session):
            case = case_svc.get_case(session, case_id=case_id, actor=actor, for_update=True, with_=("parties",))
            if not can(actor, "act", case) or actor.role not in ("mediator", "clerk"):
                raise PermissionDenied("仅本调解组织的调解员和书记员可安排调解会议")
            appt, messages = schedule_session(session, case=case, data=_body(), actor_id=actor.user_id,
                                              notifier=notifier())
            result = {"id": appt.id, "case_id": case.id, "starts_at": appt.starts_at, "place": appt.place,
                      "notified": len(messages)}
        return result
