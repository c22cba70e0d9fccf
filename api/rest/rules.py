"""The scoring rules as versioned data: read the active set, dry-run a candidate over past data, save a new version."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields

from api.auth import current_actor
from api.db import db_session
from api.rest.risk_common import signed_in_blueprint
from mediation.db.models_risk import RiskRuleSet
from mediation.risk import hotspots as hot
from mediation.risk import rulesets, simulate
from mediation.risk.inputs import (
    RulesCreateSchema,
    SimulateSchema,
)
from workflows.schema import to_jsonable

blp = signed_in_blueprint("rules", "预警规则（版本化）与回放试算")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- response schemas ---------------------------------------------------------------------------------


class RulesVersionOut(Schema):
    version = fields.Integer()
    status = fields.String()
    note = fields.String()
    created_at = fields.DateTime(allow_none=True)
    activated_at = fields.DateTime(allow_none=True)
    builtin = fields.Boolean()


class RulesOut(Schema):
    version = fields.Integer()
    rules = fields.Dict(metadata={"description": "指标分档与分值、等级分数线、底线规则、集体争议人数、报告时限"})
    indicators = fields.List(fields.Dict(), metadata={"description": "可用指标"})
    versions = fields.List(fields.Nested(RulesVersionOut))


class ReplayOut(Schema):
    scope = fields.Dict()
    window = fields.Dict()
    enterprises = fields.Integer()
    candidate = fields.Dict(metadata={"description": "按试算规则回放的预警数"})
    current = fields.Dict(metadata={"description": "按现行规则回放的预警数"})
    difference = fields.Dict()
    recorded_alerts = fields.Integer(metadata={"description": "期间实际发出的预警数"})
    enterprises_changed = fields.Integer()
    changed = fields.List(fields.Dict())


# --- rules --------------------------------------------------------------------------------------------


@blp.route("/risk/rules")
class Rules(MethodView):
    @blp.response(200, RulesOut)
    @blp.doc(operationId="getRiskRules")
    def get(self) -> dict[str, Any]:
        """现行预警规则（指标权重与分档、等级分数线，作为数据保存、带版本）及全部版本"""
        actor = current_actor()
        hot.require_supervisor(actor)
        session = db_session()
        rules = rulesets.active_rules(session)
        from mediation.risk.rules import INDICATORS

        return {
            "version": rules.version, "rules": rules.to_json(),
            "indicators": [{"name": i.name, "label": i.label, "kind": i.kind, "unit": i.unit, "origin": i.origin,
                            "description": i.description} for i in INDICATORS.values()],
            "versions": rulesets.list_versions(session),
        }

    @blp.arguments(RulesCreateSchema)
    @blp.response(201, RulesVersionOut)
    @blp.doc(operationId="createRiskRuleSet")
    def post(self, _data: dict[str, Any]) -> RiskRuleSet:
        """保存新版本预警规则（系统管理员）；启用后重新评估全部企业，记录等级变化"""
        row = rulesets.save_version(db_session(), actor=current_actor(), data=request.get_json())
        row.builtin = False  # type: ignore[attr-defined]
        return row


@blp.route("/risk/rules/dry-run")
class RulesDryRun(MethodView):
    @blp.arguments(SimulateSchema)
    @blp.response(200, ReplayOut)
    @blp.doc(operationId="dryRunRiskRules")
    def post(self, _data: dict[str, Any]) -> dict[str, Any]:
        """试算：用修改后的规则回放历史数据，比较将发出的预警数（不保存）"""
        out = simulate.replay(db_session(), actor=current_actor(), data=request.get_json())
        return to_jsonable(out)  # type: ignore[no-any-return]
