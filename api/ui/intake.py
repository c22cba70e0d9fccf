"""Intake (登记案件) in the web UI: the form's fields to ``create_case``'s payload, every error found in one round
and named by its field in plain Chinese, the list of workers of a collective dispute (rows added or removed,
pasted from a spreadsheet or imported from an .xlsx file — LDMAL art. 7: ten or more workers with a common
claim), and the employer picker limited to the user's area with inline registration of a new enterprise.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request
from flask_login import login_required
from marshmallow import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.auth import csrf
from api.db import db_session
from api.ui.forms import field_errors
from mediation.cases.date_checks import check_intake_dates
from mediation.cases.inputs import CaseCreateSchema
from mediation.cases.queries import escape_like, region_prefix
from mediation.db.models import Enterprise, Organisation, Park
from mediation.domain.enums import PartyRole, Role
from mediation.domain.identity import validate_id_number
from mediation.domain.policy import Actor
from mediation.domain.uscc import validate_uscc

bp = Blueprint("intake_tools", __name__, template_folder="templates", url_prefix="/ui")

#: The most rows a roster may have (the schema takes 500 parties: the applicant and the employer besides).
MAX_ROWS = 498
ROW_ROLES = ((PartyRole.WORKER.value, "劳动者"), (PartyRole.REPRESENTATIVE.value, "劳动者代表"))
#: What each field of the intake form is called (the error summary names them so).
LABELS: Mapping[str, str] = {
    "source": "申请方式", "category": "争议类别", "worker_name": "申请人姓名", "worker_gender": "申请人性别",
    "worker_id_number": "申请人身份证号码", "worker_phone": "申请人联系电话",
    "worker_email": "申请人电子邮件", "worker_address": "申请人住址",
    "worker_job_title": "申请人岗位", "worker_hired_on": "申请人入职日期", "enterprise_id": "被申请人（用人单位）",
    "new_ent_name": "新登记单位的名称", "new_ent_uscc": "新登记单位的统一社会信用代码",
    "new_ent_legal_representative": "新登记单位的法定代表人", "new_ent_address": "新登记单位的住所",
    "new_ent_phone": "新登记单位的联系电话", "claim_type": "请求类型", "claim_amount": "请求金额",
    "workers_unlisted": "名单以外的劳动者人数", "title": "案由", "requests": "调解请求", "facts": "事实和理由",
    "dispute_arose_on": "争议发生日期", "received_on": "收到申请日期", "employment_ended_on": "劳动关系终止日期",
    "common_claim": "共同请求", "roster": "劳动者名单",
}
_ID = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")
_PHONE = re.compile(r"^(?:\+?86)?1\d{10}$|^0\d{2,3}-?\d{7,8}$|^\d{7,8}$")


@dataclass
class Row:
    role: str = PartyRole.WORKER.value
    name: str = ""
    id_number: str = ""
    phone: str = ""

    @property
    def blank(self) -> bool:
        return not (self.name or self.id_number or self.phone)


def form_rows(form: Any) -> list[Row]:
    """The roster rows as typed (blank rows kept, so a re-rendered form shows the same rows)."""
    names = form.getlist("extra_name")
    roles, ids, phones = form.getlist("extra_role"), form.getlist("extra_id_number"), form.getlist("extra_phone")

    def at(values: list[str], i: int) -> str:
        return values[i].strip() if i < len(values) else ""

    return [Row(role=at(roles, i) or PartyRole.WORKER.value, name=at(names, i), id_number=at(ids, i).upper(),
                phone=at(phones, i)) for i in range(len(names))]


def _tokens(line: str) -> list[str]:
    line = unicodedata.normalize("NFKC", line)
    return [t for t in re.split(r"[\t,，、;；|]+|\s{1,}", line.strip()) if t]


def row_from_tokens(tokens: list[str]) -> Row | None:
    """One worker from the cells of a line, whatever their order: the ID number and the phone are recognised by
    their shape, the name is what is left (the first other cell); a role word (代表) makes a representative."""
    row = Row()
    rest = []
    for t in tokens:
        t = t.strip().strip("'\"")
        if not t:
            continue
        if _ID.match(t) and not row.id_number:
            row.id_number = t.upper()
        elif _PHONE.match(t.replace(" ", "")) and not row.phone:
            row.phone = t
        elif t in ("代表", "劳动者代表", "职工代表"):
            row.role = PartyRole.REPRESENTATIVE.value
        elif t in ("劳动者", "职工"):
            continue
        else:
            rest.append(t)
    if rest:
        row.name = rest[0][:200]
    if row.name in ("姓名", "名字") or (not row.name and not row.id_number):
        return None  # a header line, or nothing usable
    return row


def parse_roster_text(text: str) -> list[Row]:
    rows = [row_from_tokens(_tokens(line)) for line in text.splitlines()[: MAX_ROWS + 1]]
    return [r for r in rows if r is not None][:MAX_ROWS]


class RosterError(ValueError):
    pass


def parse_roster_xlsx(data: bytes) -> list[Row]:
    """The first sheet of an .xlsx file: one worker per row (name, ID number, phone in any order)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # any unreadable file is the same answer to the user
        raise RosterError("无法读取该文件：请选择 Excel 工作簿（.xlsx），"
                          "第一列姓名、第二列身份证号码、第三列电话") from exc
    try:
        ws = wb.worksheets[0]
        out: list[Row] = []
        for values in ws.iter_rows(values_only=True, max_row=MAX_ROWS + 1, max_col=6):
            cells = [str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in values
                     if v is not None and str(v).strip()]
            row = row_from_tokens(cells)
            if row is not None:
                out.append(row)
        return out[:MAX_ROWS]
    finally:
        wb.close()


