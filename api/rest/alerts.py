"""The alerts inbox (早报告): list, detail, acknowledge, report upwards, and the early-warning report's data."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields

from api.auth import current_actor
from api.db import db_session
from api.rest.representations import Ref
from api.rest.risk_common import signed_in_blueprint, today_in_china
from mediation.risk import alerts as alert_svc
from mediation.risk import hotspots as hot
from mediation.risk.inputs import (
    AlertAckSchema,
    AlertListQuerySchema,
    AlertReportSchema,
)
from workflows.schema import to_jsonable

blp = signed_in_blueprint("alerts", "预警处置（签收、上报）与预警报告")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- response schemas ---------------------------------------------------------------------------------


class AlertOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    level = fields.String()
    level_label = fields.String()
    previous_level = fields.String()
    score = fields.Integer()
    workers = fields.Integer()
    enterprise = fields.Nested(Ref, allow_none=True)
    case_id = fields.Integer(allow_none=True)
    signal_id = fields.Integer(allow_none=True)
    organisation = fields.Nested(Ref)
    raised_at = fields.DateTime()
    report_due_on = fields.Date(metadata={"description": "报告期限（早报告）"})
    report_overdue = fields.Boolean()
    acknowledged_at = fields.DateTime(allow_none=True)
    reported_at = fields.DateTime(allow_none=True)
    actions = fields.String()
    rule_set_version = fields.Integer()


class AlertPageOut(Schema):
    items = fields.List(fields.Nested(AlertOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class WarningReportOut(Schema):
    """The facts of the early-warning report (风险预警报告): enterprise, location/park, indicators, workers
    involved, level, actions, reporter, time."""

    alert = fields.Nested(AlertOut, allow_none=True)
    case = fields.Dict(allow_none=True)
    enterprise = fields.Dict(allow_none=True)
    location = fields.Dict()
    organisation = fields.Nested(Ref)
    level = fields.String()
    level_label = fields.String()
    score = fields.Integer()
    indicators = fields.List(fields.Dict())
    explanation = fields.Dict()
    workers_involved = fields.Integer()
    signals = fields.List(fields.Dict())
    cases = fields.List(fields.Dict())
    actions = fields.String()
    reporter = fields.Dict(allow_none=True)
    raised_at = fields.DateTime(allow_none=True)
    report_due_on = fields.Date(allow_none=True)


# --- alerts -------------------------------------------------------------------------------------------


@blp.route("/risk/alerts")
class Alerts(MethodView):
    @blp.arguments(AlertListQuerySchema, location="query")
    @blp.response(200, AlertPageOut)
    @blp.doc(operationId="listRiskAlerts")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """预警收件箱（管辖范围内：橙色、红色预警和集体劳动争议）"""
        actor = current_actor()
        hot.require_supervisor(actor)
        session = db_session()
        items, total = alert_svc.list_alerts(session, actor=actor, status=args.get("status"), kind=args.get("kind"),
                                             enterprise_id=args.get("enterprise_id"), limit=args["per_page"],
                                             offset=(args["page"] - 1) * args["per_page"])
        today = today_in_china()
        return {"items": [alert_svc.alert_dict(a, today) for a in items], "total": total, "page": args["page"],
                "per_page": args["per_page"]}


@blp.route("/risk/alerts/<id:alert_id>")
class AlertItem(MethodView):
    @blp.response(200, AlertOut)
    @blp.doc(operationId="getRiskAlert")
    def get(self, alert_id: int) -> dict[str, Any]:
        """预警详情"""
        actor = current_actor()
        hot.require_supervisor(actor)
        return alert_svc.alert_dict(alert_svc.get_alert(db_session(), actor=actor, alert_id=alert_id), today_in_china())


@blp.route("/risk/alerts/<id:alert_id>/acknowledge")
class AlertAcknowledge(MethodView):
    @blp.arguments(AlertAckSchema)
    @blp.response(200, AlertOut)
    @blp.doc(operationId="acknowledgeRiskAlert")
    def post(self, _data: dict[str, Any], alert_id: int) -> dict[str, Any]:
        """接报预警"""
        a = alert_svc.acknowledge(db_session(), actor=current_actor(), alert_id=alert_id, data=request.get_json())
        return alert_svc.alert_dict(a, today_in_china())


@blp.route("/risk/alerts/<id:alert_id>/report")
class AlertReport(MethodView):
    @blp.response(200, WarningReportOut)
    @blp.doc(operationId="getRiskAlertReport")
    def get(self, alert_id: int) -> dict[str, Any]:
        """风险预警报告的内容（企业、地点和园区、指标、涉及人数、等级、措施、报告人、时间）"""
        actor = current_actor()
        hot.require_supervisor(actor)
        ctx = alert_svc.report_context(db_session(), actor=actor, alert_id=alert_id)
        for key in ("case", "enterprise", "location", "reporter", "explanation"):
            ctx[key] = to_jsonable(ctx[key])
        for key in ("indicators", "signals", "cases"):
            ctx[key] = [to_jsonable(x) for x in ctx[key]]
        return ctx

    @blp.arguments(AlertReportSchema)
    @blp.response(200, AlertOut)
    @blp.doc(operationId="reportRiskAlert")
    def post(self, _data: dict[str, Any], alert_id: int) -> dict[str, Any]:
        """报告预警（早报告）：写明已采取的措施"""
        a = alert_svc.report(db_session(), actor=current_actor(), alert_id=alert_id, data=request.get_json())
        return alert_svc.alert_dict(a, today_in_china())
