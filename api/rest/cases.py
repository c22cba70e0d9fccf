"""Cases: intake, list, detail, transitions, history, sessions, parties, assignment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from api.auth import current_actor
from api.db import db_session, service_env
from api.rest.notifications import assignment_observers
from api.rest.representations import (
    MAX_ID,
    AssignIn,
    CaseDetailOut,
    CaseListArgs,
    CasePageOut,
    EventOut,
    PartyAddIn,
    PartyOut,
    PartyPatchIn,
    SessionOut,
    Strict,
    SuggestionOut,
    TransitionIn,
)
from mediation.cases import assignment as assign_svc
from mediation.cases import parties as party_svc
from mediation.cases import service as svc
from mediation.cases.inputs import CaseCreateSchema
from mediation.cases.queries import list_cases
from mediation.db.idempotency import run_once
from mediation.db.models import Agreement, Case, CaseEvent, MediationSession, Party
from mediation.db.models_access import PersonalDataAccess
from mediation.domain.deadline_rules import DeadlineKind, default_rules
from mediation.domain.enums import ClaimType, DisputeCategory, PartyRole
from mediation.domain.errors import ConflictError, DomainError
from mediation.domain.identity import mask_address, mask_email, mask_id_number, mask_phone
from mediation.domain.policy import Actor, can
from mediation.runtime.metrics import TRANSITIONS
from workflows import deadlines as dl
from workflows import notes
from workflows.definitions import get_definition

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="案件：登记、查询、流转与历史")

PERSONAL = ("id_number", "phone", "email", "address")


class PreconditionRequired(DomainError):
    code = "precondition_required"
    title = "请提供您看到的案件版本"
    status = 428


def _ref(obj: Any, name_attr: str = "name") -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.id, "name": getattr(obj, name_attr)}


def summary(case: Case) -> dict[str, Any]:
    d = get_definition(case.workflow_version)
    return {
        "id": case.id, "number": case.number, "title": case.title, "category": case.category,
        "category_label": DisputeCategory(case.category).label, "source": case.source, "status": case.status,
        "status_label": d.state(case.status).label, "organisation": _ref(case.organisation),
        "enterprise": _ref(case.enterprise), "lead_mediator": _ref(case.lead_mediator, "display_name"),
        "workers_count": case.workers_count, "is_collective": case.is_collective, "reported_on": case.reported_on,
        "received_on": case.received_on, "accepted_on": case.accepted_on, "version": case.version,
    }


def party_dict(p: Party, unmasked: bool) -> dict[str, Any]:
    out = {c: getattr(p, c) for c in ("id", "role", "name", "gender", "birth_date", "id_number", "phone", "email",
                                     "address", "job_title", "hired_on", "uscc", "legal_representative",
                                     "represents_id", "agent_kind", "authorised_to_sign", "authorisation_scope")}
    out["role_label"] = PartyRole(p.role).label
    # Employers' particulars are public registration data; natural persons' are personal data.
    if not unmasked and p.role != PartyRole.EMPLOYER:
        out["id_number"] = mask_id_number(p.id_number)
        out["phone"] = mask_phone(p.phone)
        out["email"] = mask_email(p.email)
        out["address"] = mask_address(p.address)
        out["masked"] = True
    else:
        out["masked"] = False
    return out


def parties_for(session: Session, case: Case, actor: Actor, endpoint: str, *, personal: bool = True
                ) -> list[dict[str, Any]]:
    """Parties with personal data masked for roles that don't need it; unmasked reads are recorded.

    ``personal=False`` (responses to writes) masks for everyone: the full particulars are only served by
    the reads that are recorded (GET case, GET parties).
    """
    unmasked = personal and can(actor, "read_personal", case)
    parties = [party_dict(p, unmasked) for p in case.parties]
    if unmasked and actor.user_id is not None:
        shown = sorted({f for p in case.parties if p.role != PartyRole.EMPLOYER for f in PERSONAL
                        if getattr(p, f)})
        if shown:
            session.add(PersonalDataAccess(user_id=actor.user_id, case_id=case.id, fields=shown, endpoint=endpoint))
            session.commit()
    return parties


def _load_graph(session: Session, case: Case) -> None:
    """Load the collections the detail shows that are not loaded yet, batched instead of lazily."""
    unloaded = sa_inspect(case).unloaded
    options = [selectinload(getattr(Case, name)) for name in ("parties", "claims", "deadlines") if name in unloaded]
    if "agreements" in unloaded:
        options.append(selectinload(Case.agreements).selectinload(Agreement.obligations))
    for name in ("enterprise", "lead_mediator"):
        if name in unloaded:
            options.append(joinedload(getattr(Case, name)))
    if options:
        session.scalars(select(Case).where(Case.id == case.id).options(*options)).one()


def _limitation(case: Case) -> dict[str, Any] | None:
    status = dl.limitation_status(case)
    if status is None:
        return None
    return {"basis": status.basis, "since": status.since, "due_on": status.due, "provisional": status.provisional,
            "suspended_on": status.suspended_on, "suspended_days": status.suspended_days, "note": status.note,
            "text": notes.limitation_line(case)}


def detail(session: Session, case: Case, actor: Actor, *, personal: bool = True) -> dict[str, Any]:
    _load_graph(session, case)
    env = service_env()
    today = env.today()
    rules = env.rules_for(case.rules_version) if case.rules_version else default_rules()
    out = summary(case)
    out.update({
        "workflow_version": case.workflow_version, "facts": case.facts, "requests": case.requests,
        "oral_application": case.oral_application, "respondent_consents": case.respondent_consents,
        "dispute_arose_on": case.dispute_arose_on, "agreed_on": case.agreed_on, "ended_on": case.ended_on,
        "closed_on": case.closed_on, "end_reason": case.end_reason, "extension_days": case.extension_days,
        "escalated_at": case.escalated_at,
        "common_claim": case.common_claim, "employment_ongoing": case.employment_ongoing,
        "employment_ended_on": case.employment_ended_on,
        "collective_note": notes.collective_note(case, rules.collective_threshold),
        "limitation": _limitation(case),
        "claims": [{"id": c.id, "claim_type": c.claim_type, "claim_type_label": ClaimType(c.claim_type).label,
                    "description": c.description, "amount": c.amount} for c in case.claims],
        "deadlines": [{"id": d.id, "kind": d.kind, "label": rules.rule(DeadlineKind(d.kind)).label,
                       "anchor_on": d.anchor_on, "due_on": d.due_on, "status": d.status,
                       "status_label": dl.status_label(d, today),
                       "milestone": rules.rule(DeadlineKind(d.kind)).milestone,
                       "provisional": d.provisional, "basis": d.basis, "obligation_id": d.obligation_id,
                       "resolved_on": d.resolved_on,
                       "days_left": (d.due_on - today).days} for d in case.deadlines],
        "agreements": [{"id": a.id, "kind": a.kind, "signed_on": a.signed_on, "terms": a.terms,
                        "performance_method": a.performance_method, "performance_place": a.performance_place,
                        "total_amount": a.total_amount, "review_kind": a.review_kind,
                        "review_requested_on": a.review_requested_on,
                        "obligations": [{"id": o.id, "obligor": o.obligor, "claim_type": o.claim_type,
                                         "description": o.description, "amount": o.amount, "due_on": o.due_on,
                                         "performed_amount": o.performed_amount, "status": o.status,
                                         "beneficiary": o.beneficiary}
                                        for o in a.obligations]} for a in case.agreements],
        "available_events": [o.to_dict() for o in svc.available_events(session, case=case, actor=actor, env=env,
                                                                          today=today)],
    })
    out["parties"] = parties_for(session, case, actor, "case_detail", personal=personal)
    return out


def _etag(case: Case) -> str:
    return f'"{case.version}"'


_DETAIL_OUT = CaseDetailOut()


def _with_etag(body: dict[str, Any], case: Case, status: int = 200) -> Response:
    resp = jsonify(_DETAIL_OUT.dump(body))
    resp.status_code = status
    resp.headers["ETag"] = _etag(case)
    return resp


def expected_version(body_version: int | None) -> int:
    header = request.headers.get("If-Match", "").strip()
    if header:
        raw = header.removeprefix("W/").strip('"')
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
            raise ConflictError("If-Match 应为案件版本号，例如 \"3\"", current_version=None)
        if body_version is not None and int(raw) != body_version:
            raise ConflictError("If-Match 与请求中的 version 不一致")
        return int(raw)
    if body_version is None:
        raise PreconditionRequired(
            "请在 If-Match 头或请求体的 version 字段中提供您看到的案件版本，以免覆盖他人的修改。"
        )
    return body_version


@blp.route("/")
class Cases(MethodView):
    @blp.arguments(CaseListArgs, location="query")
    @blp.response(200, CasePageOut)
    @blp.doc(operationId="listCases")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """案件列表（按权限范围；支持筛选、排序、分页）"""
        actor = current_actor()
        session = db_session()
        page = list_cases(session, actor=actor, filters=args, today=service_env().today())
        return {"items": [summary(c) for c in page.items], "total": page.total, "page": page.page,
                "per_page": page.per_page}

    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseDetailOut, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.alt_response(409, description="幂等键正在处理中")
    @blp.alt_response(422, description="输入有误，或幂等键已用于不同请求")
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string", "maxLength": 128},
                          "description": "相同的键和内容只创建一次，重复提交返回第一次的结果"}])
    @blp.doc(operationId="createCase")
    def post(self, _data: dict[str, Any]) -> Response:
        """登记案件（排查线索、书面或口头申请、协商请求）"""
        actor = current_actor()
        session = db_session()
        raw = request.get_json()

        def create() -> tuple[int, dict[str, Any]]:
            case = svc.create_case(session, actor=actor, data=raw, env=service_env())
            return 201, _DETAIL_OUT.dump(detail(session, case, actor))

        key = request.headers.get("Idempotency-Key")
        if key is None:
            status, body = create()
        else:
            assert actor.user_id is not None
            status, body, _ = run_once(session, user_id=actor.user_id, key=key, endpoint="cases.create", body=raw,
                                       action=create)
        resp = jsonify(body)
        resp.status_code = status
        resp.headers["ETag"] = f'"{body.get("version")}"'
        resp.headers["Location"] = f"/api/v1/cases/{body.get('id')}"
        return resp


@blp.route("/<id:case_id>")
class CaseItem(MethodView):
    @blp.response(200, CaseDetailOut, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.doc(operationId="getCase")
    def get(self, case_id: int) -> Response:
        """案件详情（当事人、请求、期限、当前可执行的操作及原因、版本）"""
        actor = current_actor()
        session = db_session()
        case = svc.get_case(session, case_id=case_id, actor=actor)
        if request.headers.get("If-None-Match", "").strip() == _etag(case):
            resp = Response(status=304)
            resp.headers["ETag"] = _etag(case)
            return resp
        return _with_etag(detail(session, case, actor), case)


@blp.route("/<id:case_id>/transitions")
class Transitions(MethodView):
    @blp.arguments(TransitionIn)
    @blp.response(200, CaseDetailOut, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.alt_response(403, description="您的角色无权执行该操作（role_not_allowed）")
    @blp.alt_response(409, description="版本冲突或当前状态不允许该操作（附可执行的操作）")
    @blp.alt_response(422, description="输入有误或条件不满足（附原因）")
    @blp.alt_response(428, description="未提供版本")
    @blp.alt_response(204, description="Prefer: return=minimal 时：已执行，新版本见 ETag 头，不返回案件详情",
                      headers={"ETag": {"schema": {"type": "string"}},
                               "Preference-Applied": {"schema": {"type": "string"}}})
    @blp.doc(parameters=[
        {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
         "description": "您看到的案件版本（ETag），或在请求体中提供 version"},
        {"in": "header", "name": "Prefer", "required": False,
         "schema": {"type": "string", "enum": ["return=representation", "return=minimal"]},
         "description": "RFC 7240：return=minimal 只返回 204 和新的 ETag（批量处理的机器客户端更快）"},
    ])
    @blp.doc(operationId="fireTransition")
    def post(self, data: dict[str, Any], case_id: int) -> Response:
        """执行流程操作（受理、记录调解、签署协议、终止、移送……）"""
        actor = current_actor()
        session = db_session()
        version = expected_version(data.get("version"))
        case = svc.fire_event(session, case_id=case_id, event=data["event"], actor=actor,
                              payload=data.get("payload") or {}, expected_version=version, env=service_env())
        TRANSITIONS.labels(data["event"]).inc()
        if "return=minimal" in request.headers.get("Prefer", ""):
            resp = Response(status=204)
            resp.headers["ETag"] = _etag(case)
            resp.headers["Preference-Applied"] = "return=minimal"
            return resp
        return _with_etag(detail(session, case, actor, personal=False), case)


def _event_label(session: Session, ev: CaseEvent, version: str) -> str:
    return get_definition(version).event_label(ev.event)


@blp.route("/<id:case_id>/events")
class Events(MethodView):
    @blp.response(200, EventOut(many=True))
    @blp.doc(operationId="listCaseEvents")
    def get(self, case_id: int) -> list[dict[str, Any]]:
        """案件历史（只增不改的事件记录）"""
        session = db_session()
        case = svc.get_case(session, case_id=case_id, actor=current_actor())
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
        return [{"seq": e.seq, "event": e.event, "event_label": _event_label(session, e, case.workflow_version),
                 "from_state": e.from_state, "to_state": e.to_state, "actor_id": e.actor_id,
                 "actor_role": e.actor_role, "at": e.at, "reason": e.reason, "payload": e.payload} for e in events]


@blp.route("/<id:case_id>/sessions")
class Sessions(MethodView):
    @blp.response(200, SessionOut(many=True))
    @blp.doc(operationId="listCaseSessions")
    def get(self, case_id: int) -> list[MediationSession]:
        """调解会议及笔录（新增请执行 record_session 操作）"""
        session = db_session()
        case = svc.get_case(session, case_id=case_id, actor=current_actor())
        return list(case.sessions)


class PartyWriteOut(PartyOut):
    case_version = fields.Integer(metadata={"description": "变更后的案件版本（下一次变更请提供此版本）"})


class VersionIn(Strict):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID),
                             metadata={"description": "您看到的案件版本（或用 If-Match 头）"})


_PARTY_WRITE_OUT = PartyWriteOut()
_VERSION_DOC = [{"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
                 "description": "您看到的案件版本（ETag），或在请求体/查询参数中提供 version"}]


def _party_written(session: Session, case: Case, party: Any, actor: Actor, status: int) -> tuple[int, dict[str, Any]]:
    """The changed party, masked for everyone (write responses never serve personal data: the recorded
    reads do), with the case's new version."""
    body = next(p for p in parties_for(session, case, actor, "", personal=False) if p["id"] == party.id)
    return status, _PARTY_WRITE_OUT.dump({**body, "case_version": case.version})