def roster_errors(rows: list[Row], applicant_id: str) -> dict[str, list[str]]:
    """Each row's own problems, as ``extra.<i>.<field>`` (the form shows them in the row)."""
    errors: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    if applicant_id:
        seen[applicant_id.upper()] = -1
    for i, r in enumerate(rows):
        if r.blank:
            continue
        if not r.name:
            errors[f"extra.{i}.name"] = ["请填写姓名"]
        if r.id_number:
            try:
                validate_id_number(r.id_number)
            except ValueError as exc:
                errors[f"extra.{i}.id_number"] = [str(exc)]
            else:
                if r.id_number in seen:
                    other = "申请人" if seen[r.id_number] < 0 else f"第{seen[r.id_number] + 1}行"
                    errors[f"extra.{i}.id_number"] = [f"与{other}的身份证号码重复"]
                seen.setdefault(r.id_number, i)
    return errors


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        return None


def all_rows(form: Any) -> list[Row]:
    """The rows typed, then any lines left in the paste box (the import without JavaScript)."""
    rows = form_rows(form)
    pasted = form.get("roster_text", "")
    return (rows + parse_roster_text(pasted))[:MAX_ROWS] if pasted.strip() else rows


def payload(form: Any, actor: Actor, enterprise: Enterprise | None) -> dict[str, Any]:
    """The form as ``create_case`` takes it: the worker is party 0, the employer party 1, the roster after."""
    worker: dict[str, Any] = {"role": "worker", "name": form.get("worker_name", "").strip()}
    for f in ("gender", "id_number", "phone", "email", "address", "job_title", "hired_on"):
        v = form.get(f"worker_{f}", "").strip()
        if v:
            worker[f] = v
    employer: dict[str, Any] = {"role": "employer", "name": form.get("new_ent_name", "").strip()}
    if enterprise is not None:
        employer = {"role": "employer", "name": enterprise.name}
        for f in ("uscc", "legal_representative", "address"):
            if getattr(enterprise, f):
                employer[f] = getattr(enterprise, f)
    rows = [r for r in all_rows(form) if not r.blank]
    extra = []
    for r in rows:
        p: dict[str, Any] = {"role": r.role if r.role in dict(ROW_ROLES) else "worker", "name": r.name}
        if r.id_number:
            p["id_number"] = r.id_number
        if r.phone:
            p["phone"] = r.phone
        extra.append(p)
    claims = []
    if form.get("claim_type"):
        claim: dict[str, Any] = {"claim_type": form["claim_type"], "description": form.get("claim_description", "")}
        amount = unicodedata.normalize("NFKC", form.get("claim_amount", "")).strip().replace(",", "").replace("，", "")
        if amount:
            claim["amount"] = amount
        claims.append(claim)
    unlisted = form.get("workers_unlisted", "").strip()
    counted = unlisted.isascii() and unlisted.isdigit() and len(unlisted) < 8
    workers = 1 + len(extra) + (int(unlisted) if counted else 0)
    data: dict[str, Any] = {
        "title": form.get("title", "").strip() or f"{worker['name']}与{employer['name']}劳动争议",
        "category": form.get("category", ""), "source": form.get("source", "") or "walk_in_written",
        "organisation_id": actor.organisation_id, "workers_count": workers,
        "facts": form.get("facts", "").strip(), "requests": form.get("requests", "").strip(),
        "parties": [worker, employer, *extra], "claims": claims,
    }
    if workers >= 10:
        # the form's 调解请求 is, for ten or more workers, their common claim (LDMAL art. 7)
        data["common_claim"] = data["requests"]
    if form.get("employment_ongoing"):
        data["employment_ongoing"] = True
    if enterprise is not None:
        data["enterprise_id"] = enterprise.id
    for f in ("dispute_arose_on", "received_on", "employment_ended_on"):
        if form.get(f, "").strip():
            data[f] = form[f].strip()
    return data


