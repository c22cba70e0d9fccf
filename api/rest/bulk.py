"""The supervisors' bulk actions: reassign many cases at once (a mediator leaves or is overloaded), acknowledge many
alerts with one note. The routes join the ``cases`` and ``hotspots`` blueprints (their resources); each case or
alert goes through the same service as one at a time."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.db import db_session
from api.rest.alerts import blp as alerts_blp
from api.rest.cases import blp as cases_blp
from api.rest.notifications import assignment_observers
from api.rest.representations import Id
from mediation.cases import assignment
from mediation.risk import alerts as alert_svc


class BulkReassignIn(Schema):
    class Meta:
        unknown = "raise"

    case_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=assignment.BULK_LIMIT),
                           metadata={"description": "要改派的案件"})
    from_mediator_id = Id(load_default=None, allow_none=True,
                          metadata={"description": "或：该调解员主办的全部在办案件（本辖区内）"})
    mediator_id = Id(required=True, metadata={"description": "新的主办调解员"})
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class BulkCaseOut(Schema):
    case_id = fields.Integer(required=True)
    number = fields.String(required=True)
    ok = fields.Boolean(required=True)
    code = fields.String(required=True)
    reason = fields.String(required=True)


class BulkReassignOut(Schema):
    done = fields.Integer(required=True)
    refused = fields.Integer(required=True)
    results = fields.List(fields.Nested(BulkCaseOut), required=True)


class BulkAckIn(Schema):
    class Meta:
        unknown = "raise"

    alert_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=alert_svc.BULK_LIMIT,
                                                                         error="请选择1至500条预警"))
    note = fields.String(required=True, validate=validate.Length(min=1, max=5000, error="请填写签收意见"))


class BulkAlertOut(Schema):
    alert_id = fields.Integer(required=True)
    ok = fields.Boolean(required=True)
    code = fields.String(required=True)
    reason = fields.String(required=True)
    status = fields.String(allow_none=True)


class BulkAckOut(Schema):
    done = fields.Integer(required=True)
    refused = fields.Integer(required=True)
    results = fields.List(fields.Nested(BulkAlertOut), required=True)


def reassign_many(data: dict[str, Any]) -> dict[str, Any]:
    """Shared by the REST endpoint and the case list's form."""
    session, actor = db_session(), current_actor()
    ids = list(data.get("case_ids") or [])
    if data.get("from_mediator_id"):
        ids += assignment.cases_of_mediator(session, actor=actor, mediator_id=data["from_mediator_id"])
        session.rollback()
    results = assignment.bulk_reassign(session, actor=actor, case_ids=ids, mediator_id=data["mediator_id"],
                                       reason=data.get("reason", ""), observers=assignment_observers())
    done = sum(1 for r in results if r.ok)
    return {"done": done, "refused": len(results) - done, "results": [r.__dict__ for r in results]}


@cases_blp.route("/bulk/reassign")
class BulkReassign(MethodView):
    @cases_blp.arguments(BulkReassignIn)
    @cases_blp.response(200, BulkReassignOut)
    @cases_blp.doc(operationId="bulkReassignCases")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """批量改派主办调解员（督导员）：逐案检查回避，逐案记录；被拒的案件列明原因，其余照常改派"""
        return reassign_many(data)


@alerts_blp.route("/risk/alerts/bulk/acknowledge")
class BulkAcknowledge(MethodView):
    @alerts_blp.arguments(BulkAckIn)
    @alerts_blp.response(200, BulkAckOut)
    @alerts_blp.doc(operationId="bulkAcknowledgeRiskAlerts")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """批量签收预警并填写签收意见（与逐条签收的权限相同；不能签收的列明原因）"""
        results = alert_svc.bulk_acknowledge(db_session(), actor=current_actor(), alert_ids=data["alert_ids"],
                                             note=data["note"])
        done = sum(1 for r in results if r["ok"])
        return {"done": done, "refused": len(results) - done, "results": results}
