"""The supervisors' hotspot picture (早介入): aggregates by region, park, enterprise, industry, ownership,
category or level; trends by month or week; drill-down; the cases behind a figure; enterprise rankings;
the warning map; early-intervention times; CSV and Excel export."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields

from api.auth import current_actor
from api.db import db_session
from api.rest.risk_common import raw_query, signed_in_blueprint, today_in_china
from mediation.risk import hotspot_export
from mediation.risk import hotspots as hot
from mediation.risk.inputs import (
    CaseListQuerySchema,
    EarlyQuerySchema,
    HotspotQuerySchema,
    RankingQuerySchema,
    WarningMapQuerySchema,
)
from workflows.schema import to_jsonable

blp = signed_in_blueprint("hotspots", "风险热点统计")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- response schemas ---------------------------------------------------------------------------------


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


# --- hotspots -----------------------------------------------------------------------------------------


@blp.route("/hotspots")
class Hotspots(MethodView):
    @blp.arguments(HotspotQuerySchema, location="query")
    @blp.response(200, HotspotOut)
    @blp.doc(operationId="getHotspots")
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """风险热点统计：按地区（各级）、园区、企业、行业、登记注册类型、争议类别、预警等级或月/周趋势分组"""
        out = hot.run_hotspots(db_session(), actor=current_actor(), args=raw_query(), today=today_in_china())
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
        out = hot.case_list(db_session(), actor=current_actor(), args=raw_query(), today=today_in_china())
        return _hotspot_json(out)


@blp.route("/hotspots/ranking")
class HotspotRanking(MethodView):
    @blp.arguments(RankingQuerySchema, location="query")
    @blp.response(200, RankingOut)
    @blp.doc(operationId="getHotspotRanking")
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """企业排行（在办案件、风险分、在办逾期、涉及人数……）"""
        return hot.ranking(db_session(), actor=current_actor(), args=raw_query())


@blp.route("/hotspots/warnings")
class HotspotWarnings(MethodView):
    @blp.arguments(WarningMapQuerySchema, location="query")
    @blp.response(200, WarningMapOut)
    @blp.doc(operationId="getWarningMap")
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """预警企业分布：各下级地区（省→地市，地市→区县）当前处于红、橙、黄色预警的企业数"""
        return hot.warning_by_region(db_session(), actor=current_actor(), args=raw_query())


@blp.route("/hotspots/early")
class HotspotEarly(MethodView):
    @blp.arguments(EarlyQuerySchema, location="query")
    @blp.response(200, EarlyOut)
    @blp.doc(operationId="getEarlyMetrics")
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """“早”的度量：各组织从首次发现到介入（受理或首次调解）、到报告的平均时间，预警按时报告情况"""
        out = hot.early(db_session(), actor=current_actor(), args=raw_query(), today=today_in_china())
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
        out = hot.run_hotspots(db_session(), actor=current_actor(), args=raw_query(), today=today_in_china())
        return _download(hotspot_export.to_csv(out), "text/csv; charset=utf-8", "csv")


@blp.route("/hotspots/export.xlsx")
class HotspotXlsx(MethodView):
    @blp.arguments(HotspotQuerySchema, location="query")
    @blp.response(200, content_type=XLSX, description="Excel 工作簿")
    @blp.doc(operationId="exportHotspotsXlsx")
    def get(self, _args: dict[str, Any]) -> Response:
        """导出热点统计（Excel）"""
        out = hot.run_hotspots(db_session(), actor=current_actor(), args=raw_query(), today=today_in_china())
        return _download(hotspot_export.to_xlsx(out), XLSX, "xlsx")
