"""Risk-signal intake in the web UI (早发现): register a signal about an enterprise, see the signals of your
scope, and turn one into a case in one step (the case keeps the lineage)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from api.auth import csrf
from api.db import db_session, service_env
from api.ui.forms import field_errors, form_int, leftover
from api.ui.pages import _actor, _ctx, page_error
from mediation.db.models import Enterprise
from mediation.domain.errors import DomainError, ValidationFailed
from mediation.risk import signals as signal_svc
from mediation.risk.inputs import SIGNAL_SOURCES
from mediation.risk.rules import LEVEL_LABELS

bp = Blueprint("signals_ui", __name__, template_folder="templates", url_prefix="/ui")

NUMBER_FIELDS = ("workers_affected", "wage_arrears_months", "wage_arrears_amount", "social_insurance_unpaid_months",
                 "planned_layoffs", "prior_disputes")
INTEGER_FIELDS = {"workers_affected", "social_insurance_unpaid_months", "planned_layoffs", "prior_disputes"}
FLAGS = {"relocation": "搬迁", "closure": "关停", "merger": "兼并重组", "excessive_overtime": "超时加班",
         "no_union": "未建工会", "no_collective_agreement": "未签工资集体协议"}


def _payload(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {k: form.get(k, "").strip() for k in ("source", "reporter_name", "description", "evidence")}
    ent = form.get("enterprise_id", "").strip()
    data["enterprise_id"] = ent or None if form_int(ent) is None else form_int(ent)
    phone = form.get("reporter_phone", "").strip()
    data["reporter_phone"] = phone or None
    for name in NUMBER_FIELDS:
        raw = form.get(name, "").strip()
        if raw:  # whole numbers go to the schema as integers; anything else is reported by it, inline
            n = form_int(raw) if name in INTEGER_FIELDS else None
            data[name] = raw if n is None else n
        elif name == "workers_affected":
            data[name] = 0
    for name in FLAGS:
        data[name] = form.get(name) == "on"
    return data


def _page(errors: dict[str, Any] | None = None, message: str | None = None, status: int = 200) -> Any:
    session = db_session()
    actor = _actor()
    items, total = signal_svc.list_signals(session, actor=actor, limit=50)
    enterprises = session.scalars(select(Enterprise).order_by(Enterprise.name).limit(1000)).all()
    errors = errors or {}
    shown = ("enterprise_id", "source", "reporter_name", "reporter_phone", "description", "evidence", *NUMBER_FIELDS)
    return render_template("ui/signals.html", signals=[signal_svc.signal_dict(s) for s in items], total=total,
                           enterprises=enterprises, sources=SIGNAL_SOURCES, flags=FLAGS, errors=errors,
                           other_errors=leftover(errors, shown), message=message, form=request.form, **_ctx()), status


@bp.route("/signals", methods=["GET", "POST"])
@login_required
def signals_page() -> Any:
    if request.method == "GET":
        return _page()
    csrf.protect()
    try:
        signal, result = signal_svc.record_signal(db_session(), actor=_actor(), data=_payload(request.form))
    except ValidationFailed as exc:
        return _page(errors=field_errors(exc.errors), message=exc.detail, status=422)
    except DomainError as exc:
        return _page(message=exc.detail, status=exc.status)
    level = LEVEL_LABELS.get(result.level, result.level)
    flash(f"已登记风险信息，{signal.enterprise.name}当前预警等级：{level}", "ok")
    return redirect(url_for("signals_ui.signals_page"))


@bp.route("/signals/<id:signal_id>/convert", methods=["POST"])
@login_required
def convert(signal_id: int) -> Any:
    csrf.protect()
    try:
        case = signal_svc.convert_to_case(db_session(), actor=_actor(), signal_id=signal_id, env=service_env())
    except DomainError as exc:
        return _page(message=exc.detail, status=exc.status)
    flash(f"已立案：{case.number}", "ok")
    return redirect(url_for("ui.case_page", case_id=case.id))


for _code in (403, 404):
    bp.register_error_handler(_code, page_error)
