"""Risk signals (早发现): intake, list, detail, turning a signal into a case or attaching it to one, resolving it;
and an enterprise's warning level with its explanation and history. Services enforce who sees what."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView
from marshmallow import Schema, fields

from api.auth import current_actor
from api.db import db_session, service_env
from api.rest.cases import detail as case_detail
from api.rest.representations import CaseDetailOut, Ref
from api.rest.risk_common import signed_in_blueprint
from mediation.risk import hotspots as hot
from mediation.risk import signals as signal_svc
from mediation.risk.inputs import (
    SignalAttachSchema,
    SignalConvertSchema,
    SignalCreateSchema,
    SignalListQuerySchema,
    SignalResolveSchema,
)
from workflows.schema import to_jsonable

blp = signed_in_blueprint("signals", "风险信号（早发现）与企业预警等级")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- response schemas ---------------------------------------------------------------------------------


class SignalOut(Schema):
    id = fields.Integer()
    enterprise = fields.Nested(Ref)
    organisation = fields.Nested(Ref)
    source = fields.String()
    source_label = fields.String()
    observed_at = fields.DateTime()
    received_at = fields.DateTime()
    reporter_name = fields.String(metadata={"description": "报告人姓名（按角色脱敏；未脱敏的查阅会被记录）"})
    reporter_phone = fields.String(allow_none=True, metadata={"description": "报告人电话（按角色脱敏）"})
    masked = fields.Boolean(metadata={"description": "报告人信息是否已按角色脱敏"})
    description = fields.String()
    evidence = fields.String()
    workers_affected = fields.Integer()
    wage_arrears_months = fields.String(allow_none=True, metadata={"description": "月数，字符串，一位小数"})
    wage_arrears_amount = fields.String(allow_none=True, metadata={"description": "金额（元），字符串，两位小数"})
    social_insurance_unpaid_months = fields.Integer(allow_none=True)
    planned_layoffs = fields.Integer(allow_none=True)
    relocation = fields.Boolean()
    closure = fields.Boolean()
    merger = fields.Boolean()
    excessive_overtime = fields.Boolean()
    no_union = fields.Boolean()
    no_collective_agreement = fields.Boolean()
    prior_disputes = fields.Integer(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    case_id = fields.Integer(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    resolution_note = fields.String()


class AssessmentOut(Schema):
    level = fields.String()
    previous_level = fields.String()
    score = fields.Integer()
    explanation = fields.Dict(metadata={"description": "得分明细：命中的指标、规则和分值"})
    alert_id = fields.Integer(allow_none=True)


class SignalCreatedOut(SignalOut):
    assessment = fields.Nested(AssessmentOut)


class SignalPageOut(Schema):
    items = fields.List(fields.Nested(SignalOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class LevelChangeOut(Schema):
    at = fields.DateTime()
    from_level = fields.String()
    to_level = fields.String()
    from_score = fields.Integer()
    to_score = fields.Integer()
    reason = fields.String()
    rule_set_version = fields.Integer()
    signal_id = fields.Integer(allow_none=True)
    case_id = fields.Integer(allow_none=True)


class EnterpriseRiskOut(Schema):
    enterprise = fields.Dict()
    level = fields.String()
    level_label = fields.String()
    score = fields.Integer()
    rule_set_version = fields.Integer(allow_none=True)
    computed_at = fields.DateTime(allow_none=True)
    level_since = fields.DateTime(allow_none=True)
    indicators = fields.Dict(metadata={"description": "当前各项指标值"})
    explanation = fields.Dict(metadata={"description": "哪些指标、哪些规则使该企业处于当前等级"})
    history = fields.List(fields.Nested(LevelChangeOut))



def _signal(s: Any, *, endpoint: str = "", personal: bool = False) -> dict[str, Any]:
    """One signal; the reporter is unmasked (and the read recorded) only on reads by the roles that may."""
    return signal_svc.signals_for(db_session(), [s], actor=current_actor(), endpoint=endpoint, personal=personal)[0]




# --- signals ------------------------------------------------------------------------------------------


@blp.route("/risk/signals")
class Signals(MethodView):
    @blp.arguments(SignalListQuerySchema, location="query")
    @blp.response(200, SignalPageOut)
    @blp.doc(operationId="listRiskSignals")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """风险信息列表（本组织或管辖范围内）"""
        actor = current_actor()
        items, total = signal_svc.list_signals(
            db_session(), actor=actor, enterprise_id=args.get("enterprise_id"), status=args.get("status"),
            limit=args["per_page"], offset=(args["page"] - 1) * args["per_page"])
        rows = signal_svc.signals_for(db_session(), items, actor=actor, endpoint="risk_signals")
        return {"items": rows, "total": total, "page": args["page"],
                "per_page": args["per_page"]}

    @blp.arguments(SignalCreateSchema)
    @blp.response(201, SignalCreatedOut)
    @blp.doc(operationId="createRiskSignal")
    def post(self, _data: dict[str, Any]) -> dict[str, Any]:
        """登记风险信息（排查走访、12351热线、信访、劳动监察转办、媒体、企业自报）并重新评估企业风险等级"""
        actor = current_actor()
        session = db_session()
        s, result = signal_svc.record_signal(session, actor=actor, data=request.get_json())
        out = _signal(s)
        out["assessment"] = {"level": result.level, "previous_level": result.old_level, "score": result.score,
                             "explanation": to_jsonable(result.assessment.explanation()),
                             "alert_id": result.alert.id if result.alert is not None else None}
        return out


@blp.route("/risk/signals/<id:signal_id>")
class SignalItem(MethodView):
    @blp.response(200, SignalOut)
    @blp.doc(operationId="getRiskSignal")
    def get(self, signal_id: int) -> dict[str, Any]:
        """风险信息详情"""
        return _signal(signal_svc.get_signal(db_session(), actor=current_actor(), signal_id=signal_id),
                       endpoint="risk_signal", personal=True)


@blp.route("/risk/signals/<id:signal_id>/case")
class SignalToCase(MethodView):
    @blp.arguments(SignalConvertSchema)
    @blp.response(201, CaseDetailOut, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.doc(operationId="createCaseFromRiskSignal")
    def post(self, _data: dict[str, Any], signal_id: int) -> Response:
        """一步立案：由风险信息登记案件（“已发现待研判”），保留来源关联；可合并同一企业的其他风险信息"""
        actor = current_actor()
        session = db_session()
        case = signal_svc.convert_to_case(session, actor=actor, signal_id=signal_id, data=request.get_json(),
                                           env=service_env())
        resp = jsonify(CaseDetailOut().dump(case_detail(session, case, actor, personal=False)))
        resp.status_code = 201
        resp.headers["ETag"] = f'"{case.version}"'
        resp.headers["Location"] = f"/api/v1/cases/{case.id}"
        return resp


@blp.route("/risk/signals/<id:signal_id>/attach")
class SignalAttach(MethodView):
    @blp.arguments(SignalAttachSchema)
    @blp.response(200, SignalOut)
    @blp.doc(operationId="attachRiskSignal")
    def post(self, _data: dict[str, Any], signal_id: int) -> dict[str, Any]:
        """将风险信息关联到同一企业的已有案件"""
        s = signal_svc.attach_to_case(db_session(), actor=current_actor(), signal_id=signal_id,
                                      data=request.get_json())
        return _signal(s)


@blp.route("/risk/signals/<id:signal_id>/resolve")
class SignalResolve(MethodView):
    @blp.arguments(SignalResolveSchema)
    @blp.response(200, SignalOut)
    @blp.doc(operationId="resolveRiskSignal")
    def post(self, _data: dict[str, Any], signal_id: int) -> dict[str, Any]:
        """处置风险信息（已化解，或经核实不属实），并重新评估企业风险等级"""
        s, _ = signal_svc.resolve(db_session(), actor=current_actor(), signal_id=signal_id, data=request.get_json())
        return _signal(s)


# --- enterprise risk ----------------------------------------------------------------------------------


@blp.route("/risk/enterprises/<id:enterprise_id>")
class EnterpriseRiskItem(MethodView):
    @blp.response(200, EnterpriseRiskOut)
    @blp.doc(operationId="getEnterpriseRisk")
    def get(self, enterprise_id: int) -> dict[str, Any]:
        """企业风险等级及其解释（哪些指标和规则使其处于该等级）和等级变化记录"""
        out = hot.enterprise_risk(db_session(), actor=current_actor(), enterprise_id=enterprise_id)
        out["indicators"] = to_jsonable(out["indicators"])
        return out