#: The service's error keys → the form's fields (party 0 the worker, 1 the employer, claim 0 the claim).
ALIASES = {"parties.0.": "worker_", "parties.1.name": "enterprise_id", "parties.1.": "enterprise_id",
           "claims.0.amount": "claim_amount", "claims.0.": "claim_type", "organisation_id": "_schema",
           "is_collective": "workers_unlisted", "workers_count": "workers_unlisted", "common_claim": "requests"}


def _alias_rows(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in errors.items():
        m = re.match(r"^parties\.(\d+)\.(\w+)$", k)
        if m and int(m[1]) >= 2:
            k = f"extra.{int(m[1]) - 2}.{m[2]}"
        out.setdefault(k, []).extend(v)
    return out


def validate(form: Any, data: Mapping[str, Any], today: dt.date, *, enterprise_chosen: bool) -> dict[str, list[str]]:
    """Every problem of the form at once (the schema's, the dates', the employer, the roster), each under the
    field it concerns, in plain Chinese: a blank required field says 请填写…, not a length rule."""
    errors: dict[str, list[str]] = {}
    try:
        loaded = CaseCreateSchema().load(dict(data))
    except ValidationError as exc:
        errors = _alias_rows(field_errors(exc.normalized_messages(), ALIASES))
        loaded = {f: _date(str(data.get(f, ""))) for f in ("dispute_arose_on", "received_on", "employment_ended_on")}
    for k, v in check_intake_dates(loaded, today).items():
        errors.setdefault(k, []).extend(v)
    blank = {"worker_name": "请填写申请人姓名", "category": "请选择争议类别"}
    for name, message in blank.items():
        if not form.get(name, "").strip():
            errors[name] = [message]
    if not enterprise_chosen:
        errors.pop("enterprise_id", None)
        if not form.get("new_ent_name", "").strip():
            errors["enterprise_id"] = ["请从本辖区已登记的单位中选择被申请人，或在下方登记新的用人单位"]
        errors.update(new_enterprise_errors(form))
    rows = all_rows(form)
    for k, v in roster_errors(rows, form.get("worker_id_number", "")).items():
        if k.endswith(".name") or k not in errors:  # 请填写姓名, not the schema's length rule
            errors[k] = v
    unlisted = form.get("workers_unlisted", "").strip()
    if unlisted and not (unlisted.isascii() and unlisted.isdigit() and len(unlisted) < 8):
        errors["workers_unlisted"] = ["请填写整数（名单以外尚未登记姓名的人数），不填即为0"]
    listed = 1 + len([r for r in rows if not r.blank])
    if listed >= 10 and not form.get("requests", "").strip():
        errors["requests"] = ["集体争议请写明全体劳动者的共同请求（《劳动争议调解仲裁法》第七条）"]
    return errors


def new_enterprise_errors(form: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = form.get("new_ent_name", "").strip()
    if len(name) > 200:
        errors["new_ent_name"] = ["单位名称不能超过200个字"]
    uscc = form.get("new_ent_uscc", "").strip()
    if uscc:
        try:
            validate_uscc(uscc)
        except ValueError as exc:
            errors["new_ent_uscc"] = [str(exc)]
    return errors


def register_enterprise(session: Session, form: Any, actor: Actor) -> Enterprise:
    """The new employer typed into the intake form, registered in the committee's area (the same record the
    REST API's ``POST /enterprises`` makes). An already registered USCC is that enterprise."""
    uscc = form.get("new_ent_uscc", "").strip().upper() or None
    if uscc:
        uscc = validate_uscc(uscc)
        found = session.scalar(select(Enterprise).where(Enterprise.uscc == uscc))
        if found is not None:
            return found
    org = session.get(Organisation, actor.organisation_id)
    ent = Enterprise(name=form.get("new_ent_name", "").strip(), uscc=uscc,
                     legal_representative=form.get("new_ent_legal_representative", "").strip() or None,
                     address=form.get("new_ent_address", "").strip() or None,
                     phone=form.get("new_ent_phone", "").strip() or None,
                     region_code=org.region_code if org is not None else None,
                     park_id=org.park_id if org is not None else None)
    session.add(ent)
    session.flush()
    return ent


def area_prefix(session: Session, actor: Actor) -> str | None:
    """The region an actor's enterprises are in: their organisation's (a district's prefix for a district, a
    city's for a city…); none for an organisation without a region (then every enterprise is offered)."""
    org = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    return region_prefix(org.region_code) if org is not None and org.region_code else None


def search_enterprises(session: Session, actor: Actor, q: str, limit: int = 12) -> tuple[list[Enterprise], int]:
    stmt = select(Enterprise)
    prefix = area_prefix(session, actor)
    if prefix and actor.role != Role.ADMIN:
        stmt = stmt.where(Enterprise.region_code.like(prefix + "%"))
    q = unicodedata.normalize("NFKC", q).strip()[:100]
    if q:
        like = f"%{escape_like(q)}%"
        stmt = stmt.where(or_(Enterprise.name.like(like, escape="\\"), Enterprise.uscc == q.upper(),
                              Enterprise.legal_representative == q))
    from sqlalchemy import func

    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return list(session.scalars(stmt.order_by(Enterprise.name).limit(limit)).all()), int(total)


@bp.route("/enterprises/pick")
@login_required
def pick_enterprise() -> Any:
    """The employer picker's results (htmx): enterprises of the user's area whose name (or USCC, or legal
    representative) matches."""
    from api.ui.pages import _actor

    session = db_session()
    q = request.args.get("ent_q", "")
    items, total = search_enterprises(session, _actor(), q)
    parks = {p.id: p.name for p in session.scalars(select(Park).where(
        Park.id.in_({e.park_id for e in items if e.park_id}))).all()} if items else {}
    return render_template("ui/_enterprise_results.html", items=items, total=total, q=q.strip(), parks=parks)


@bp.route("/intake/roster", methods=["POST"])
@login_required
def import_roster() -> Any:
    """Rows for the roster (htmx): from pasted lines (``roster_text``) or an .xlsx file (``roster_file``)."""
    csrf.protect()
    upload = request.files.get("roster_file")
    message = None
    rows: list[Row] = []
    try:
        if upload is not None and upload.filename:
            rows = parse_roster_xlsx(upload.read())
        else:
            rows = parse_roster_text(request.form.get("roster_text", ""))
    except RosterError as exc:
        message = str(exc)
    row_count = request.form.get("row_count", "")
    start = int(row_count) if row_count.isascii() and row_count.isdigit() and len(row_count) < 6 else 0
    return render_template("ui/_roster_rows.html", rows=rows, start=start, message=message, errors={},
                           roles=ROW_ROLES, oob=True)
