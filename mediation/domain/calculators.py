"""Statutory reference amounts shown beside an agreement draft. Pure functions; every result explains itself.

Sources: 《劳动合同法》第四十七条 (economic compensation), 第八十七条 (double for unlawful termination),
第八十二条 and 《劳动合同法实施条例》第六条、第七条 (double wages without a written contract),
《劳动法》第四十四条 (overtime), 《劳动合同法》第八十五条 (additional compensation after an order to pay),
原劳动和社会保障部《关于职工全年月平均工作时间和工资折算问题的通知》(劳社部发〔2008〕3号):
monthly paid days 21.75, so a day's wage = monthly wage / 21.75 and an hour's = day's / 8.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from mediation.domain.money import format_amount

PAID_DAYS_PER_MONTH = Decimal("21.75")
HOURS_PER_DAY = Decimal("8")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class CalcStep:
    text: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class CalcResult:
    amount: Decimal
    basis: str
    steps: tuple[CalcStep, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        return {"amount": str(self.amount), "basis": self.basis,
                "steps": [{"text": s.text, "amount": None if s.amount is None else str(s.amount)} for s in self.steps],
                "notes": list(self.notes)}


def _money(v: Decimal) -> Decimal:
    return v.quantize(CENT, rounding=ROUND_HALF_UP)


def _positive(name: str, value: Decimal, *, allow_zero: bool = False) -> Decimal:
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name}应为{'非负' if allow_zero else '正'}数")
    return value


def service_length(start: dt.date, end: dt.date) -> tuple[int, int, int]:
    """Whole years, remaining whole months and remaining days from ``start`` (first day worked) to ``end``
    (last day worked), counting the end day."""
    if end < start:
        raise ValueError("离职日期不能早于入职日期")
    last = end + dt.timedelta(days=1)
    months = (last.year - start.year) * 12 + (last.month - start.month)
    if last.day < start.day:
        months -= 1
    anchor_month = start.month - 1 + months
    y, m = start.year + anchor_month // 12, anchor_month % 12 + 1
    import calendar

    anchor = dt.date(y, m, min(start.day, calendar.monthrange(y, m)[1]))
    return months // 12, months % 12, (last - anchor).days


def economic_compensation(
    *,
    monthly_wage: Decimal,
    start: dt.date,
    end: dt.date,
    local_avg_monthly_wage: Decimal | None = None,
    unlawful: bool = False,
) -> CalcResult:
    """LCL art. 47: one month's wage per full year; a remainder of six months or more counts as a year,
    less than six months as half a month. Wage above 3x the local average → 3x and at most 12 years.
    ``unlawful`` (art. 87): twice that amount, as damages (赔偿金)."""
    wage = _positive("月工资", monthly_wage)
    years, months, days = service_length(start, end)
    steps = [CalcStep(f"工作年限：{start.isoformat()}至{end.isoformat()}，共{years}年{months}个月{days}天")]
    if months >= 6:
        factor = Decimal(years + 1)
        steps.append(CalcStep(f"不满一年的部分{months}个月，六个月以上按一年计算：{factor}个月工资"))
    elif months or days:
        factor = Decimal(years) + Decimal("0.5")
        steps.append(CalcStep(f"不满六个月的部分，向劳动者支付半个月工资：{factor}个月工资"))
    else:
        factor = Decimal(years)
        steps.append(CalcStep(f"满{years}年：{factor}个月工资"))
    base = wage
    notes: list[str] = []
    if local_avg_monthly_wage is not None:
        avg = _positive("当地上年度职工月平均工资", local_avg_monthly_wage)
        cap = avg * 3
        if wage > cap:
            base = cap
            steps.append(CalcStep(f"月工资{format_amount(wage)}元高于当地职工月平均工资三倍（{format_amount(cap)}元），"
                                  f"按三倍计算", cap))
            if factor > 12:
                factor = Decimal(12)
                steps.append(CalcStep("且支付年限最高不超过十二年：按12个月计算"))
    amount = _money(base * factor)
    steps.append(CalcStep(f"经济补偿：{format_amount(base)}元 × {factor} = {format_amount(amount)}元", amount))
    basis = "《劳动合同法》第四十七条"
    if unlawful:
        amount = _money(amount * 2)
        steps.append(CalcStep(
            f"违法解除或者终止劳动合同，按经济补偿标准的二倍支付赔偿金：{format_amount(amount)}元", amount))
        basis += "、第八十七条"
    if start < dt.date(2008, 1, 1):
        notes.append("2008年1月1日前的工作年限依当时的规定计算，本计算未作区分，请核对")
    return CalcResult(amount=amount, basis=basis, steps=tuple(steps), notes=tuple(notes))


def _add_months(d: dt.date, months: int) -> dt.date:
    import calendar

    idx = d.month - 1 + months
    y, m = d.year + idx // 12, idx % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def double_wage_no_contract(
    *, monthly_wage: Decimal, employment_start: dt.date, contract_signed_on: dt.date | None, until: dt.date
) -> CalcResult:
    """LCL art. 82 with the Implementing Regulation arts. 6–7: from the day after one month of employment
    to the day before a written contract was signed (at most eleven months), the employer pays an
    additional month's wage per month (pro rata by paid days for a part month)."""
    wage = _positive("月工资", monthly_wage)
    if until < employment_start:
        raise ValueError("计算截止日期不能早于用工之日")
    first = _add_months(employment_start, 1)  # the day after one full month
    cap_end = _add_months(employment_start, 12) - dt.timedelta(days=1)  # one year: at most 11 months
    last = (contract_signed_on - dt.timedelta(days=1)) if contract_signed_on else until
    last = min(last, cap_end, until)
    steps = [CalcStep(f"用工之日{employment_start.isoformat()}，自用工之日起超过一个月不满一年未订立书面劳动合同，"
                      f"应自{first.isoformat()}起支付二倍工资（另加一倍）")]
    if last < first:
        steps.append(CalcStep("在用工一个月内已订立书面劳动合同或计算截止日未超过一个月，无需支付", Decimal("0")))
        return CalcResult(Decimal("0.00"), "《劳动合同法》第八十二条", tuple(steps))
    months = 0
    cursor = first
    while _add_months(cursor, 1) - dt.timedelta(days=1) <= last:
        months += 1
        cursor = _add_months(cursor, 1)
    days = (last - cursor).days + 1 if cursor <= last else 0
    month_len = (_add_months(cursor, 1) - cursor).days
    part = _money(wage * Decimal(days) / Decimal(month_len)) if days else Decimal("0")
    amount = _money(wage * months + part)
    steps.append(CalcStep(f"计算期间{first.isoformat()}至{last.isoformat()}：{months}个整月"
                          + (f"又{days}天" if days else ""), None))
    steps.append(CalcStep(f"整月部分：{format_amount(wage)}元 × {months} = {format_amount(_money(wage * months))}元",
                          _money(wage * months)))
    if days:
        steps.append(CalcStep(f"不足一月的{days}天按该月{month_len}天折算：{format_amount(wage)}元 × {days}/{month_len}"
                              f" = {format_amount(part)}元", part))
    steps.append(CalcStep(f"另加一倍工资合计：{format_amount(amount)}元", amount))
    notes = ("最长计算十一个月；满一年未订立的，视为已订立无固定期限劳动合同（第十四条）",)
    return CalcResult(amount, "《劳动合同法》第八十二条；《劳动合同法实施条例》第六条、第七条", tuple(steps), notes)


