"""Web UI: parties after intake (the case page's "登记当事人" form) and the extra workers/representatives
of the intake form. The service (mediation.cases.parties) validates, records and checks the version."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from api.auth import csrf
from api.db import db_session, service_env
from api.ui.forms import field_errors, form_int
from mediation.cases import parties as party_svc
from mediation.domain.enums import PartyRole
from mediation.domain.errors import ConflictError, DomainError, ValidationFailed
from workflows.definitions import get_definition

bp = Blueprint("ui_parties", __name__, template_folder="templates", url_prefix="/ui")

#: Roles the forms offer (the employer is registered at intake).
FORM_ROLES = ((PartyRole.WORKER.value, "劳动者"), (PartyRole.REPRESENTATIVE.value, "劳动者代表（集体争议）"),
              (PartyRole.AGENT.value, "代理人"))
_FIELDS = ("name", "gender", "id_number", "phone", "email", "address", "job_title", "agent_kind",
           "authorisation_scope")
#: How many extra worker/representative rows the intake form offers.
INTAKE_EXTRA_ROWS = 5


def extra_intake_parties(form: Any) -> list[dict[str, Any]]:
    """The intake form's extra rows (``extra_role``, ``extra_name``, ``extra_id_number``, ``extra_phone``):
    more workers, or the representatives a collective dispute elects (LDMAL art. 7). Blank rows are skipped."""
    roles, names = form.getlist("extra_role"), form.getlist("extra_name")
    ids, phones = form.getlist("extra_id_number"), form.getlist("extra_phone")
    out: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        if not name.strip():
            continue
        role = roles[i] if i < len(roles) and roles[i] else PartyRole.WORKER.value
        party: dict[str, Any] = {"role": role, "name": name.strip()}
        for key, values in (("id_number", ids), ("phone", phones)):
            v = values[i].strip() if i < len(values) else ""
            if v:
                party[key] = v
        out.append(party)
    return out


def _form_payload(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"role": form.get("party_role", "")}
    for f in _FIELDS:
        v = form.get(f"party_{f}", "").strip()
        if v or f == "name":
            data[f] = v
    if form.get("party_authorised_to_sign"):
        data["authorised_to_sign"] = True
    rep = form.get("party_represents_id", "").strip()
    if rep:
        data["represents_id"] = rep if form_int(rep) is None else form_int(rep)
    return data


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    def parties_editable(case: dict[str, Any]) -> bool:
        """Whether the case page offers the parties form (the service decides; this only hides it)."""
        if not current_user.is_authenticated or current_user.role not in ("clerk", "mediator"):
            return False
        return bool(get_definition(case["workflow_version"]).state(case["status"]).open)

    return {"parties_editable": parties_editable, "party_form_roles": FORM_ROLES}


@bp.route("/cases/<id:case_id>/parties", methods=["POST"])
@login_required
def add_party(case_id: int) -> Any:
    from api.ui.pages import _render_case

    csrf.protect()
    version = request.form.get("version", "")
    try:
        _, party = party_svc.add_party(db_session(), case_id=case_id, actor=current_user.actor,
                                       data=_form_payload(request.form),
                                       expected_version=-1 if form_int(version) is None else form_int(version),
                                       env=service_env())
    except ValidationFailed as exc:
        return _render_case(case_id, errors=field_errors(exc.errors), message=exc.detail, failed_event="parties",
                            status=422)
    except ConflictError as exc:
        from api.ui.pages import _stale

        return _stale(case_id, "parties", exc.status)
    except DomainError as exc:
        return _render_case(case_id, message=exc.detail, failed_event="parties", status=exc.status)
    flash(f"已登记当事人：{party.name}", "ok")
    return redirect(url_for("ui.case_page", case_id=case_id) + "#parties")
