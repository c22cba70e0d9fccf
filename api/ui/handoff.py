"""Web UI: the case page's 移交材料 section (documents/handoff.py) — the packages this case may have now (or why
not, with the window's last day), make one, its contents, download of the ZIP and the merged PDF, and the dispatch
and outcome forms. The section is loaded into the case page with htmx and its forms answer with the section again
(errors beside their fields); without htmx they post and come back to the case page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from api.auth import csrf
from api.db import blob_store, db_session, service_env
from api.ui.forms import field_errors
from api.ui.pages import _ctx, page_error
from documents import handoff
from mediation.cases import service as case_svc
from mediation.domain.enums import Role
from mediation.domain.errors import DomainError, NotFound, ValidationFailed
from mediation.domain.policy import can

bp = Blueprint("ui_handoff", __name__, template_folder="templates", url_prefix="/ui")


def _section(case_id: int, *, errors: dict[str, list[str]] | None = None, message: str | None = None,
             failed: str | None = None, form: Any = None) -> str:
    session, actor = db_session(), current_user.actor
    case = case_svc.get_case(session, case_id=case_id, actor=actor, with_=("deadlines", "agreements"))
    options = handoff.package_options(case, service_env().today())
    packages = [handoff.package_dict(p) for p in handoff.list_packages(session, actor=actor, case_id=case_id)]
    html = render_template(
        "ui/_handoff.html", case=case, options=options, packages=packages, errors=errors or {}, message=message,
        failed=failed, form=form or {}, may_act=can(actor, "act", case), show_checksums=actor.role == Role.ADMIN,
        may_download=can(actor, "read_personal", case), methods=handoff.DISPATCH_METHODS,
        outcomes=handoff.OUTCOMES, review_kinds=handoff.REVIEW_KINDS, **_ctx())
    session.rollback()
    return html


def _done(case_id: int, message: str, *, reload: bool) -> Any:
    """After a successful form: htmx gets the section again (or the whole page, when the case moved on)."""
    target = url_for("ui.case_page", case_id=case_id) + "#handoff"
    if request.headers.get("HX-Request") and not reload:
        return _section(case_id, message=message)
    flash(message, "ok")
    if request.headers.get("HX-Request"):
        # the whole page again (the case's state and history changed); a redirect to the same page with only a
        # fragment added would not reload it
        return Response("", headers={"HX-Refresh": "true"})
    return redirect(target)


def _refused(case_id: int, exc: DomainError, failed: str) -> Any:
    errors = field_errors(exc.extra.get("errors") or {}) if isinstance(exc, ValidationFailed) else {}
    if request.headers.get("HX-Request"):
        # htmx swaps 200 answers only: the section comes back with the errors beside their fields
        return _section(case_id, errors=errors, message=exc.detail, failed=failed, form=request.form)
    flash(exc.detail, "error")
    return redirect(url_for("ui.case_page", case_id=case_id) + "#handoff")


@bp.route("/cases/<id:case_id>/handoff")
@login_required
def section(case_id: int) -> Any:
    try:
        return _section(case_id)
    except NotFound:
        abort(404)


@bp.route("/cases/<id:case_id>/handoff/packages", methods=["POST"])
@login_required
def create(case_id: int) -> Any:
    csrf.protect()
    data = {"kind": request.form.get("kind", ""), "addressee": request.form.get("addressee", "").strip()}
    try:
        pkg = handoff.create_package(db_session(), actor=current_user.actor, case_id=case_id, data=data,
                                     env=service_env(), blobs=blob_store(),
                                     queue=current_app.extensions.get("mediation.queue"))
    except DomainError as exc:
        return _refused(case_id, exc, "create")
    what = handoff.KIND_LABELS[pkg.kind]
    # the whole page again: the documents it generated and the history changed too
    return _done(case_id, f"已制作{what}" if pkg.status == "ready" else f"{what}正在后台生成，稍后刷新查看",
                 reload=True)


def _form(fields: tuple[str, ...], *, date: str) -> dict[str, str]:
    """The form's fields, trimmed; the date only when given (the service then takes today)."""
    data = {k: request.form.get(k, "").strip() for k in fields}
    if request.form.get(date, "").strip():
        data[date] = request.form[date].strip()
    return data


@bp.route("/cases/<id:case_id>/handoff/packages/<id:package_id>/dispatch", methods=["POST"])
@login_required
def dispatch(case_id: int, package_id: int) -> Any:
    csrf.protect()
    data = _form(("dispatched_to", "method", "tracking_number", "note"), date="dispatched_on")
    try:
        pkg = handoff.record_dispatch(db_session(), actor=current_user.actor, case_id=case_id, package_id=package_id,
                                      data=data, env=service_env())
    except DomainError as exc:
        return _refused(case_id, exc, f"dispatch-{package_id}")
    return _done(case_id, f"已登记送达：{pkg.dispatched_to}（{handoff.DISPATCH_METHODS[pkg.dispatch_method or '']}）",
                 reload=True)


@bp.route("/cases/<id:case_id>/handoff/packages/<id:package_id>/outcome", methods=["POST"])
@login_required
def outcome(case_id: int, package_id: int) -> Any:
    csrf.protect()
    data = _form(("outcome", "decision_number", "decided_by", "note"), date="decided_on")
    try:
        pkg = handoff.record_outcome(db_session(), actor=current_user.actor, case_id=case_id, package_id=package_id,
                                     data=data, env=service_env())
    except DomainError as exc:
        return _refused(case_id, exc, f"outcome-{package_id}")
    closed = pkg.outcome == "granted"
    return _done(case_id, f"已登记结果：{handoff.OUTCOMES[pkg.outcome or 'refused']}（{pkg.outcome_number}）"
                 + ("，案件已结案归档" if closed else ""), reload=True)


for _code in (403, 404):
    bp.register_error_handler(_code, page_error)