def _party_response(status: int, body: Mapping[str, Any]) -> Response:
    resp = jsonify(body)
    resp.status_code = status
    resp.headers["ETag"] = f'"{body.get("case_version")}"'
    return resp


@blp.route("/<id:case_id>/parties")
class Parties(MethodView):
    @blp.response(200, PartyOut(many=True))
    @blp.doc(operationId="listCaseParties")
    def get(self, case_id: int) -> list[dict[str, Any]]:
        """当事人（个人信息按角色脱敏；未脱敏的查阅会被记录）"""
        session = db_session()
        actor = current_actor()
        case = svc.get_case(session, case_id=case_id, actor=actor)
        return parties_for(session, case, actor, "case_parties")

    @blp.arguments(PartyAddIn)
    @blp.response(201, PartyWriteOut, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.alt_response(403, description="只有本案的登记员和调解员可以登记当事人")
    @blp.alt_response(409, description="版本冲突，或案件已办结")
    @blp.alt_response(422, description="输入有误（身份证号码校验位、电话等）")
    @blp.alt_response(428, description="未提供版本")
    @blp.doc(parameters=[*_VERSION_DOC, {"in": "header", "name": "Idempotency-Key", "required": False,
                                         "schema": {"type": "string", "maxLength": 128},
                                         "description": "相同的键和内容只登记一次，重复提交返回第一次的结果"}])
    @blp.doc(operationId="createCaseParty")
    def post(self, data: dict[str, Any], case_id: int) -> Response:
        """登记当事人：劳动者、集体争议的劳动者代表、代理人（及其代理的当事人）；记入案件历史"""
        actor = current_actor()
        session = db_session()
        raw = dict(request.get_json())
        version = expected_version(raw.pop("version", None))

        def create() -> tuple[int, dict[str, Any]]:
            case, party = party_svc.add_party(session, case_id=case_id, actor=actor, data=raw,
                                              expected_version=version, env=service_env())
            return _party_written(session, case, party, actor, 201)

        key = request.headers.get("Idempotency-Key")
        if key is None:
            status, body = create()
        else:
            assert actor.user_id is not None
            status, body, _ = run_once(session, user_id=actor.user_id, key=key,
                                       endpoint=f"cases.parties.create:{case_id}", body=request.get_json(),
                                       action=create)
        resp = _party_response(status, body)
        resp.headers["Location"] = f"/api/v1/cases/{case_id}/parties/{body.get('id')}"
        return resp


@blp.route("/<id:case_id>/parties/<id:party_id>")
class PartyItem(MethodView):
    @blp.arguments(PartyPatchIn)
    @blp.response(200, PartyWriteOut, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.alt_response(409, description="版本冲突，或案件已办结")
    @blp.alt_response(428, description="未提供版本")
    @blp.doc(parameters=_VERSION_DOC)
    @blp.doc(operationId="updateCaseParty")
    def patch(self, data: dict[str, Any], case_id: int, party_id: int) -> Response:
        """更正当事人信息（只改提交的字段；记入案件历史）"""
        actor = current_actor()
        session = db_session()
        raw = dict(request.get_json())
        version = expected_version(raw.pop("version", None))
        case, party = party_svc.update_party(session, case_id=case_id, party_id=party_id, actor=actor, data=raw,
                                             expected_version=version)
        return _party_response(*_party_written(session, case, party, actor, 200))

    @blp.arguments(VersionIn, location="query")
    @blp.response(204, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.alt_response(409, description="版本冲突、案件已办结，或不能删除（唯一的劳动者/用人单位，或尚有代理人）")
    @blp.alt_response(428, description="未提供版本")
    @blp.doc(parameters=_VERSION_DOC)
    @blp.doc(operationId="deleteCaseParty")
    def delete(self, args: dict[str, Any], case_id: int, party_id: int) -> Response:
        """删除误登记的当事人（记入案件历史）"""
        version = expected_version(args.get("version"))
        case = party_svc.remove_party(db_session(), case_id=case_id, party_id=party_id, actor=current_actor(),
                                      expected_version=version)
        resp = Response(status=204)
        resp.headers["ETag"] = _etag(case)
        return resp


@blp.route("/<id:case_id>/mediator-suggestions")
class Suggestions(MethodView):
    @blp.response(200, SuggestionOut(many=True))
    @blp.doc(operationId="listMediatorSuggestions")
    def get(self, case_id: int) -> list[Any]:
        """建议的调解员（按在办案件数；申报回避的排在最后并注明原因）"""
        return assign_svc.suggest_mediators(db_session(), case_id=case_id, actor=current_actor())


@blp.route("/<id:case_id>/assignment")
class Assignment(MethodView):
    @blp.arguments(AssignIn)
    @blp.response(200, CaseDetailOut, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.alt_response(409, description="版本冲突，或该调解员应当回避")
    @blp.doc(operationId="assignCase")
    def post(self, data: dict[str, Any], case_id: int) -> Response:
        """指派或改派主办调解员（督导员）"""
        actor = current_actor()
        session = db_session()
        version = expected_version(data.get("version"))
        case = assign_svc.assign_mediator(session, case_id=case_id, actor=actor,
                                          mediator_id=data["mediator_id"], expected_version=version,
                                          reason=data.get("reason", ""), observers=assignment_observers())
        return _with_etag(detail(session, case, actor, personal=False), case)


