"""Marshmallow schemas for every risk input (signals, rules, alerts, hotspot queries)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from mediation.domain.enums import DisputeCategory
from mediation.risk.rules import INDICATORS, LEVELS
from workflows.schema import (
    MAX_ID,
    MAX_TEXT,
    StrictSchema,
    case_datetime,
    id_field,
    money_field,
    phone_field,
    plain_date,
)

SIGNAL_SOURCES: Mapping[str, str] = {
    "screening": "排查走访",
    "hotline_12351": "12351热线",
    "petition": "信访",
    "inspection_referral": "劳动监察转办",
    "media": "媒体舆情",
    "self_report": "企业自报",
    "wage_account": "工资专用账户预警",
}
#: The case source a converted signal keeps (lineage): CaseSource has no separate media/self-report value.
CASE_SOURCE_FOR: Mapping[str, str] = {
    "screening": "screening",
    "hotline_12351": "hotline_12351",
    "petition": "petition",
    "inspection_referral": "referral",
    "media": "screening",
    "self_report": "screening",
    "wage_account": "referral",
}
SIGNAL_STATUSES: Mapping[str, str] = {
    "open": "待处置", "converted": "已立案", "resolved": "已化解", "dismissed": "经核实不属实",
}
ALERT_STATUSES: Mapping[str, str] = {
    "open": "待签收", "acknowledged": "已签收", "reported": "已报告", "closed": "已关闭",
}
ALERT_KINDS: Mapping[str, str] = {"level_raised": "风险等级升高", "collective_dispute": "集体劳动争议"}


_id = id_field


def _qid(**kw: Any) -> fields.Integer:
    """An id in a query string (a string of digits is accepted)."""
    return fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID, error="编号无效"), **kw)


class _Flag(fields.Boolean):
    """A yes/no indicator: JSON ``true`` or ``false`` only (not 0/1 or strings)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def _flag() -> fields.Boolean:
    return _Flag(load_default=False)


_Strict = StrictSchema


class SignalCreateSchema(_Strict):
    enterprise_id = _id(required=True)
    organisation_id = _id(load_default=None, allow_none=True)
    source = fields.String(required=True, validate=validate.OneOf(list(SIGNAL_SOURCES), labels=list(
        SIGNAL_SOURCES.values())))
    observed_at = case_datetime(load_default=None, allow_none=True)
    reporter_name = fields.String(load_default="", validate=validate.Length(max=64))
    reporter_phone = phone_field()
    description = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    evidence = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    workers_affected = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=1_000_000))
    wage_arrears_months = fields.Decimal(load_default=None, allow_none=True, places=1,
                                         validate=validate.Range(min=0, max=600))
    wage_arrears_amount = money_field(load_default=None, allow_none=True)
    social_insurance_unpaid_months = fields.Integer(strict=True, load_default=None, allow_none=True,
                                                    validate=validate.Range(min=0, max=600))
    planned_layoffs = fields.Integer(strict=True, load_default=None, allow_none=True,
                                     validate=validate.Range(min=0, max=1_000_000))
    relocation = _flag()
    closure = _flag()
    merger = _flag()
    excessive_overtime = _flag()
    no_union = _flag()
    no_collective_agreement = _flag()
    prior_disputes = fields.Integer(strict=True, load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, max=100_000))


class SignalConvertSchema(_Strict):
    """Turning a signal into a case: what the case needs beyond what the signal already says."""

    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    category = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf([c.value for c in DisputeCategory]))
    organisation_id = _id(load_default=None, allow_none=True)
    lead_mediator_id = _id(load_default=None, allow_none=True)
    workers_count = fields.Integer(strict=True, load_default=None, allow_none=True,
                                   validate=validate.Range(min=1, max=1_000_000))
    facts = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_TEXT))
    requests = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    #: LDMAL art. 7: the workers' common claim — with ten or more workers, it makes the case a collective dispute.
    common_claim = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    also_signal_ids = fields.List(_id(), load_default=list, validate=validate.Length(max=100))


class SignalAttachSchema(_Strict):
    case_id = _id(required=True)


class SignalResolveSchema(_Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(["resolved", "dismissed"]))
    note = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class _BandSchema(_Strict):
    min = fields.Decimal(required=True, validate=validate.Range(min=0, max=10**12))
    points = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1000))
    op = fields.String(load_default="gte", validate=validate.OneOf(["gte", "gt"]))


class _IndicatorRuleSchema(_Strict):
    bands = fields.List(fields.Nested(_BandSchema), validate=validate.Length(max=20))
    points = fields.Integer(strict=True, validate=validate.Range(min=0, max=1000))


class _FloorSchema(_Strict):
    indicator = fields.String(required=True, validate=validate.OneOf(list(INDICATORS)))
    min = fields.Decimal(required=True, validate=validate.Range(min=0, max=10**12))
    op = fields.String(load_default="gte", validate=validate.OneOf(["gte", "gt"]))
    level = fields.String(required=True, validate=validate.OneOf(list(LEVELS[1:])))
    note = fields.String(load_default="", validate=validate.Length(max=200))


