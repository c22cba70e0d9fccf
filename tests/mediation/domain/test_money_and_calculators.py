"""Amounts in capitals and the statutory calculators, with worked examples."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediation.domain.calculators import (
    double_wage_no_contract,
    economic_compensation,
    overtime_pay,
    service_length,
    wage_arrears_penalty,
)
from mediation.domain.money import amount_in_capitals, format_amount, parse_amount


@pytest.mark.parametrize(("amount", "capitals"), [
    ("10005.50", "壹万零伍元伍角整"),
    ("100000.00", "壹拾万元整"),
    ("0.05", "伍分"),
    ("1000.05", "壹仟元零伍分"),
    ("100005", "壹拾万零伍元整"),
    ("10100", "壹万零壹佰元整"),
    ("1000000000.00", "壹拾亿元整"),
    ("0", "零元整"),
    ("0.005", "壹分"),
    ("15", "壹拾伍元整"),
    ("1001000", "壹佰万零壹仟元整"),
    ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    ("24000.00", "贰万肆仟元整"),
])
def test_capitals_worked_examples(amount: str, capitals: str) -> None:
    assert amount_in_capitals(D(amount)) == capitals


def test_capitals_refuse_bad_amounts() -> None:
    for bad in ("-1", "NaN", "1e15"):
        with pytest.raises(ValueError):
            amount_in_capitals(D(bad))
    with pytest.raises(ValueError):
        parse_amount("12元")


amounts = st.decimals(min_value=0, max_value=D("999999999999.99"), places=2, allow_nan=False)


@given(amounts)
def test_capitals_properties(amount: D) -> None:
    text = amount_in_capitals(amount)
    assert set(text) <= set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")
    assert "零零" not in text and not text.endswith("零")
    assert text.startswith("零") is (amount == 0)
    assert parse_amount(format_amount(amount)) == amount


def test_service_length() -> None:
    assert service_length(dt.date(2022, 3, 1), dt.date(2025, 9, 30)) == (3, 7, 0)
    assert service_length(dt.date(2023, 6, 1), dt.date(2025, 8, 31)) == (2, 3, 0)


def test_economic_compensation_worked_examples() -> None:
    r = economic_compensation(monthly_wage=D("8000"), start=dt.date(2022, 3, 1), end=dt.date(2025, 9, 30))
    assert r.amount == D("32000.00") and r.basis == "《劳动合同法》第四十七条"  # 3y7m -> 4 months
    assert economic_compensation(monthly_wage=D("8000"), start=dt.date(2023, 6, 1),
                                 end=dt.date(2025, 8, 31)).amount == D("20000.00")  # 2y3m -> 2.5
    assert economic_compensation(monthly_wage=D("6000"), start=dt.date(2025, 1, 1),
                                 end=dt.date(2025, 4, 30)).amount == D("3000.00")  # 4 months -> 0.5
    capped = economic_compensation(monthly_wage=D("40000"), start=dt.date(2010, 1, 1), end=dt.date(2024, 12, 31),
                                   local_avg_monthly_wage=D("10000"))
    assert capped.amount == D("360000.00")  # 30,000 x 12 (15 years capped)
    assert any("三倍" in s.text for s in capped.steps)
    double = economic_compensation(monthly_wage=D("8000"), start=dt.date(2022, 3, 1), end=dt.date(2025, 9, 30),
                                   unlawful=True)
    assert double.amount == D("64000.00") and "第八十七条" in double.basis
    old = economic_compensation(monthly_wage=D("5000"), start=dt.date(2006, 1, 1), end=dt.date(2010, 1, 1))
    assert old.notes and "2008年1月1日" in old.notes[0]
    with pytest.raises(ValueError):
        economic_compensation(monthly_wage=D("-1"), start=dt.date(2020, 1, 1), end=dt.date(2021, 1, 1))


def test_double_wages_without_contract() -> None:
    # employed 2025-01-01, never signed, claim until 2025-04-30: 2025-02-01 .. 2025-04-30 = 3 months
    r = double_wage_no_contract(monthly_wage=D("6000"), employment_start=dt.date(2025, 1, 1),
                                contract_signed_on=None, until=dt.date(2025, 4, 30))
    assert r.amount == D("18000.00") and "第八十二条" in r.basis
    # at most 11 months
    r = double_wage_no_contract(monthly_wage=D("6000"), employment_start=dt.date(2023, 1, 1),
                                contract_signed_on=None, until=dt.date(2025, 1, 1))
    assert r.amount == D("66000.00")
    # signed within the first month: nothing
    assert double_wage_no_contract(monthly_wage=D("6000"), employment_start=dt.date(2025, 1, 1),
                                   contract_signed_on=dt.date(2025, 1, 20), until=dt.date(2025, 6, 1)).amount == 0
    # part month: 2025-02-01 .. 2025-03-15 = 1 month + 15/31 of March
    r = double_wage_no_contract(monthly_wage=D("6200"), employment_start=dt.date(2025, 1, 1),
                                contract_signed_on=dt.date(2025, 3, 16), until=dt.date(2025, 6, 1))
    assert r.amount == D("9200.00")


def test_overtime_pay_worked_example() -> None:
    r = overtime_pay(monthly_wage=D("4350"), workday_hours=D("10"), rest_day_hours=D("8"), holiday_hours=D("8"))
    parts = [s.amount for s in r.steps[1:-1]]
    assert parts == [D("375.00"), D("400.00"), D("600.00")] and r.amount == D("1375.00")
    assert r.basis == "《劳动法》第四十四条"


def test_arrears_penalty_range() -> None:
    assert wage_arrears_penalty(unpaid=D("10000"), rate=D("0.5")).amount == D("5000.00")
    with pytest.raises(ValueError):
        wage_arrears_penalty(unpaid=D("10000"), rate=D("1.5"))
