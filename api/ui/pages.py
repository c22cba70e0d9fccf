"""The mediators' web pages (Chinese, server-rendered, htmx for partial updates; CSRF on every form).

Pages: workbench (my cases, overdue / due today / about to lapse, collective disputes), intake (written
application or oral-application record, with a duplicate warning), the case page (parties masked by
role, claims, deadlines with countdowns, timeline, sessions, and every allowed action as a form), and
the statutory reference calculator used beside agreement drafting.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from api.auth import csrf
from api.db import blob_store, db_session, service_env
from api.rest.cases import detail
from api.rest.documents import GenerateIn
from api.rest.notifications import assignment_observers
from api.ui import intake as intake_form
from api.ui.calc import KINDS as CALC_KINDS
from api.ui.calc import LABELS as CALC_LABELS
from api.ui.calc import calculate
from api.ui.casepage import changes_since, conflict_message, current_documents, deadline_views, split_actions
from api.ui.forms import CONFIRM_EVENTS, FIELD_LABELS, event_inputs, field_errors, form_int, leftover, payload_from_form
from api.ui.wording import CHECKS, missing_message, public, refusal
from documents import service as doc_service
from documents.catalogue import CATALOGUE
from mediation.cases import assignment as assign_svc
from mediation.cases import payments
from mediation.cases import service as svc
from mediation.cases.queries import workbench
from mediation.db.models import Case, CaseEvent, Enterprise, MediationSession, Party, PerformanceRecord, User
from mediation.domain.clock import CHINA_TZ
from mediation.domain.deadline_rules import OPTIONAL_WINDOW_KINDS
from mediation.domain.enums import CaseSource, ClaimType, DisputeCategory, Role
from mediation.domain.errors import ConflictError, DomainError, ValidationFailed
from mediation.domain.money import amount_in_capitals, format_amount
from mediation.domain.policy import can
from mediation.runtime.metrics import TRANSITIONS
from workflows.definitions import CURRENT_VERSION, get_definition

bp = Blueprint("ui", __name__, template_folder="templates", url_prefix="/ui")
bp.add_app_template_filter(public, "public")

STATE_LABELS = {s.name: s.label for s in get_definition(CURRENT_VERSION).states}
DEADLINE_LABELS = {"acceptance": "受理期限", "mediation_end": "调解期限", "negotiation_reply": "协商答复期限",
                   "performance": "履行期限", "collective_report": "集体争议报告期限",
                   "arbitration_review": "申请仲裁审查期限", "judicial_confirmation": "申请司法确认期限",
                   "arbitration_right": "十五日期间届满（次日起可申请仲裁）", "limitation": "仲裁时效"}

PAGE_ERRORS = {
    400: ("请求有误", "请求无法处理，请返回页面重试。"),
    403: ("无权查看", "该页面仅对督导员和管理员开放，或您无权办理此事项。"),
    404: ("未找到", "该案件或页面不存在，或不在您的管辖范围内。"),
    405: ("不支持该操作", "该地址不支持这种请求方式，请使用页面上的按钮操作。"),
    413: ("提交的内容过大", "提交的内容超过了允许的大小，请精简后重试。"),
}
#: The events that record a payment: their form takes the proof files (posted to ``record_payment``).
PAYMENT_EVENTS = frozenset({"record_performance", "record_late_performance"})
#: Form fields never echoed back on an error page.
_NOT_ECHOED = {"csrf_token", "version", "confirm", "password", "confirm_duplicate"}


def page_error(exc: Any) -> Any:
    """Errors inside the web pages are pages (in Chinese), not JSON problems: the blueprints' 403/404 and,
    through :func:`api.errors.register_error_handlers`, every HTTP error on a page's URL (a URL converter's
    miss, an unknown /ui path, a wrong method)."""
    code = getattr(exc, "code", None) or 500
    title, detail = PAGE_ERRORS.get(code, ("出错了", "请求未能完成，请返回重试。"))
    resp = render_template("ui/error.html", title=title, detail=detail, **_ctx())
    headers = {}
    valid = getattr(exc, "valid_methods", None)
    if code == 405 and valid:
        headers["Allow"] = ", ".join(sorted(valid))
    return resp, code, headers


def _back_url() -> str:
    """The page the failed form was on (the case page for a case's forms)."""
    path = request.path
    m = re.match(r"^/ui/cases/(\d+)/", path)
    if m:
        return f"/ui/cases/{m[1]}"
    if path in ("/ui/intake", "/ui/signals", "/ui/calculator", "/login"):
        return path
    if path.startswith("/ui/alerts"):
        return "/ui/alerts"
    return "/ui/"


def csrf_page() -> Any:
    """A form whose CSRF token expired (or is missing): nothing is done; say so in Chinese, link back to the
    form's page and show what was typed, so the user can copy it back instead of losing it."""
    typed = [(FIELD_LABELS.get(k.removeprefix("ob_"), k), v) for k, v in request.form.items(multi=True)
             if k not in _NOT_ECHOED and not k.startswith("has_") and v.strip()]
    detail = ("为防止伪造请求，已过期（例如页面打开超过一小时）或来源不明的表单不会被处理，本次未做任何修改。"
              "请返回页面，重新填写后提交。")
    return render_template("ui/error.html", title="表单已过期，请重新提交", detail=detail, typed=typed,
                           back=_back_url(), **_ctx()), 400


def _actor() -> Any:
    return current_user.actor


def _ctx() -> dict[str, Any]:
    return {"user": current_user, "state_labels": STATE_LABELS, "deadline_labels": DEADLINE_LABELS,
            "field_labels": FIELD_LABELS, "today": service_env().today(), "tz": CHINA_TZ,
            "timedelta": dt.timedelta}


@bp.route("/")
@login_required
def workbench_page() -> str:
    session = db_session()
    today = service_env().today()
    wb = workbench(session, actor=_actor(), today=today)
    due_payments = payments.due_for(session, actor=_actor(), today=today)
    return render_template("ui/workbench.html", wb=wb, due_payments=due_payments, fmt=format_amount, **_ctx())


# --- intake -----------------------------------------------------------------------------------------

def _possible_duplicates(form: Any, actor: Any) -> list[Case]:
    session = db_session()
    name = form.get("worker_name", "").strip()
    id_number = form.get("worker_id_number", "").strip().upper()
    if not name and not id_number:
        return []
    stmt = select(Case).join(Party, Party.case_id == Case.id).where(
        Case.status.notin_(("closed", "withdrawn", "not_accepted", "referred", "performed")))
    if id_number:
        stmt = stmt.where(Party.id_number == id_number)
    else:
        stmt = stmt.where(Party.name == name)
        if form_int(form.get("enterprise_id")) is not None:
            stmt = stmt.where(Case.enterprise_id == form_int(form.get("enterprise_id")))
    return [c for c in session.scalars(stmt.distinct().limit(10)).all() if can(actor, "read", c)]


#: The order the intake form shows its fields in (the error summary lists them in this order).
INTAKE_ORDER = ("source", "category", "worker_name", "worker_gender", "worker_id_number", "worker_phone",
                "worker_address", "worker_job_title", "worker_hired_on", "enterprise_id", "new_ent_name",
                "new_ent_uscc", "new_ent_legal_representative", "new_ent_address", "new_ent_phone", "roster",
                "workers_unlisted", "claim_type", "claim_amount", "title", "requests", "facts", "dispute_arose_on",
                "received_on")


def _error_list(errors: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    """(the field's id, its name in Chinese, the message) for the summary above the form, in the form's order."""
    out = []
    rank = {k: i for i, k in enumerate(INTAKE_ORDER)}

    def key(k: str) -> tuple[int, int, str]:
        m = re.match(r"^extra\.(\d+)\.", k)
        return (rank["roster"], int(m[1]), k) if m else (rank.get(k, 99), 0, k)

    for k in sorted(errors, key=key):
        m = re.match(r"^extra\.(\d+)\.(\w+)$", k)
        if m:
            field = {"name": "姓名", "id_number": "身份证号码", "phone": "联系电话", "role": "身份"}.get(m[2], m[2])
            out.append((f"extra-{m[1]}-{m[2]}", f"劳动者名单第{int(m[1]) + 1}行的{field}", "；".join(errors[k])))
        elif k in intake_form.LABELS:
            out.append((f"f-{k}", intake_form.LABELS[k], "；".join(errors[k])))
        else:
            out.append(("intake-form", "", "；".join(errors[k])))
    return out


@bp.route("/intake", methods=["GET", "POST"])
@login_required
def intake() -> Any:
    """登记案件: every error at once, each naming its field; a collective dispute's workers listed row by row,
    pasted or imported; the employer chosen from the area's enterprises or registered on the spot."""
    actor = _actor()
    session = db_session()
    errors: dict[str, list[str]] = {}
    duplicates: list[Case] = []
    message = None
    form = request.form
    chosen = None
    raw_ent = form.get("enterprise_id", "").strip()
    if raw_ent.isascii() and raw_ent.isdigit() and len(raw_ent) < 12:
        chosen = session.get(Enterprise, int(raw_ent))
    if request.method == "POST":
        csrf.protect()
        today = service_env().today()
        data = intake_form.payload(form, actor, chosen)
        errors = intake_form.validate(form, data, today, enterprise_chosen=chosen is not None)
        if not errors:
            duplicates = _possible_duplicates(form, actor)
            if duplicates and form.get("confirm_duplicate") != "yes":
                message = "该劳动者已有未办结的案件，请核对；确认不是重复登记后勾选“确认继续登记”再提交。"
            else:
                try:
                    if chosen is None:  # registered with the case, in the same unit of work
                        chosen = intake_form.register_enterprise(session, form, actor)
                        data = intake_form.payload(form, actor, chosen)
                    case = svc.create_case(session, actor=actor, data=data, env=service_env())
                    flash(f"已登记案件 {case.number}", "ok")
                    return redirect(url_for("ui.case_page", case_id=case.id))
                except ValidationFailed as exc:
                    errors = intake_form._alias_rows(field_errors(exc.errors, intake_form.ALIASES))
                    chosen = None if not raw_ent else chosen
                except DomainError as exc:
                    message = public(exc.detail)
        if errors:
            message = f"未能登记，请修改以下{len(errors)}项："
    rows = intake_form.all_rows(form) if request.method == "POST" else []
    listed = 1 + len([r for r in rows if not r.blank])
    unlisted = form.get("workers_unlisted", "").strip()
    status = 422 if (errors or message) and request.method == "POST" else 200
    return render_template("ui/intake.html", form=form, errors=errors, message=message,
                           error_list=_error_list(errors), duplicates=duplicates, chosen=chosen, rows=rows,
                           roles=intake_form.ROW_ROLES, listed=listed,
                           total=listed + (int(unlisted) if unlisted.isascii() and unlisted.isdigit()
                                           and len(unlisted) < 8 else 0),
                           categories=DisputeCategory.choices(), claim_types=ClaimType.choices(),
                           sources=[(s.value, s.label) for s in CaseSource], **_ctx()), status


# --- the case page ----------------------------------------------------------------------------------

def _event_payload(event: str, form: Any) -> dict[str, Any]:
    """Form fields to the event's payload (the service's schema validates; guards explain)."""
    return payload_from_form(event, form)


def _render_case(case_id: int, *, errors: dict[str, list[str]] | None = None, message: str | None = None,
                 failed_event: str | None = None, status: int = 200, bases: list[str] | None = None,
                 changes: list[Any] | None = None) -> Any:
    session = db_session()
    actor = _actor()
    try:
        case = svc.get_case(session, case_id=case_id, actor=actor)
    except DomainError:
        abort(404)
    data = detail(session, case, actor)
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                             .options(joinedload(CaseEvent.actor)).order_by(CaseEvent.seq)).all()
    sessions = session.scalars(select(MediationSession).where(MediationSession.case_id == case.id)
                               .options(joinedload(MediationSession.mediator))
                               .order_by(MediationSession.started_at, MediationSession.id)).all()
    may_assign = can(actor, "assign", case)
    if may_assign:
        suggestions = [{"id": s.user_id, "name": s.name, "open_cases": s.open_cases, "conflict": s.conflict}
                       for s in assign_svc.suggest_mediators(session, case_id=case.id, actor=actor)]
    else:
        suggestions = [{"id": m.id, "name": m.display_name, "open_cases": None, "conflict": None}
                       for m in session.scalars(select(User).where(
                           User.organisation_id == case.organisation_id, User.role == Role.MEDIATOR,
                           User.active.is_(True)).order_by(User.id)).all()]
    definition = get_definition(case.workflow_version)
    event_labels = {e.event: definition.event_label(e.event) for e in events}
    documents = doc_service.list_documents(session, actor=actor, case_id=case.id)
    actions, later = split_actions(data["available_events"])
    forms = {o["event"]: event_inputs(o["event"], o["inputs"], o["requires_reason"]) for o in actions}
    errors = errors or {}
    shown: set[str] = {"confirm", "version"}
    if failed_event in forms:
        shown.update(i.name for i in forms[failed_event])
        shown.update(k for k in errors if k.startswith("obligations."))
    elif failed_event == "documents":
        shown.update(("kind", "served_document_id", "facts", "legal_basis", "correction", "response_history"))
    elif failed_event == "assign":
        shown.update(("mediator_id", "reason"))
    elif failed_event == "parties":
        shown.update(("role", "name", "id_number", "phone", "represents_id"))
    obligations = {o["id"]: o for a in data["agreements"] for o in a["obligations"]}
    paid: dict[int, list[PerformanceRecord]] = {}
    if obligations:
        for rec in session.scalars(select(PerformanceRecord).where(PerformanceRecord.obligation_id.in_(obligations))
                                   .options(selectinload(PerformanceRecord.files))
                                   .order_by(PerformanceRecord.performed_on, PerformanceRecord.id)).all():
            paid.setdefault(rec.obligation_id, []).append(rec)
    outstanding = [o for o in obligations.values() if o["status"] != "performed"]
    current = case.current_agreement
    reminders = payments.instalments_due(current.obligations, case, service_env().today()) if current else []
    pending, past = deadline_views(data["deadlines"], DEADLINE_LABELS,
                                   {i: o["description"] for i, o in obligations.items()})
    # what was typed into a form that is no longer offered (e.g. the agreement was signed in another window)
    typed = []
    if failed_event and failed_event not in forms and failed_event not in ("documents", "assign", "parties"):
        typed = [(FIELD_LABELS.get(k.removeprefix("ob_"), k), v) for k, v in request.form.items(multi=True)
                 if k not in _NOT_ECHOED and k != "seen_seq" and not k.startswith(("has_", "calc_")) and v.strip()]
    return render_template(
        "ui/case.html", case=data, events=events, documents=current_documents(documents), sessions=sessions,
        can_download=can(actor, "read_personal", case), document_kinds=CATALOGUE.values(),
        can_rerender=_may_rerender(actor, case),
        event_labels=event_labels, mediators=suggestions, may_assign=may_assign, forms=forms, actions=actions,
        later=later, confirm_events=CONFIRM_EVENTS, outstanding=outstanding, pending=pending, past=past,
        seen_seq=case.last_event_seq, calc_kinds=CALC_KINDS, payments=paid, reminders=reminders,
        payment_events=PAYMENT_EVENTS, window_kinds=OPTIONAL_WINDOW_KINDS,
        show_checksums=actor.role == Role.ADMIN, bases=bases or [],
        changes=changes or [], typed=typed,
        errors=errors, other_errors=leftover(errors, shown), message=message, failed_event=failed_event,
        form=request.form, claim_types=ClaimType.choices(), capitals=amount_in_capitals, fmt=format_amount, **_ctx(),
    ), status


def _form_version() -> int | None:
    """The case version the form was rendered with (every case form sends it): the optimistic lock."""
    raw = request.form.get("version", "").strip()
    return form_int(raw)


_NO_VERSION = "页面缺少案件版本或版本无效，未做任何修改。请刷新页面，核对最新情况后重新提交。"


@bp.route("/cases/<id:case_id>")
@login_required
def case_page(case_id: int) -> Any:
    return _render_case(case_id)


@bp.route("/cases/<id:case_id>/act/<event>", methods=["POST"])
@login_required
def act(case_id: int, event: str) -> Any:
    csrf.protect()
    session = db_session()
    version = _form_version()
    if version is None:
        return _render_case(case_id, errors={"version": ["版本无效"]}, message=_NO_VERSION, failed_event=event,
                            status=428 if not request.form.get("version", "").strip() else 422)
    if event in CONFIRM_EVENTS and request.form.get("confirm") != "yes":
        return _render_case(case_id, errors={"confirm": ["该操作不可撤销，请勾选确认后再提交"]},
                            message="请确认后再提交（未做任何修改）", failed_event=event, status=422)
    label = get_definition(CURRENT_VERSION).event_label(event)
    try:
        svc.fire_event(session, case_id=case_id, event=event, actor=_actor(),
                       payload=_event_payload(event, request.form), expected_version=version, env=service_env())
        TRANSITIONS.labels(event).inc()
    except DomainError as exc:
        return _refused_event(case_id, event, label, exc)
    flash(f"已完成：{label}", "ok")
    return redirect(url_for("ui.case_page", case_id=case_id))


@bp.route("/cases/<id:case_id>/payments", methods=["POST"])
@login_required
def record_payment(case_id: int) -> Any:
    """登记履行情况 with its proof files (multipart): the performance event of the case's state, the files checked
    and stored with the payment in one unit of work; every error at once, what was typed kept."""
    csrf.protect()
    session = db_session()
    actor = _actor()
    try:
        event = payments.payment_event(svc.get_case(session, case_id=case_id, actor=actor))
    except DomainError:
        abort(404)
    version = _form_version()
    if version is None:
        return _render_case(case_id, errors={"version": ["版本无效"]}, message=_NO_VERSION, failed_event=event,
                            status=428 if not request.form.get("version", "").strip() else 422)
    label = get_definition(CURRENT_VERSION).event_label(event)
    files = [payments.Upload(f.filename or "", f.read(payments.MAX_PROOF_BYTES + 1))
             for f in request.files.getlist("proof_files") if f.filename]
    payload = {k: v for k, v in _event_payload(event, request.form).items() if k != "proof_ids"}
    try:
        payments.record_payment(session, case_id=case_id, actor=actor, payload=payload, files=files,
                                expected_version=version, env=service_env(), blobs=blob_store())
        TRANSITIONS.labels(event).inc()
    except DomainError as exc:
        # the files name the proof when its text is left blank
        return _refused_event(case_id, event, label, exc, answered=("proof",) if files else ())
    flash(f"已登记付款{format_amount(payload['amount'])}元" + (f"，凭证文件{len(files)}个" if files else ""), "ok")
    return redirect(url_for("ui.case_page", case_id=case_id) + "#payments")


def _refused_event(case_id: int, event: str, label: str, exc: DomainError, answered: tuple[str, ...] = ()) -> Any:
    """The case page again after a refused event, with what was typed: every field error at once (the schema's
    and the boxes the guards will ask for, not in a second round), a stale version, or a guard's refusal naming
    what is missing with the law as its basis. ``answered``: fields the request supplied some other way."""
    if isinstance(exc, ValidationFailed):
        unconfirmed = {k: v for k, v in _unconfirmed(case_id, event).items() if k not in answered}
        errors = {**unconfirmed, **field_errors(exc.errors)}
        return _render_case(case_id, errors=errors, message=_invalid_message(label, errors), failed_event=event,
                            status=422)
    if isinstance(exc, ConflictError):
        return _stale(case_id, event, exc.status)
    blockers = exc.extra.get("blockers", [])
    if blockers:
        msg, missing, bases = refusal(label, blockers, FIELD_LABELS)
        for name in answered:
            missing.pop(name, None)
        return _render_case(case_id, errors=missing, message=msg, bases=bases, failed_event=event, status=exc.status)
    return _render_case(case_id, message=public(exc.detail), failed_event=event, status=exc.status)


def _invalid_message(label: str, errors: dict[str, list[str]]) -> str:
    """``未能记录调解会议：请修改“开始时间”“地点”。`` — every field with an error named at once."""
    names, ticks = [], []
    for k in errors:
        m = re.match(r"^obligations\.(\d+)\.(\w+)", k)
        if m:
            name = f"第{int(m[1]) + 1}项履行事项的" + {"amount": "金额", "due_on": "履行期限", "description": "事项",
                                                      "claim_type": "款项性质"}.get(m[2], m[2])
        else:
            name = "“" + FIELD_LABELS.get(k, "").removesuffix("（选填）") + "”" if FIELD_LABELS.get(k) else ""
        target = ticks if k in CHECKS else names
        if name and name not in target:
            target.append(name)
    parts = (["请修改" + "、".join(names)] if names else []) + (["未勾选" + "、".join(ticks)] if ticks else [])
    return f"未能{label}：" + "；".join(parts) + "。" if parts else f"未能{label}：提交的内容有误，请按提示修改。"


def _unconfirmed(case_id: int, event: str) -> dict[str, list[str]]:
    """The boxes the event's guards require that are left unticked, and its required texts left blank — so a
    form refused by the payload's schema also names them, instead of in a second round after the guards."""
    option = next((o for o in svc.available_events(db_session(), case=svc.get_case(
        db_session(), case_id=case_id, actor=_actor()), actor=_actor(), env=service_env()) if o.event == event), None)
    if option is None:
        return {}
    out: dict[str, list[str]] = {}
    for inp in event_inputs(event, option.inputs, option.requires_reason):
        if not inp.required or inp.widget in ("obligations", "obligation", "mediator", "select"):
            continue
        if inp.widget == "check" and request.form.get(inp.name) not in ("on", "true", "1", "yes"):
            out[inp.name] = [missing_message(inp.name)]
        elif inp.widget in ("text", "textarea") and not request.form.get(inp.name, "").strip():
            out[inp.name] = [missing_message(inp.name)]
    return out


def _seen_seq() -> int | None:
    raw = request.form.get("seen_seq", "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


def _stale(case_id: int, event: str, status: int) -> Any:
    """The case changed after the page was opened: say who changed what (the same user in another tab is not
    "someone else"), show the current case and keep what was typed."""
    session = db_session()
    definition = get_definition(CURRENT_VERSION)
    changes = changes_since(session, case_id, _seen_seq(), _actor(), definition.event_label)
    return _render_case(case_id, message=conflict_message(changes, CHINA_TZ), changes=changes, failed_event=event,
                        status=status)


@bp.route("/cases/<id:case_id>/assign", methods=["POST"])
@login_required
def assign(case_id: int) -> Any:
    """Assign or reassign the lead mediator (supervisors); a mediator who must recuse is refused, with why."""
    csrf.protect()
    version = _form_version()
    if version is None:
        return _render_case(case_id, message=_NO_VERSION, failed_event="assign",
                            status=428 if not request.form.get("version", "").strip() else 422)
    raw = request.form.get("mediator_id", "").strip()
    if form_int(raw) is None:
        return _render_case(case_id, errors={"mediator_id": ["请选择调解员"]}, message="请选择调解员",
                            failed_event="assign", status=422)
    try:
        case = assign_svc.assign_mediator(db_session(), case_id=case_id, actor=_actor(), mediator_id=form_int(raw),
                                          expected_version=version, reason=request.form.get("reason", "")[:2000],
                                          observers=assignment_observers())
    except ValidationFailed as exc:
        return _render_case(case_id, errors=field_errors(exc.errors), message=exc.detail, failed_event="assign",
                            status=422)
    except ConflictError as exc:
        return _stale(case_id, "assign", exc.status)
    except DomainError as exc:
        errors = {"mediator_id": [exc.detail]} if exc.code == "recusal_required" else None
        return _render_case(case_id, errors=errors, message=exc.detail, failed_event="assign", status=exc.status)
    flash(f"已指派主办调解员：{case.lead_mediator.display_name if case.lead_mediator else ''}", "ok")
    return redirect(url_for("ui.case_page", case_id=case_id))


@bp.route("/cases/<id:case_id>/documents", methods=["POST"])
@login_required
def generate_document(case_id: int) -> Any:
    """Generate (or regenerate as a new version) a document on demand."""
    csrf.protect()
    form = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}
    kind = form.pop("kind", "")
    if "reply_days" in form:
        days = form_int(form["reply_days"])
        form["reply_days"] = form["reply_days"] if days is None else days
    try:
        params = GenerateIn().load({"kind": kind, **form})
        params.pop("kind")
        doc_service.check_generation_args(kind, params)
        doc = doc_service.generate_on_demand(db_session(), actor=_actor(), case_id=case_id, kind=kind,
                                             params=params, blobs=blob_store(),
                                             queue=getattr(service_env().documents, "queue", None))
    except ValidationError as exc:
        return _render_case(case_id, errors=field_errors(exc.normalized_messages()),
                            message="文书内容有误，请按提示修改", failed_event="documents", status=422)
    except ValidationFailed as exc:
        return _render_case(case_id, errors=field_errors(exc.errors), message=exc.detail, failed_event="documents",
                            status=422)
    except DomainError as exc:
        return _render_case(case_id, message=exc.detail, failed_event="documents", status=exc.status)
    flash(f"已生成：{doc.title}（{doc.number}，第{doc.version}版）" if doc.status == "ready"
          else f"已编号，正在生成：{doc.title}（{doc.number}，第{doc.version}版）", "ok")
    return redirect(url_for("ui.case_page", case_id=case_id) + "#documents")


def _may_rerender(actor: Any, case: Case) -> bool:
    return actor.role in (Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN) and can(actor, "act", case)


@bp.route("/cases/<id:case_id>/documents/table")
@login_required
def documents_fragment(case_id: int) -> Any:
    """The documents' table alone (htmx polls it while a document is being rendered)."""
    session = db_session()
    actor = _actor()
    case = svc.get_case(session, case_id=case_id, actor=actor)
    documents = doc_service.list_documents(session, actor=actor, case_id=case_id)
    return render_template("ui/_documents.html", case={"id": case.id}, documents=current_documents(documents),
                           can_download=can(actor, "read_personal", case), can_rerender=_may_rerender(actor, case),
                           show_checksums=actor.role == Role.ADMIN, tz=CHINA_TZ)


@bp.route("/cases/<id:case_id>/documents/<id:document_id>/render", methods=["POST"])
@login_required
def rerender_document(case_id: int, document_id: int) -> Any:
    """Render a failed document again (same number): it shows 生成中 until the job is done."""
    csrf.protect()
    try:
        doc = doc_service.rerender(db_session(), actor=_actor(), case_id=case_id, document_id=document_id,
                                   queue=getattr(service_env().documents, "queue", None), blobs=blob_store())
    except DomainError as exc:
        return _render_case(case_id, message=exc.detail, failed_event="documents", status=exc.status)
    flash(f"已重新生成：{doc.title}（{doc.number}）" if doc.status == "ready"
          else f"正在重新生成：{doc.title}（{doc.number}）", "ok")
    return redirect(url_for("ui.case_page", case_id=case_id) + "#documents")


# --- statutory reference calculator ----------------------------------------------------------------

@bp.route("/calculator", methods=["GET", "POST"])
@login_required
def calculator() -> Any:
    """The statutory reference calculator: its own page, and the fragment the agreement form's embedded
    calculator asks for (htmx). A failed calculation shows its errors in place of any earlier result (for
    htmx the answer is 200 so that it is swapped in; the page itself answers 422)."""
    outcome = None
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        csrf.protect()
        outcome = calculate(form)
    ctx = {"outcome": outcome, "form": form, "kinds": CALC_KINDS, "labels": CALC_LABELS,
           "capitals": amount_in_capitals, "fmt": format_amount, "embedded": form.get("calc_embedded") == "1"}
    failed = outcome is not None and bool(outcome.errors)
    if request.headers.get("HX-Request"):
        return render_template("ui/_calc_result.html", **ctx, **_ctx())
    return render_template("ui/calculator.html", **ctx, **_ctx()), (422 if failed else 200)


for _code in (403, 404):
    bp.register_error_handler(_code, page_error)
