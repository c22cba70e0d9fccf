"""The mediators' web pages (Chinese, server-rendered, htmx for partial updates; CSRF on every form).

Pages: workbench (my cases, overdue / due today / about to lapse, collective disputes), intake (written
application or oral-application record, with a duplicate warning), the case page (parties masked by
role, claims, deadlines with countdowns, timeline, sessions, and every allowed action as a form), and
the statutory reference calculator used beside agreement drafting.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from api.auth import csrf
from api.cases import detail
from api.db import db_session
from api.documents import GenerateIn
from api.ui_parties import extra_intake_parties
from documents import service as doc_service
from documents.catalogue import CATALOGUE
from mediation import calculators
from mediation.db.models import Case, CaseEvent, Enterprise, Party, User
from mediation.domain.enums import CaseSource, ClaimType, DisputeCategory, Role
from mediation.domain.errors import DomainError, ValidationFailed
from mediation.domain.policy import can
from mediation.money import amount_in_capitals, format_amount
from mediation.services import cases as svc
from mediation.services.context import CHINA_TZ, default_env
from mediation.services.queries import workbench
from workflows.definitions import V1, get_definition
from workflows.guards import RejectionReason, TerminationReason

bp = Blueprint("ui", __name__, template_folder="templates", url_prefix="/ui")

STATE_LABELS = {s.name: s.label for s in V1.states}
DEADLINE_LABELS = {"acceptance": "受理期限", "mediation_end": "调解期限", "negotiation_reply": "协商答复",
                   "performance": "履行期限", "collective_report": "集体争议报告", "arbitration_review": "仲裁审查申请",
                   "judicial_confirmation": "司法确认申请", "arbitration_right": "可申请仲裁", "limitation": "仲裁时效"}
FIELD_LABELS = {
    "reason": "理由", "respondent_consents": "被申请人同意调解", "mediator_id": "主办调解员",
    "started_at": "开始时间", "place": "地点", "recorder": "记录人", "attendees": "参加人员（用顿号或逗号分隔）",
    "record": "调解笔录", "worker_agrees": "劳动者同意延长", "employer_agrees": "用人单位同意延长", "days": "延长天数",
    "terms": "协议内容", "obligations": "履行事项", "signed_by_parties": "双方当事人已签名或盖章",
    "signed_by_mediator": "调解员已签名", "sealed": "已加盖调解组织印章", "end_reason": "终止原因",
    "obligation_id": "履行事项", "performed_on": "履行日期", "amount": "金额（元）", "proof": "凭证",
    "review_kind": "申请类型", "reason_code": "不予受理的原因", "received_on": "收到申请日期", "oral": "口头申请",
}


PAGE_ERRORS = {
    403: ("无权查看", "该页面仅对督导员和管理员开放，或您无权办理此事项。"),
    404: ("未找到", "该案件或页面不存在，或不在您的管辖范围内。"),
}


def page_error(exc: Any) -> Any:
    """Errors inside the web pages are pages (in Chinese), not JSON problems."""
    title, detail = PAGE_ERRORS.get(exc.code, ("出错了", "请求未能完成，请返回重试。"))
    return render_template("ui/error.html", title=title, detail=detail, **_ctx()), exc.code


def _actor() -> Any:
    return current_user.actor


def _ctx() -> dict[str, Any]:
    return {"user": current_user, "state_labels": STATE_LABELS, "deadline_labels": DEADLINE_LABELS,
            "field_labels": FIELD_LABELS, "today": default_env(db_session()).today(), "tz": CHINA_TZ}


@bp.route("/")
@login_required
def workbench_page() -> str:
    session = db_session()
    today = default_env(session).today()
    wb = workbench(session, actor=_actor(), today=today)
    return render_template("ui/workbench.html", wb=wb, **_ctx())


# --- intake -----------------------------------------------------------------------------------------

def _intake_payload(form: Any, actor: Any) -> dict[str, Any]:
    worker: dict[str, Any] = {"role": "worker", "name": form.get("worker_name", "").strip()}
    for f in ("gender", "id_number", "phone", "address", "job_title", "hired_on"):
        v = form.get(f"worker_{f}", "").strip()
        if v:
            worker[f] = v
    parties = [worker, *extra_intake_parties(form)]
    ent_id = form.get("enterprise_id", "").strip()
    ent_name = form.get("employer_name", "").strip()
    employer: dict[str, Any] = {"role": "employer", "name": ent_name}
    if ent_id.isdigit():
        ent = db_session().get(Enterprise, int(ent_id))
        if ent is not None:
            employer.update(name=ent.name, uscc=ent.uscc, legal_representative=ent.legal_representative,
                            address=ent.address)
    if employer["name"]:
        parties.append(employer)
    claims = []
    if form.get("claim_type"):
        claim: dict[str, Any] = {"claim_type": form["claim_type"], "description": form.get("claim_description", "")}
        if form.get("claim_amount", "").strip():
            claim["amount"] = form["claim_amount"].strip().replace(",", "")
        claims.append(claim)
    data: dict[str, Any] = {
        "title": form.get("title", "").strip() or f"{worker['name']}与{employer['name']}劳动争议",
        "category": form.get("category", ""),
        "source": form.get("source", ""),
        "organisation_id": actor.organisation_id,
        "workers_count": int(form["workers_count"]) if form.get("workers_count", "").isdigit() else 1,
        "facts": form.get("facts", ""),
        "requests": form.get("requests", ""),
        "parties": parties,
        "claims": claims,
    }
    if ent_id.isdigit():
        data["enterprise_id"] = int(ent_id)
    for f in ("dispute_arose_on", "received_on"):
        if form.get(f):
            data[f] = form[f]
    return data


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
        if form.get("enterprise_id", "").isdigit():
            stmt = stmt.where(Case.enterprise_id == int(form["enterprise_id"]))
    from mediation.domain.policy import can

    return [c for c in session.scalars(stmt.distinct().limit(10)).all() if can(actor, "read", c)]


@bp.route("/intake", methods=["GET", "POST"])
@login_required
def intake() -> Any:
    actor = _actor()
    session = db_session()
    errors: dict[str, Any] = {}
    duplicates: list[Case] = []
    message = None
    if request.method == "POST":
        csrf.protect()
        duplicates = _possible_duplicates(request.form, actor)
        if duplicates and request.form.get("confirm_duplicate") != "yes":
            message = "该劳动者已有未办结的案件，请核对；确认不是重复登记后勾选“确认继续登记”再提交。"
        else:
            try:
                case = svc.create_case(session, actor=actor, data=_intake_payload(request.form, actor))
                flash(f"已登记案件 {case.number}", "ok")
                return redirect(url_for("ui.case_page", case_id=case.id))
            except ValidationFailed as exc:
                errors, message = exc.errors, exc.detail
            except DomainError as exc:
                message = exc.detail
    enterprises = session.scalars(select(Enterprise).order_by(Enterprise.name).limit(500)).all()
    status = 422 if (errors or message) and request.method == "POST" else 200
    return render_template("ui/intake.html", form=request.form, errors=errors, message=message,
                           duplicates=duplicates, enterprises=enterprises, categories=DisputeCategory.choices(),
                           claim_types=ClaimType.choices(),
                           sources=[(s.value, s.label) for s in CaseSource], **_ctx()), status


# --- the case page ----------------------------------------------------------------------------------

def _bool(form: Any, name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "yes")


def _event_payload(event: str, form: Any) -> dict[str, Any]:
    """Form fields to the event's payload (the service's schema validates; guards explain)."""
    p: dict[str, Any] = {}
    for f in ("reason", "place", "recorder", "record", "terms", "proof", "performance_method", "performance_place"):
        if form.get(f, "").strip():
            p[f] = form[f].strip()
    for f in ("respondent_consents", "worker_agrees", "employer_agrees", "signed_by_parties", "signed_by_mediator",
              "sealed", "oral"):
        if f in form or f"has_{f}" in form:
            p[f] = _bool(form, f)
    for f in ("mediator_id", "days", "obligation_id"):
        if form.get(f, "").strip():
            v = form[f].strip()
            p[f] = int(v) if v.isdigit() else v
    for f in ("performed_on", "received_on", "review_kind", "end_reason", "reason_code"):
        if form.get(f, "").strip():
            p[f] = form[f].strip()
    if form.get("amount", "").strip():
        p["amount"] = form["amount"].strip().replace(",", "")
    if form.get("started_at"):
        p["started_at"] = form["started_at"] + (":00+08:00" if len(form["started_at"]) == 16 else "")
    if form.get("attendees", "").strip():
        p["attendees"] = [a.strip() for a in form["attendees"].replace("，", ",").replace("、", ",").split(",")
                          if a.strip()]
    if event in ("sign_agreement", "settle"):
        obligations = []
        descs, amounts = form.getlist("ob_description"), form.getlist("ob_amount")
        dues, types = form.getlist("ob_due_on"), form.getlist("ob_claim_type")
        for i, desc in enumerate(descs):
            if not desc.strip() and not (amounts[i] if i < len(amounts) else "").strip():
                continue
            obligations.append({"description": desc.strip(),
                                "amount": (amounts[i] if i < len(amounts) else "").strip().replace(",", ""),
                                "due_on": dues[i] if i < len(dues) else "",
                                "claim_type": types[i] if i < len(types) and types[i] else "other"})
        p["obligations"] = obligations
    return p


def _render_case(case_id: int, *, errors: dict[str, Any] | None = None, message: str | None = None,
                 failed_event: str | None = None, status: int = 200) -> Any:
    session = db_session()
    actor = _actor()
    try:
        case = svc.get_case(session, case_id=case_id, actor=actor)
    except DomainError:
        abort(404)
    data = detail(session, case, actor)
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
    mediators = session.scalars(select(User).where(User.organisation_id == case.organisation_id,
                                                   User.role == Role.MEDIATOR, User.active.is_(True))).all()
    definition = get_definition(case.workflow_version)
    event_labels = {e.event: definition.event_label(e.event) for e in events}
    documents = doc_service.list_documents(session, actor=actor, case_id=case.id)
    return render_template(
        "ui/case.html", case=data, events=events, documents=documents,
        can_download=can(actor, "read_personal", case), document_kinds=CATALOGUE.values(),
        event_labels=event_labels, mediators=mediators,
        errors=errors or {}, message=message, failed_event=failed_event, form=request.form,
        termination_reasons=[(r.value, r.label) for r in TerminationReason],
        rejection_reasons=[(r.value, r.label) for r in RejectionReason], claim_types=ClaimType.choices(),
        capitals=amount_in_capitals, fmt=format_amount, **_ctx(),
    ), status


@bp.route("/cases/<id:case_id>")
@login_required
def case_page(case_id: int) -> Any:
    return _render_case(case_id)


@bp.route("/cases/<id:case_id>/act/<event>", methods=["POST"])
@login_required
def act(case_id: int, event: str) -> Any:
    csrf.protect()
    session = db_session()
    version = request.form.get("version", "")
    try:
        svc.fire_event(session, case_id=case_id, event=event, actor=_actor(),
                       payload=_event_payload(event, request.form),
                       expected_version=int(version) if version.isdigit() else None)
    except ValidationFailed as exc:
        return _render_case(case_id, errors=exc.errors, message=exc.detail, failed_event=event, status=422)
    except DomainError as exc:
        missing = {m: ["请填写"] for b in exc.extra.get("blockers", []) for m in b.get("missing", [])}
        return _render_case(case_id, errors=missing, message=exc.detail, failed_event=event, status=exc.status)
    label = next((t.label for t in V1.transitions if t.event == event), event)
    flash(f"已完成：{label}", "ok")
    return redirect(url_for("ui.case_page", case_id=case_id))


@bp.route("/cases/<id:case_id>/documents", methods=["POST"])
@login_required
def generate_document(case_id: int) -> Any:
    """Generate (or regenerate as a new version) a document on demand."""
    csrf.protect()
    form = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}
    kind = form.pop("kind", "")
    if "reply_days" in form:
        form["reply_days"] = int(form["reply_days"]) if form["reply_days"].isdigit() else form["reply_days"]
    try:
        params = GenerateIn().load({"kind": kind, **form})
        params.pop("kind")
        doc_service.check_generation_args(kind, params)
        doc = doc_service.generate_on_demand(db_session(), actor=_actor(), case_id=case_id, kind=kind,
                                             params=params)
    except ValidationError as exc:
        return _render_case(case_id, errors=exc.normalized_messages(), message="文书内容有误，请按提示修改",
                            failed_event="documents", status=422)
    except ValidationFailed as exc:
        return _render_case(case_id, errors=exc.errors, message=exc.detail, failed_event="documents", status=422)
    except DomainError as exc:
        return _render_case(case_id, message=exc.detail, failed_event="documents", status=exc.status)
    flash(f"已生成：{doc.title}（{doc.number}，第{doc.version}版）", "ok")
    return redirect(url_for("ui.case_page", case_id=case_id) + "#documents")


# --- statutory reference calculator ----------------------------------------------------------------

@bp.route("/calculator", methods=["GET", "POST"])
@login_required
def calculator() -> Any:
    result = None
    error = None
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        csrf.protect()
        try:
            kind = form.get("kind", "compensation")
            wage = Decimal(form.get("monthly_wage", "0").replace(",", "") or "0")
            if kind == "compensation":
                avg = form.get("local_avg", "").replace(",", "").strip()
                result = calculators.economic_compensation(
                    monthly_wage=wage, start=dt.date.fromisoformat(form["start"]),
                    end=dt.date.fromisoformat(form["end"]), local_avg_monthly_wage=Decimal(avg) if avg else None,
                    unlawful=form.get("unlawful") == "on")
            elif kind == "double_wage":
                signed = form.get("signed_on", "").strip()
                result = calculators.double_wage_no_contract(
                    monthly_wage=wage, employment_start=dt.date.fromisoformat(form["start"]),
                    contract_signed_on=dt.date.fromisoformat(signed) if signed else None,
                    until=dt.date.fromisoformat(form["end"]))
            else:
                result = calculators.overtime_pay(
                    monthly_wage=wage, workday_hours=Decimal(form.get("workday_hours") or "0"),
                    rest_day_hours=Decimal(form.get("rest_day_hours") or "0"),
                    holiday_hours=Decimal(form.get("holiday_hours") or "0"))
        except (KeyError, ValueError, ArithmeticError) as exc:
            error = str(exc) if isinstance(exc, ValueError) and str(exc) and not str(exc).startswith("Invalid") \
                else "请完整填写金额和日期（日期格式：YYYY-MM-DD）"
    template = "ui/_calc_result.html" if request.headers.get("HX-Request") else "ui/calculator.html"
    return render_template(template, result=result, error=error, form=form, capitals=amount_in_capitals,
                           fmt=format_amount, **_ctx()), (422 if error else 200)


for _code in (403, 404):
    bp.register_error_handler(_code, page_error)
