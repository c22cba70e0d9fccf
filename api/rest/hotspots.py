"""Early detection and warning, and the supervisors' hotspot picture (早发现、早介入、早报告).

Risk signals (intake, list, detail, turn into a case, attach, resolve), an enterprise's level with its
explanation, the alerts inbox (list, acknowledge, report, the early-warning report's data), the scoring
rules (read, dry-run replay, save a new version) and the hotspot aggregates (by region, park, enterprise,
industry, ownership, category or level; trends by month or week; drill-down; the cases behind a figure;
enterprise rankings; early-intervention times; CSV and Excel export). Services enforce who sees what;
errors are problem+json from the shared handlers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.auth import current_actor
from api.db import db_session, service_env
from api.rest.cases import detail as case_detail
from api.rest.schemas import CaseDetailOut, Ref
from mediation.db.models_risk import RiskRuleSet
from mediation.risk import alerts as alert_svc
from mediation.risk import hotspot_export, rulesets, simulate
from mediation.risk import hotspots as hot
from mediation.risk import signals as signal_svc
from mediation.risk.schemas import (
    AlertAckSchema,
    AlertListQuerySchema,
    AlertReportSchema,
    CaseListQuerySchema,
    EarlyQuerySchema,
    HotspotQuerySchema,
    RankingQuerySchema,
    RulesCreateSchema,
    SignalAttachSchema,
    SignalConvertSchema,
    SignalCreateSchema,
    SignalListQuerySchema,
    SignalResolveSchema,
    SimulateSchema,
    WarningMapQuerySchema,
)
from workflows.schema import to_jsonable

blp = Blueprint("hotspots", __name__, url_prefix="/api/v1",
                description="风险信号、预警（早发现、早介入、早报告）与风险热点统计")

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


class HotspotRowOut(Schema):
    key = fields.Raw(allow_none=True, metadata={"description": "分组值（区划代码、园区或企业编号、类别、月份……）"})
    label = fields.String()
    cases = fields.Integer()
    workers = fields.Integer()
    collective = fields.Integer()
    open_cases = fields.Integer()
    amount_claimed = fields.String(metadata={"description": "请求金额（元），字符串，两位小数"})
    amount_recovered = fields.String(metadata={"description": "已履行金额（元），字符串，两位小数"})
    agreed = fields.Integer()
    failed = fields.Integer()
    success_rate = fields.Float(allow_none=True, metadata={"description": "调解成功率 = 成功 ÷（成功 + 不成）"})
    overdue = fields.Integer()
    overdue_open = fields.Integer()
    accepted = fields.Integer()
    drill = fields.Dict(metadata={"description": "下钻：筛选条件和下一级分组"})


class HotspotOut(Schema):
    scope = fields.Dict()
    by = fields.String()
    by_label = fields.String()
    window = fields.Dict()
    filters = fields.Dict()
    source = fields.String(metadata={"description": "rollup:维度（汇总表）或 facts（案件事实表）"})
    rows = fields.List(fields.Nested(HotspotRowOut))
    total = fields.Nested(HotspotRowOut)


class HotspotCaseOut(Schema):
    id = fields.Integer()
    number = fields.String()
    title = fields.String()
    status = fields.String()
    status_label = fields.String()
    category = fields.String()
    workers_count = fields.Integer()
    is_collective = fields.Boolean()
    reported_on = fields.Date()
    level = fields.String()
    overdue = fields.Boolean()


class HotspotCasesOut(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(HotspotCaseOut))
    window = fields.Dict()
    filters = fields.Dict()


class RankingOut(Schema):
    scope = fields.Dict()
    by = fields.String()
    source = fields.String()
    items = fields.List(fields.Dict())


class WarningCountsOut(Schema):
    red = fields.Integer()
    orange = fields.Integer()
    yellow = fields.Integer()
    high = fields.Integer(metadata={"description": "红色与橙色之和"})


class WarningRegionOut(WarningCountsOut):
    key = fields.String(metadata={"description": "行政区划代码"})
    label = fields.String()


class WarningMapOut(Schema):
    scope = fields.Dict()
    region = fields.String()
    by = fields.String(allow_none=True)
    available = fields.Boolean()
    note = fields.String()
    items = fields.List(fields.Nested(WarningRegionOut))
    total = fields.Nested(WarningCountsOut)


class EarlyOut(Schema):
    scope = fields.Dict()
    window = fields.Dict()
    items = fields.List(fields.Dict(), metadata={"description": "各组织：从发现到介入、到报告的平均小时数"})


# --- helpers ------------------------------------------------------------------------------------------


@blp.before_request
def _authenticated() -> None:
    """Every operation here needs a signed-in user: answer 401 before looking at the input."""
    current_actor()


def _raw_query() -> dict[str, Any]:
    """The query string as given: the service validates it with the same schema as the documentation."""
    return request.args.to_dict()


def _today() -> dt.date:
    return service_env().today()


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
        today = _today()
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
        return alert_svc.alert_dict(alert_svc.get_alert(db_session(), actor=actor, alert_id=alert_id), _today())


@blp.route("/risk/alerts/<id:alert_id>/acknowledge")
class AlertAcknowledge(MethodView):
    @blp.arguments(AlertAckSchema)
    @blp.response(200, AlertOut)
    @blp.doc(operationId="acknowledgeRiskAlert")
    def post(self, _data: dict[str, Any], alert_id: int) -> dict[str, Any]:
        """接报预警"""
        a = alert_svc.acknowledge(db_session(), actor=current_actor(), alert_id=alert_id, data=request.get_json())
        return alert_svc.alert_dict(a, _today())


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
        return alert_svc.alert_dict(a, _today())


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


# --- hotspots -----------------------------------------------------------------------------------------


@blp.route("/hotspots")
class Hotspots(MethodView):
    @blp.arguments(HotspotQuerySchema, location="query")
    @blp.response(200, HotspotOut)
    @blp.doc(operationId="getHotspots")
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """风险热点统计：按地区（各级）、园区、企业、行业、登记注册类型、争议类别、预警等级或月/周趋势分组"""
        out = hot.run_hotspots(db_session(), actor=current_actor(), args=_raw_query(), today=_today())
        return _hotspot_json(out)


def _hotspot_json(out: dict[str, Any]) -> dict[str, Any]:
    out["window"] = to_jsonable(out["window"])
    out["filters"] = to_jsonable(out["filters"])
    return out


@blp.route("/hotspots/cases")
class HotspotCases(MethodView):
    @blp.arguments(CaseListQuerySchema, location="query")
    @blp.response(200, HotspotCasesOut)
    @blp.doc(operationId="listHotspotCases")
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """统计数字背后的案件清单（与统计相同的范围、期间和筛选条件）"""
        out = hot.case_list(db_session(), actor=current_actor(), args=_raw_query(), today=_today())
        return _hotspot_json(out)


@blp.route("/hotspots/ranking")
class HotspotRanking(MethodView):
    @blp.arguments(RankingQuerySchema, location="query")
    @blp.response(200, RankingOut)
    @blp.doc(operationId="getHotspotRanking")
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """企业排行（在办案件、风险分、在办逾期、涉及人数……）"""
        return hot.ranking(db_session(), actor=current_actor(), args=_raw_query())


@blp.route("/hotspots/warnings")
class HotspotWarnings(MethodView):
    @blp.arguments(WarningMapQuerySchema, location="query")
    @blp.response(200, WarningMapOut)
    @blp.doc(operationId="getWarningMap")
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """预警企业分布：各下级地区（省→地市，地市→区县）当前处于红、橙、黄色预警的企业数"""
        return hot.warning_by_region(db_session(), actor=current_actor(), args=_raw_query())


@blp.route("/hotspots/early")
class HotspotEarly(MethodView):
    @blp.arguments(EarlyQuerySchema, location="query")
    @blp.response(200, EarlyOut)
    @blp.doc(operationId="getEarlyMetrics")
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """“早”的度量：各组织从首次发现到介入（受理或首次调解）、到报告的平均时间，预警按时报告情况"""
        out = hot.early(db_session(), actor=current_actor(), args=_raw_query(), today=_today())
        return to_jsonable(out)  # type: ignore[no-any-return]


def _download(body: bytes, mimetype: str, name: str) -> Response:
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename=hotspots.{name}; filename*=UTF-8''" + quote(
        f"风险热点统计.{name}")
    return resp


@blp.route("/hotspots/export.csv")
class HotspotCsv(MethodView):
    @blp.arguments(HotspotQuerySchema, location="query")
    @blp.response(200, content_type="text/csv", description="CSV（UTF-8，带BOM，Excel可直接打开）")
    @blp.doc(operationId="exportHotspotsCsv")
    def get(self, _args: dict[str, Any]) -> Response:
        """导出热点统计（CSV）"""
        out = hot.run_hotspots(db_session(), actor=current_actor(), args=_raw_query(), today=_today())
        return _download(hotspot_export.to_csv(out), "text/csv; charset=utf-8", "csv")


@blp.route("/hotspots/export.xlsx")
class HotspotXlsx(MethodView):
    @blp.arguments(HotspotQuerySchema, location="query")
    @blp.response(200, content_type=XLSX, description="Excel 工作簿")
    @blp.doc(operationId="exportHotspotsXlsx")
    def get(self, _args: dict[str, Any]) -> Response:
        """导出热点统计（Excel）"""
        out = hot.run_hotspots(db_session(), actor=current_actor(), args=_raw_query(), today=_today())
        return _download(hotspot_export.to_xlsx(out), XLSX, "xlsx")