def overtime_pay(
    *,
    monthly_wage: Decimal,
    workday_hours: Decimal = Decimal("0"),
    rest_day_hours: Decimal = Decimal("0"),
    holiday_hours: Decimal = Decimal("0"),
) -> CalcResult:
    """LL art. 44: 150% on working days, 200% on rest days without time off in lieu, 300% on statutory
    holidays; hourly wage = monthly wage / 21.75 / 8 (劳社部发〔2008〕3号)."""
    wage = _positive("月工资", monthly_wage)
    hourly = wage / PAID_DAYS_PER_MONTH / HOURS_PER_DAY
    steps = [CalcStep(f"小时工资：{format_amount(wage)}元 ÷ 21.75 ÷ 8 = {hourly.quantize(Decimal('0.0001'))}元",
                      _money(hourly))]
    total = Decimal("0")
    for hours, rate, label in ((workday_hours, Decimal("1.5"), "工作日延长工作时间，按150%"),
                               (rest_day_hours, Decimal("2"), "休息日工作又不能安排补休，按200%"),
                               (holiday_hours, Decimal("3"), "法定休假日工作，按300%")):
        h = _positive("加班小时数", Decimal(str(hours)), allow_zero=True)
        if h:
            part = _money(hourly * rate * h)
            total += part
            steps.append(CalcStep(f"{label}：{h}小时 × {rate} × 小时工资 = {format_amount(part)}元", part))
    steps.append(CalcStep(f"加班费合计：{format_amount(total)}元", _money(total)))
    return CalcResult(_money(total), "《劳动法》第四十四条", tuple(steps))


