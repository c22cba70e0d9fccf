"""Web UI: the supervisors' bulk actions — reassign the cases ticked in the case list (or all open cases of one
mediator) to another mediator, and acknowledge the alerts ticked in the inbox with one note. Each case and each
alert goes through the same service as one at a time; the refused ones are listed with their reason."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from api.auth import csrf
from api.db import db_session
from api.rest.notifications import assignment_observers
from api.ui.dashboard import _group_ids
from api.ui.forms import form_int
from api.ui.pages import _ctx, page_error
from mediation.cases import assignment
from mediation.db.models import User
from mediation.domain.enums import Role
from mediation.domain.errors import DomainError
from mediation.risk import alerts as alert_svc

bp = Blueprint("ui_bulk", __name__, template_folder="templates", url_prefix="/ui")


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    def may_bulk() -> bool:
        return bool(current_user.is_authenticated and current_user.role in (Role.SUPERVISOR, Role.ADMIN))

    return {"may_bulk": may_bulk}


def _ids(name: str) -> tuple[list[int], list[str]]:
    ids, bad = [], []
    for raw in request.form.getlist(name):
        n = form_int(raw)
        (ids.append(n) if n is not None else bad.append(raw[:20]))
    return ids, bad


@bp.route("/cases/bulk/reassign", methods=["POST"])
@login_required
def reassign() -> Any:
    csrf.protect()
    back = request.form.get("back") or url_for("case_list.case_list")
    if not back.startswith("/ui/"):
        back = url_for("case_list.case_list")
    session = db_session()
    actor = current_user.actor
    ids, bad = _ids("case_ids")
    mediator_id = form_int(request.form.get("mediator_id"))
    from_id = form_int(request.form.get("from_mediator_id"))
    problems = []
    if mediator_id is None:
        problems.append("请选择新的主办调解员")
    if bad:
        problems.append("所选案件编号无效")
    if not ids and from_id is None:
        problems.append("请勾选案件，或选择原主办调解员")
    if problems:
        flash("批量改派未执行：" + "；".join(problems), "error")
        return redirect(back)
    try:
        if from_id is not None:
            ids += assignment.cases_of_mediator(session, actor=actor, mediator_id=from_id)
            session.rollback()
        assert mediator_id is not None
        results = assignment.bulk_reassign(session, actor=actor, case_ids=ids, mediator_id=mediator_id,
                                           reason=request.form.get("reason", "").strip()[:500],
                                           observers=assignment_observers())
    except DomainError as exc:
        flash(f"批量改派未执行：{exc.detail}", "error")
        return redirect(back)
    target = session.get(User, mediator_id)
    done = [r for r in results if r.ok]
    refused = [r for r in results if not r.ok]
    return render_template("ui/bulk_result.html", done=done, refused=refused, back=back,
                           mediator=target.display_name if target else "", **_ctx())


@bp.route("/alerts/bulk/acknowledge", methods=["POST"])
@login_required
def acknowledge() -> Any:
    csrf.protect()
    status = request.form.get("back") or "open"
    ids, bad = _ids("alert_ids")
    note = request.form.get("note", "").strip()
    if bad or not ids or not note:
        flash("批量签收未执行：" + ("请勾选预警" if not ids or bad else "请填写签收意见"), "error")
        return redirect(url_for("dashboard.alerts_inbox", status=status))
    try:
        expanded: list[int] = []
        for i in ids:  # each ticked entry with the earlier alerts of the same enterprise (as one at a time)
            try:
                expanded += _group_ids(i, ("open",))
            except DomainError:
                expanded.append(i)  # refused below, with its reason
        results = alert_svc.bulk_acknowledge(db_session(), actor=current_user.actor,
                                             alert_ids=list(dict.fromkeys(expanded)), note=note[:2000])
    except DomainError as exc:
        flash(f"批量签收未执行：{exc.detail}", "error")
        return redirect(url_for("dashboard.alerts_inbox", status=status))
    done = sum(1 for r in results if r["ok"])
    flash(f"已批量签收{done}条预警，签收意见：{note[:200]}", "ok")
    refused = [r for r in results if not r["ok"]]
    if refused:
        flash("未能签收：" + "；".join(f"预警{r['alert_id']}（{r['reason']}）" for r in refused[:20]), "error")
    return redirect(url_for("dashboard.alerts_inbox", status=status))


for _code in (403, 404):
    bp.register_error_handler(_code, page_error)
