"""Periods on the Chinese working-day calendar (CC arts. 200–204; the 2025 State Council schedule)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediation.domain.calendar import (
    ChineseWorkdayCalendar,
    DayOverride,
    WeekendOnlyCalendar,
    add_calendar_days,
    add_months,
    add_working_days,
    add_years,
    working_days_between,
)
from mediation.domain.deadline_rules import DeadlineKind, compute_due, default_rules, with_overrides

CAL = ChineseWorkdayCalendar()
D = dt.date


def test_domain_example_make_up_sunday() -> None:
    # Received on 2025-09-28, a make-up working Sunday.
    assert CAL.is_workday(D(2025, 9, 28))
    assert add_calendar_days(CAL, D(2025, 9, 28), 15).due == D(2025, 10, 13)
    # 3 working days: 09-29, 09-30, then 10-09 (10-01..10-08 are the National Day holiday).
    assert add_working_days(CAL, D(2025, 9, 28), 3).due == D(2025, 10, 9)


def test_application_just_before_national_day() -> None:
    # 10-09, 10-10 and the make-up Saturday 10-11.
    assert add_working_days(CAL, D(2025, 9, 30), 3).due == D(2025, 10, 11)
    assert add_calendar_days(CAL, D(2025, 9, 30), 15).due == D(2025, 10, 15)


@pytest.mark.parametrize("day", [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)])
def test_2025_make_up_working_days(day: dt.date) -> None:
    assert day.weekday() >= 5 and CAL.is_workday(day) and not CAL.is_statutory_holiday(day)


def test_period_ending_in_a_holiday_rolls_to_the_first_working_day_after() -> None:
    # 15 days from 2025-09-20 end on 10-05, inside the National Day holiday -> 10-09.
    end = add_calendar_days(CAL, D(2025, 9, 20), 15)
    assert (end.nominal, end.due, end.rolled) == (D(2025, 10, 5), D(2025, 10, 9), True)
    assert CAL.is_statutory_holiday(D(2025, 10, 5))
    # Spring Festival 2025: 01-28..02-04 off; 15 days from 01-15 end on 01-30 -> 02-05.
    assert add_calendar_days(CAL, D(2025, 1, 15), 15).due == D(2025, 2, 5)


def test_period_ending_on_a_plain_saturday_rolls_to_monday() -> None:
    end = add_calendar_days(CAL, D(2025, 11, 7), 15)  # 11-22 is a Saturday
    assert (end.nominal, end.due) == (D(2025, 11, 22), D(2025, 11, 24))
    assert add_calendar_days(CAL, D(2025, 11, 7), 15, roll="none").due == D(2025, 11, 22)


def test_year_without_data_is_provisional_until_loaded() -> None:
    end = add_working_days(CAL, D(2026, 12, 30), 3)
    assert end.provisional and end.years_without_data == frozenset({2027})
    assert not CAL.has_data(2027) and CAL.years_without_data(D(2026, 12, 1), D(2027, 2, 1)) == {2027}
    # Load a (test) 2027 schedule: 01-01 a holiday, 01-04 a make-up working... day off, etc.
    loaded = ChineseWorkdayCalendar(
        overrides=[DayOverride(D(2027, 1, 1), is_workday=False, is_holiday=True),
                   DayOverride(D(2027, 1, 4), is_workday=False, is_holiday=True)],
        extra_years=[2027],
    )
    end2 = add_working_days(loaded, D(2026, 12, 30), 3)
    assert not end2.provisional
    assert end2.due == D(2027, 1, 6)  # 12-31, (01-01 holiday), (weekend), (01-04 holiday), 01-05, 01-06


def test_overrides_beat_the_library() -> None:
    cal = ChineseWorkdayCalendar(overrides=[DayOverride(D(2025, 11, 24), is_workday=False, is_holiday=True)])
    assert not cal.is_workday(D(2025, 11, 24)) and CAL.is_workday(D(2025, 11, 24))


def test_month_and_year_arithmetic_civil_code_art_202() -> None:
    wk = WeekendOnlyCalendar()
    assert add_months(wk, D(2025, 1, 31), 1, roll="none").due == D(2025, 2, 28)
    assert add_months(wk, D(2024, 1, 31), 1, roll="none").due == D(2024, 2, 29)
    assert add_years(wk, D(2024, 2, 29), 1, roll="none").due == D(2025, 2, 28)
    assert add_years(CAL, D(2024, 10, 1), 1).due == D(2025, 10, 9)  # 2025-10-01 is National Day


def test_deadline_rules_are_cited_and_versioned() -> None:
    rules = default_rules()
    for kind in DeadlineKind:
        rule = rules.rule(kind)
        assert rule.source and rule.label
    assert rules.rule(DeadlineKind.ARBITRATION_RIGHT).source == "《中华人民共和国劳动争议调解仲裁法》第十四条第三款"
    assert compute_due(rules, CAL, "acceptance", D(2025, 9, 30)).due == D(2025, 10, 11)
    assert compute_due(rules, CAL, "mediation_end", D(2025, 10, 20), extra_days=10).due == D(2025, 11, 14)
    changed = with_overrides(rules, "2026.1", {"acceptance": 5}, max_extension_days=30)
    assert changed.rule(DeadlineKind.ACCEPTANCE).amount == 5 and changed.version == "2026.1"
    assert changed.rule(DeadlineKind.MEDIATION_END).max_extension_days == 30
    with pytest.raises(ValueError):
        with_overrides(rules, rules.version, {"acceptance": 5})


days_2024_2026 = st.dates(min_value=D(2024, 1, 1), max_value=D(2026, 11, 30))


@given(start=days_2024_2026, n=st.integers(0, 40))
def test_working_day_properties(start: dt.date, n: int) -> None:
    end = add_working_days(CAL, start, n)
    if n:
        assert CAL.is_workday(end.due)
    assert add_working_days(CAL, start, n + 1).due > end.due
    assert working_days_between(CAL, start, end.due) == n


@given(start=days_2024_2026, n=st.integers(0, 60))
def test_calendar_day_properties(start: dt.date, n: int) -> None:
    end = add_calendar_days(CAL, start, n)
    assert end.due >= end.nominal == start + dt.timedelta(days=n)
    assert CAL.is_workday(end.due)
    assert all(CAL.is_rest_day(end.nominal + dt.timedelta(days=k)) for k in range((end.due - end.nominal).days))
