"""The statutory reference calculator's form handling: every field read by name (``calc_*``), every bad value
named in plain Chinese (``月工资应填写数字，如 6000（“六千”无法识别）``) so that a failed calculation never
leaves an old result on screen as if it were valid.

Used by the calculator page and by the calculator inside the agreement form (which fills the instalment
rows with the result).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mediation.domain import calculators
from mediation.domain.calculators import CalcResult

#: kind → (title, the claim type a filled obligation gets, the description it gets)
KINDS: Mapping[str, tuple[str, str, str]] = {
    "compensation": ("经济补偿 / 赔偿金", "economic_compensation", "支付经济补偿"),
    "double_wage": ("未签书面劳动合同二倍工资", "double_wages", "支付未签书面劳动合同的二倍工资差额"),
    "overtime": ("加班费", "overtime", "支付加班费"),
    "unpaid_wages": ("拖欠工资", "wages", "支付拖欠工资"),
    "penalty": ("逾期支付加付赔偿金（《劳动合同法》第八十五条）", "damages", "支付加付赔偿金"),
    "agreed": ("协商确定的金额（仅分期）", "wages", "支付款项"),
}
LABELS = {
    "calc_monthly_wage": "月工资", "calc_start": "入职日期", "calc_end": "离职日期",
    "calc_local_avg": "当地上年度职工月平均工资", "calc_signed_on": "签订书面合同日期",
    "calc_workday_hours": "工作日延长工作时间", "calc_rest_day_hours": "休息日加班时间",
    "calc_holiday_hours": "法定休假日加班时间", "calc_months": "拖欠月数", "calc_days": "拖欠天数",
    "calc_paid": "已支付金额", "calc_unpaid": "应付未付金额", "calc_rate": "加付比例", "calc_amount": "金额",
}


@dataclass(frozen=True)
class Outcome:
    kind: str
    result: CalcResult | None
    errors: dict[str, str]

    @property
    def claim_type(self) -> str:
        return KINDS[self.kind][1]

    @property
    def description(self) -> str:
        if self.kind == "compensation" and self.result is not None and "第八十七条" in self.result.basis:
            return "支付违法解除劳动合同赔偿金"
        return KINDS[self.kind][2]


def _clean(raw: str) -> str:
    """Full-width digits and punctuation to ASCII; thousands separators, spaces and the unit dropped."""
    text = unicodedata.normalize("NFKC", raw).strip()
    for ch in (",", "，", " ", "元", "¥", "￥"):
        text = text.replace(ch, "")
    return text


class _Form:
    def __init__(self, form: Mapping[str, Any]) -> None:
        self.form = form
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        return str(self.form.get(name, "") or "").strip()

    def number(self, name: str, *, required: bool = True, allow_zero: bool = False, unit: str = "") -> Decimal:
        label = LABELS[name]
        raw = self.raw(name)
        if not raw:
            if required:
                self.errors[name] = f"请填写{label}"
            return Decimal("0")
        try:
            value = Decimal(_clean(raw))
        except InvalidOperation:
            self.errors[name] = f"{label}应填写阿拉伯数字{unit}，如 6000（“{raw}”无法识别）"
            return Decimal("0")
        if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
            self.errors[name] = f"{label}应{'不小于' if allow_zero else '大于'}0"
            return Decimal("0")
        money = unit == "元" or any(k in name for k in ("wage", "avg", "amount"))
        if money and value != value.quantize(Decimal("0.01")):
            self.errors[name] = f"{label}最多保留两位小数（精确到分）"
            return Decimal("0")
        if value > Decimal("100000000000"):
            self.errors[name] = f"{label}不能超过1000亿"
            return Decimal("0")
        return value

    def date(self, name: str, *, required: bool = True) -> dt.date | None:
        raw = self.raw(name)
        if not raw:
            if required:
                self.errors[name] = f"请填写{LABELS[name]}"
            return None
        try:
            return dt.date.fromisoformat(unicodedata.normalize("NFKC", raw))
        except ValueError:
            self.errors[name] = f"{LABELS[name]}应为日期，如 2026-03-01（“{raw}”无法识别）"
            return None


def calculate(form: Mapping[str, Any]) -> Outcome:
    """Read the calculator's fields, check each, then compute (the domain's own checks, e.g. an end date
    before the start, come back as the error of the field they concern)."""
    kind = str(form.get("calc_kind", "compensation"))
    if kind not in KINDS:
        kind = "compensation"
    f = _Form(form)
    result: CalcResult | None = None
    try:
        if kind == "compensation":
            wage, start, end = f.number("calc_monthly_wage"), f.date("calc_start"), f.date("calc_end")
            avg = f.number("calc_local_avg", required=False)
            if not f.errors and start and end:
                result = calculators.economic_compensation(
                    monthly_wage=wage, start=start, end=end, local_avg_monthly_wage=avg or None,
                    unlawful=form.get("calc_unlawful") in ("on", "1", "true"))
        elif kind == "double_wage":
            wage, start, end = f.number("calc_monthly_wage"), f.date("calc_start"), f.date("calc_end")
            signed = f.date("calc_signed_on", required=False)
            if not f.errors and start and end:
                result = calculators.double_wage_no_contract(monthly_wage=wage, employment_start=start,
                                                             contract_signed_on=signed, until=end)
        elif kind == "overtime":
            wage = f.number("calc_monthly_wage")
            hours = {n: f.number(f"calc_{n}", required=False, allow_zero=True, unit="（小时）")
                     for n in ("workday_hours", "rest_day_hours", "holiday_hours")}
            if not f.errors and not any(hours.values()):
                f.errors["calc_workday_hours"] = "请至少填写一项加班时间（小时）"
            if not f.errors:
                result = calculators.overtime_pay(monthly_wage=wage, **hours)
        elif kind == "unpaid_wages":
            wage = f.number("calc_monthly_wage")
            months = f.number("calc_months", required=False, allow_zero=True)
            days = f.number("calc_days", required=False, allow_zero=True)
            paid = f.number("calc_paid", required=False, allow_zero=True)
            if not f.errors and not months and not days:
                f.errors["calc_months"] = "请填写拖欠的月数或天数"
            if not f.errors:
                result = calculators.unpaid_wages(monthly_wage=wage, months=months, days=days, paid=paid)
        elif kind == "penalty":
            unpaid = f.number("calc_unpaid")
            rate = f.number("calc_rate", unit="（百分比）")
            if not f.errors and not Decimal("50") <= rate <= Decimal("100"):
                f.errors["calc_rate"] = "加付比例应在50%至100%之间（《劳动合同法》第八十五条）"
            if not f.errors:
                result = calculators.wage_arrears_penalty(unpaid=unpaid, rate=rate / 100)
        else:  # an amount the parties agreed, only to be split into instalments
            amount = f.number("calc_amount")
            if not f.errors:
                result = CalcResult(amount.quantize(Decimal("0.01")), "双方协商确定", ())
    except ValueError as exc:  # the domain's own checks (dates in the wrong order…)
        msg = str(exc)
        field = "calc_paid" if "已支付" in msg else "calc_end" if "日期" in msg else "calc_monthly_wage"
        f.errors[field] = str(exc)
        result = None
    return Outcome(kind=kind, result=None if f.errors else result, errors=f.errors)