class _LevelsSchema(_Strict):
    blue = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000))
    yellow = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000))
    orange = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000))
    red = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100_000))

    @validates_schema
    def _increasing(self, data: Mapping[str, Any], **_: Any) -> None:
        if not data["blue"] < data["yellow"] < data["orange"] < data["red"]:
            raise ValidationError("各等级分数线须依次升高：蓝色＜黄色＜橙色＜红色")


class _ReportDaysSchema(_Strict):
    orange = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=0, max=60))
    red = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=0, max=60))
    collective = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=0, max=60))


class RulesSchema(_Strict):
    """A rule set as data (see :mod:`mediation.risk.rules`)."""

    indicators = fields.Dict(keys=fields.String(validate=validate.OneOf(list(INDICATORS))),
                             values=fields.Nested(_IndicatorRuleSchema), required=True)
    levels = fields.Nested(_LevelsSchema, required=True)
    floors = fields.List(fields.Nested(_FloorSchema), load_default=list, validate=validate.Length(max=50))
    collective_threshold = fields.Integer(load_default=10, strict=True, validate=validate.Range(min=2, max=10_000))
    signal_window_days = fields.Integer(load_default=180, strict=True, validate=validate.Range(min=1, max=3650))
    prior_dispute_window_days = fields.Integer(load_default=365, strict=True,
                                               validate=validate.Range(min=1, max=3650))
    report_within_days = fields.Nested(_ReportDaysSchema, load_default=lambda: {"orange": 3, "red": 1,
                                                                                "collective": 1})

    @validates_schema
    def _shapes(self, data: Mapping[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        for name, spec in data.get("indicators", {}).items():
            kind = INDICATORS[name].kind
            if kind == "number" and ("bands" not in spec or "points" in spec):
                errors[name] = ["数值指标须给出分档（bands），不能只给分值"]
            if kind == "flag" and ("points" not in spec or "bands" in spec):
                errors[name] = ["是否类指标须给出分值（points），不能分档"]
        for i, f in enumerate(data.get("floors", [])):
            if INDICATORS[f["indicator"]].kind == "flag" and f["min"] > 1:
                errors[f"floors.{i}"] = ["是否类指标的下限只能为0或1"]
        if errors:
            raise ValidationError({"indicators": errors})


class RulesCreateSchema(_Strict):
    rules = fields.Nested(RulesSchema, required=True)
    note = fields.String(required=True, validate=validate.Length(min=1, max=255))
    activate = fields.Boolean(load_default=True)


class SimulateSchema(_Strict):
    rules = fields.Nested(RulesSchema, required=True)
    date_from = plain_date(required=True, data_key="from")
    date_to = plain_date(required=True, data_key="to")
    organisation_id = _id(load_default=None, allow_none=True)

    @validates_schema
    def _window(self, data: Mapping[str, Any], **_: Any) -> None:
        if data["date_to"] < data["date_from"]:
            raise ValidationError("结束日期不能早于开始日期", "to")
        if (data["date_to"] - data["date_from"]).days > 3 * 366:
            raise ValidationError("回放期间最长三年", "to")


class AlertReportSchema(_Strict):
    actions = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))


class AlertAckSchema(_Strict):
    note = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))


GROUP_BY = ("province", "city", "county", "park", "enterprise", "category", "industry", "ownership", "level",
            "month", "week")


class HotspotQuerySchema(_Strict):
    by = fields.String(load_default="province", validate=validate.OneOf(GROUP_BY))
    date_from = plain_date(load_default=None, allow_none=True, data_key="from")
    date_to = plain_date(load_default=None, allow_none=True, data_key="to")
    grain = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["month", "week"]))
    organisation_id = _qid(load_default=None, allow_none=True)
    region = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6}$",
                                                                                       error="行政区划代码为6位数字"))
    province = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6}$"))
    city = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6}$"))
    county = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6}$"))
    park_id = _qid(load_default=None, allow_none=True)
    enterprise_id = _qid(load_default=None, allow_none=True)
    category = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf([c.value for c in DisputeCategory]))
    industry = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=8))
    ownership = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(LEVELS)))

    @validates_schema
    def _window(self, data: Mapping[str, Any], **_: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError("结束日期不能早于开始日期", "to")


class CaseListQuerySchema(HotspotQuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


RANK_BY = ("open_cases", "risk_score", "overdue_open", "workers_open", "collective_open", "total_cases",
           "open_signals")


class RankingQuerySchema(_Strict):
    rank_by = fields.String(load_default="open_cases", validate=validate.OneOf(RANK_BY), data_key="by")
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    organisation_id = _qid(load_default=None, allow_none=True)
    region = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6}$"))
    province = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6}$"))
    city = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6}$"))
    county = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6}$"))


class WarningMapQuerySchema(_Strict):
    region = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="行政区划代码为6位数字"))
    organisation_id = _qid(load_default=None, allow_none=True)


class EarlyQuerySchema(_Strict):
    date_from = plain_date(load_default=None, allow_none=True, data_key="from")
    date_to = plain_date(load_default=None, allow_none=True, data_key="to")
    organisation_id = _qid(load_default=None, allow_none=True)


class SignalListQuerySchema(_Strict):
    enterprise_id = _qid(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(SIGNAL_STATUSES)))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class AlertListQuerySchema(_Strict):
    enterprise_id = _qid(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(ALERT_STATUSES)))
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(ALERT_KINDS)))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