def wage_arrears_penalty(*, unpaid: Decimal, rate: Decimal) -> CalcResult:
    """LCL art. 85: after a labour administration order to pay, an additional 50%–100% of the amount due."""
    owed = _positive("应付金额", unpaid)
    r = Decimal(str(rate))
    if not Decimal("0.5") <= r <= Decimal("1"):
        raise ValueError("加付赔偿金的比例应在50%至100%之间")
    amount = _money(owed * r)
    return CalcResult(amount, "《劳动合同法》第八十五条", (
        CalcStep(f"逾期未支付的，按应付金额{format_amount(owed)}元的{(r * 100).normalize()}%加付赔偿金："
                 f"{format_amount(amount)}元", amount),
    ), ("以劳动行政部门责令限期支付而逾期不支付为前提",))


def _plain(v: Decimal) -> str:
    """``10`` for Decimal("10.0"), ``1.5`` for Decimal("1.50"): never the exponent form."""
    return format(v.normalize(), "f")


def unpaid_wages(*, monthly_wage: Decimal, months: Decimal = Decimal("0"), days: Decimal = Decimal("0"),
                 paid: Decimal = Decimal("0")) -> CalcResult:
    """Wages owed for a period: whole months at the monthly wage, remaining days at the daily wage (monthly
    wage / 21.75, 劳社部发〔2008〕3号), less what was paid. LL art. 50: wages are paid monthly, in money, without
    withholding or delay."""
    wage = _positive("月工资", monthly_wage)
    m = _positive("拖欠月数", Decimal(str(months)), allow_zero=True)
    d = _positive("拖欠天数", Decimal(str(days)), allow_zero=True)
    already = _positive("已支付金额", Decimal(str(paid)), allow_zero=True)
    if not m and not d:
        raise ValueError("请填写拖欠的月数或天数")
    steps = []
    gross = Decimal("0")
    if m:
        part = _money(wage * m)
        gross += part
        steps.append(CalcStep(f"整月部分：{format_amount(wage)}元 × {_plain(m)}个月 = {format_amount(part)}元", part))
    if d:
        daily = wage / PAID_DAYS_PER_MONTH
        part = _money(daily * d)
        gross += part
        steps.append(CalcStep(f"日工资：{format_amount(wage)}元 ÷ 21.75 = {daily.quantize(Decimal('0.01'))}元；"
                              f"{_plain(d)}天 × 日工资 = {format_amount(part)}元", part))
    if already > gross:
        raise ValueError("已支付金额不能大于应发工资")
    amount = _money(gross - already)
    if already:
        steps.append(CalcStep(f"应发{format_amount(gross)}元，减去已支付{format_amount(already)}元", None))
    steps.append(CalcStep(f"拖欠工资合计：{format_amount(amount)}元", amount))
    return CalcResult(amount, "《劳动法》第五十条；劳社部发〔2008〕3号（月计薪天数21.75天）", tuple(steps),
                      ("劳动行政部门责令限期支付而逾期不支付的，可另按应付金额50%至100%加付赔偿金（《劳动合同法》第八十五条）",))
