"""Reading and managing notifications: a user's in-app notices (list, count, mark read), the messages sent about
a case (the recipient masked), the failed deliveries a supervisor sees, and a user's preferences."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from mediation.db.models import Case, Organisation, User
from mediation.db.models_notify import NotificationMessage, NotificationPreference
from mediation.domain.errors import NotFound, PermissionDenied, ValidationFailed
from mediation.domain.identity import mask_email, mask_name, mask_phone
from mediation.domain.policy import Actor
from mediation.notify.service import DELIVER_TASK
from mediation.notify.templates import CHANNEL_LABELS, EVENT_LABELS, STATUS_LABELS
from mediation.queue import JobQueue
from workflows.schema import StrictBoolean

PAGE = 50


def masked_address(m: NotificationMessage) -> str:
    if not m.address:
        return ""
    return (mask_email(m.address) if m.channel == "email" else mask_phone(m.address)) or ""


def message_dict(m: NotificationMessage, *, with_text: bool = True) -> dict[str, Any]:
    """A message as the case page and the API show it: the recipient masked (personal-data policy)."""
    out: dict[str, Any] = {
        "id": m.id, "case_id": m.case_id, "event": m.event, "event_label": EVENT_LABELS.get(m.event, m.event),
        "channel": m.channel, "channel_label": CHANNEL_LABELS.get(m.channel, m.channel),
        "recipient_kind": m.recipient_kind,
        "recipient": m.recipient_name if m.recipient_kind == "user" else (mask_name(m.recipient_name) or ""),
        "address": masked_address(m), "status": m.status, "status_label": STATUS_LABELS.get(m.status, m.status),
        "attempts": m.attempts, "created_at": m.created_at, "not_before": m.not_before, "sent_at": m.sent_at,
        "error": m.last_error if m.status != "sent" else "", "subject": m.subject,
    }
    if with_text:
        out["body"] = m.body
    return out


# --- in-app notices -------------------------------------------------------------------------------------------


def _inbox_filter(user_id: int) -> Any:
    return (NotificationMessage.recipient_user_id == user_id) & (NotificationMessage.channel == "inapp")


def inbox(session: Session, *, user_id: int, unread_only: bool = False, page: int = 1) -> tuple[list[Any], int]:
    cond = _inbox_filter(user_id)
    if unread_only:
        cond = cond & NotificationMessage.read_at.is_(None)
    total = session.scalar(select(func.count()).select_from(NotificationMessage).where(cond)) or 0
    rows = session.scalars(select(NotificationMessage).where(cond).order_by(NotificationMessage.id.desc())
                           .offset((page - 1) * PAGE).limit(PAGE)).all()
    return list(rows), total


def unread_count(session: Session, *, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(NotificationMessage)
                          .where(_inbox_filter(user_id), NotificationMessage.read_at.is_(None))) or 0


def mark_read(session: Session, *, user_id: int, message_id: int | None, now: dt.datetime) -> int:
    """Mark one notice (``message_id``) or all of the user's notices read; another user's notice is 404."""
    cond = _inbox_filter(user_id) & NotificationMessage.read_at.is_(None)
    if message_id is not None:
        m = session.get(NotificationMessage, message_id)
        if m is None or m.recipient_user_id != user_id or m.channel != "inapp":
            raise NotFound("没有这条通知")
        cond = cond & (NotificationMessage.id == message_id)
    result = session.execute(update(NotificationMessage).where(cond).values(read_at=now)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- cases and failures ---------------------------------------------------------------------------------------


def case_messages(session: Session, *, case_id: int) -> list[NotificationMessage]:
    """Every message about the case (parties and staff, every channel), newest first (the caller has
    checked that the actor may see the case)."""
    return list(session.scalars(select(NotificationMessage).where(NotificationMessage.case_id == case_id)
                                .order_by(NotificationMessage.id.desc()).limit(500)))


def failed_messages(session: Session, *, actor: Actor, page: int = 1) -> tuple[list[NotificationMessage], int]:
    """Failed deliveries in the supervisor's subtree (a case of it, or a user of it)."""
    if actor.role not in ("supervisor", "admin"):
        raise PermissionDenied("仅督导人员和管理员可查看发送失败的通知")
    case_orgs = select(Case.id).join(Organisation, Organisation.id == Case.organisation_id) \
        .where(Organisation.path.startswith(actor.org_path))
    users = select(User.id).join(Organisation, Organisation.id == User.organisation_id) \
        .where(Organisation.path.startswith(actor.org_path))
    cond = (NotificationMessage.status == "failed") & or_(NotificationMessage.case_id.in_(case_orgs),
                                                          NotificationMessage.recipient_user_id.in_(users))
    total = session.scalar(select(func.count()).select_from(NotificationMessage).where(cond)) or 0
    rows = session.scalars(select(NotificationMessage).where(cond).order_by(NotificationMessage.id.desc())
                           .offset((page - 1) * PAGE).limit(PAGE)).all()
    return list(rows), total


