"""Web UI of the notifications: the header's bell (unread count, loaded by htmx), one's notices (mark read), the
preferences page (channels, quiet hours), the case page's 通知记录 section, and the failed deliveries
(supervisors)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from api.auth import csrf
from api.db import db_session
from api.ui.forms import field_errors
from api.ui.pages import _ctx
from mediation.cases import service as case_svc
from mediation.db.models import User
from mediation.db.uow import unit_of_work
from mediation.domain.errors import NotFound, PermissionDenied, ValidationFailed
from mediation.notify import queries

bp = Blueprint("ui_notices", __name__, template_folder="templates", url_prefix="/ui")


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= 100000 else 1


def _me() -> User:
    user = db_session().get(User, current_user.actor.user_id)
    if user is None:
        abort(403)
    return user


@bp.route("/notices/badge")
@login_required
def badge() -> str:
    n = queries.unread_count(db_session(), user_id=current_user.actor.user_id)
    return render_template("ui/_notice_badge.html", unread=n)


@bp.route("/notices")
@login_required
def notices() -> str:
    session, user = db_session(), _me()
    unread_only = request.args.get("unread") == "1"
    rows, total = queries.inbox(session, user_id=user.id, unread_only=unread_only, page=_page())
    return render_template("ui/notices.html", rows=rows, total=total, unread_only=unread_only,
                           unread=queries.unread_count(session, user_id=user.id),
                           failed=queries.failed_count(session, actor=current_user.actor), **_ctx())


@bp.route("/notices/read", methods=["POST"])
@login_required
def mark_read() -> Any:
    csrf.protect()
    session, user = db_session(), _me()
    raw = request.form.get("id", "")
    message_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None
    try:
        with unit_of_work(session):
            queries.mark_read(session, user_id=user.id, message_id=message_id, now=dt.datetime.now(dt.UTC))
    except NotFound:
        abort(404)
    flash("已标为已读", "ok")
    return redirect(url_for("ui_notices.notices"))


@bp.route("/notices/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> Any:
    session, user = db_session(), _me()
    errors: dict[str, list[str]] = {}
    message = None
    form: dict[str, Any] = queries.preferences_dict(session, user)
    if request.method == "POST":
        csrf.protect()
        form = {"email": request.form.get("email", "").strip() or None,
                "email_enabled": request.form.get("email_enabled") == "1",
                "sms_enabled": request.form.get("sms_enabled") == "1",
                "quiet_start": request.form.get("quiet_start", "").strip() or None,
                "quiet_end": request.form.get("quiet_end", "").strip() or None}
        try:
            with unit_of_work(session):
                queries.update_preferences(session, user=user, data=form)
            flash("通知设置已保存", "ok")
            return redirect(url_for("ui_notices.preferences"))
        except ValidationFailed as exc:
            errors, message = field_errors(exc.errors), exc.detail
            form["phone"] = queries.preferences_dict(session, user)["phone"]
    return render_template("ui/notice_prefs.html", form=form, errors=errors, message=message,
                           labels=PREF_LABELS, **_ctx()), (422 if errors else 200)


PREF_LABELS = {"email": "电子邮件地址", "email_enabled": "接收电子邮件", "sms_enabled": "接收短信",
               "quiet_start": "免打扰开始", "quiet_end": "免打扰结束"}


@bp.route("/cases/<id:case_id>/notices")
@login_required
def case_section(case_id: int) -> str:
    session = db_session()
    try:
        case = case_svc.get_case(session, case_id=case_id, actor=current_user.actor)
    except NotFound:
        abort(404)
    rows = [queries.message_dict(m) for m in queries.case_messages(session, case_id=case.id)]
    return render_template("ui/_case_notices.html", case=case, rows=rows, **_ctx())


@bp.route("/notices/<id:message_id>/retry", methods=["POST"])
@login_required
def retry(message_id: int) -> Any:
    csrf.protect()
    session = db_session()
    try:
        with unit_of_work(session):
            queries.retry_failed(session, actor=current_user.actor, message_id=message_id,
                                 queue=current_app.extensions["mediation.queue"], now=dt.datetime.now(dt.UTC))
    except PermissionDenied:
        abort(403)
    except NotFound:
        abort(404)
    flash("已重新发送；结果见本案的通知记录", "ok")
    return redirect(url_for("ui_notices.failed"))


@bp.route("/notices/failed")
@login_required
def failed() -> str:
    try:
        rows, total = queries.failed_messages(db_session(), actor=current_user.actor, page=_page())
    except PermissionDenied:
        abort(403)
    return render_template("ui/notices_failed.html", rows=[queries.message_dict(m) for m in rows], total=total,
                           **_ctx())