def retry_failed(session: Session, *, actor: Actor, message_id: int, queue: JobQueue,
                 now: dt.datetime) -> NotificationMessage:
    """Send a failed message again (a supervisor, after correcting an address or the mail settings): pending,
    its attempts counted afresh, its delivery job queued in this unit of work. Outside the subtree: 404."""
    if actor.role not in ("supervisor", "admin"):
        raise PermissionDenied("仅督导人员和管理员可重新发送通知")
    m = session.get(NotificationMessage, message_id)
    if m is None or m.status != "failed" or not _in_subtree(session, actor, m):
        raise NotFound("没有这条发送失败的通知")
    m.status, m.attempts, m.not_before = "pending", 0, now
    queue.defer(session, DELIVER_TASK, message_id=m.id)
    return m


def _in_subtree(session: Session, actor: Actor, m: NotificationMessage) -> bool:
    if m.case_id is not None:
        case = session.get(Case, m.case_id)
        return case is not None and case.organisation.path.startswith(actor.org_path)
    user = session.get(User, m.recipient_user_id) if m.recipient_user_id is not None else None
    return user is not None and user.organisation.path.startswith(actor.org_path)


def failed_count(session: Session, *, actor: Actor) -> int:
    return failed_messages(session, actor=actor)[1] if actor.role in ("supervisor", "admin") else 0


# --- preferences ----------------------------------------------------------------------------------------------


def _time(value: str | None, field: str) -> dt.time | None:
    if value in (None, ""):
        return None
    try:
        t = dt.time.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("时间格式应为 HH:MM，例如 22:00", field) from exc
    if t.second or t.microsecond or t.tzinfo:
        raise ValidationError("时间格式应为 HH:MM，例如 22:00", field)
    return t


class PreferencesSchema(Schema):
    class Meta:
        unknown = "raise"

    email = fields.Email(load_default=None, allow_none=True,
                         validate=validate.Length(max=254, error="电子邮件地址过长"),
                         error_messages={"invalid": "电子邮件地址格式不正确"})
    email_enabled = StrictBoolean(load_default=False)
    sms_enabled = StrictBoolean(load_default=False)
    quiet_start = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=8))
    quiet_end = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=8))

    @validates_schema
    def _check(self, data: Mapping[str, Any], **_: Any) -> None:
        """Every error at once, each under its field."""
        errors: dict[str, list[str]] = {}
        times: dict[str, dt.time | None] = {}
        for name in ("quiet_start", "quiet_end"):
            try:
                times[name] = _time(data.get(name), name)
            except ValidationError as exc:
                errors[name] = [str(m) for m in exc.messages] if isinstance(exc.messages, list) else [str(exc)]
        start, end = times.get("quiet_start"), times.get("quiet_end")
        if not errors:
            if (start is None) != (end is None):
                errors["quiet_end" if end is None else "quiet_start"] = ["免打扰时段须同时填写开始和结束时间"]
            elif start is not None and start == end:
                errors["quiet_end"] = ["免打扰时段的开始和结束时间不能相同"]
        if data.get("email_enabled") and not data.get("email"):
            errors["email"] = ["接收电子邮件须填写电子邮件地址"]
        if errors:
            raise ValidationError(errors)


def preferences_dict(session: Session, user: User) -> dict[str, Any]:
    pref = session.get(NotificationPreference, user.id)
    return {
        "inapp_enabled": True,
        "email": pref.email if pref else None,
        "email_enabled": bool(pref and pref.email_enabled),
        "sms_enabled": bool(pref and pref.sms_enabled),
        "phone": mask_phone(user.phone) if user.phone else None,
        "quiet_start": f"{pref.quiet_start:%H:%M}" if pref and pref.quiet_start else None,
        "quiet_end": f"{pref.quiet_end:%H:%M}" if pref and pref.quiet_end else None,
    }


def update_preferences(session: Session, *, user: User, data: Mapping[str, Any]) -> NotificationPreference:
    """Validate and store the user's choice (in-app notices are always on; SMS needs a phone on the user)."""
    try:
        d = PreferencesSchema().load(dict(data))
    except ValidationError as exc:
        raise ValidationFailed("通知设置有误", errors=exc.normalized_messages()) from exc
    if d["sms_enabled"] and not user.phone:
        raise ValidationFailed("接收短信须先在用户资料中登记手机号码", errors={"sms_enabled": ["没有登记手机号码"]})
    pref = session.get(NotificationPreference, user.id)
    if pref is None:
        pref = NotificationPreference(user_id=user.id)
        session.add(pref)
    pref.email = d["email"]
    pref.email_enabled = d["email_enabled"]
    pref.sms_enabled = d["sms_enabled"]
    pref.quiet_start = _time(d["quiet_start"], "quiet_start")
    pref.quiet_end = _time(d["quiet_end"], "quiet_end")
    pref.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    return pref
