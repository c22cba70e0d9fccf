"""The Chinese working-day calendar and period arithmetic.

Working days come from ``chinese_calendar`` (State Council schedules, make-up working days 调休
included), overridden by an override table (e.g. next year's schedule loaded by an administrator).
For a year with neither, the calendar falls back to weekends only — and says so: ``has_data`` is
False and every period that touches such a year is marked provisional.

Periods follow the Civil Code (arts. 200–204) and the Civil Procedure Law (art. 85): counting starts
the day after the triggering day; a period counted in months or years ends on the corresponding day
of the last month (or that month's last day, art. 202); a period whose last day is a rest day ends on
the next working day (art. 203 speaks of statutory holidays; courts read weekends the same way, and a
make-up working day 调休 is a working day).
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import chinese_calendar

Roll = Literal["next_workday", "none"]


class WorkdayCalendar(Protocol):
    def is_workday(self, day: dt.date) -> bool: ...

    def is_rest_day(self, day: dt.date) -> bool: ...

    def is_statutory_holiday(self, day: dt.date) -> bool: ...

    def has_data(self, year: int) -> bool: ...


@dataclass(frozen=True)
class DayOverride:
    day: dt.date
    is_workday: bool
    is_holiday: bool = False
    note: str = ""


def _library_years() -> tuple[int, int]:
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


class WeekendOnlyCalendar:
    """Saturdays and Sundays are rest days; no holidays; no data for any year."""

    def is_workday(self, day: dt.date) -> bool:
        return day.weekday() < 5

    def is_rest_day(self, day: dt.date) -> bool:
        return not self.is_workday(day)

    def is_statutory_holiday(self, day: dt.date) -> bool:
        return False

    def has_data(self, year: int) -> bool:
        return False


class ChineseWorkdayCalendar:
    """``chinese_calendar`` + overrides; weekends-only (flagged) for years without data."""

    def __init__(self, overrides: Iterable[DayOverride] = (), extra_years: Iterable[int] = ()) -> None:
        self._overrides = {o.day: o for o in overrides}
        self._extra_years = frozenset(extra_years)
        self._lib_first, self._lib_last = _library_years()
        self._cache: dict[dt.date, tuple[bool, bool]] = {}

    def has_data(self, year: int) -> bool:
        return year in self._extra_years or self._lib_first <= year <= self._lib_last

    def _lookup(self, day: dt.date) -> tuple[bool, bool]:
        hit = self._cache.get(day)
        if hit is not None:
            return hit
        o = self._overrides.get(day)
        if o is not None:
            result = (o.is_workday, o.is_holiday)
        elif self._lib_first <= day.year <= self._lib_last:
            work = chinese_calendar.is_workday(day)
            holiday = (not work) and chinese_calendar.is_holiday(day) and day in chinese_calendar.holidays
            result = (work, holiday)
        else:
            result = (day.weekday() < 5, False)
        self._cache[day] = result
        return result

    def is_workday(self, day: dt.date) -> bool:
        return self._lookup(day)[0]

    def is_rest_day(self, day: dt.date) -> bool:
        return not self._lookup(day)[0]

    def is_statutory_holiday(self, day: dt.date) -> bool:
        return self._lookup(day)[1]

    def years_without_data(self, start: dt.date, end: dt.date) -> set[int]:
        lo, hi = min(start, end), max(start, end)
        return {y for y in range(lo.year, hi.year + 1) if not self.has_data(y)}


@dataclass(frozen=True)
class PeriodEnd:
    due: dt.date
    nominal: dt.date
    rolled: bool = False
    years_without_data: frozenset[int] = field(default_factory=frozenset)

    @property
    def provisional(self) -> bool:
        return bool(self.years_without_data)


def _missing_years(cal: WorkdayCalendar, start: dt.date, end: dt.date) -> frozenset[int]:
    return frozenset(y for y in range(start.year, end.year + 1) if not cal.has_data(y))


def _roll(cal: WorkdayCalendar, start: dt.date, nominal: dt.date, roll: Roll) -> PeriodEnd:
    due = nominal
    if roll == "next_workday":
        while cal.is_rest_day(due):
            due += dt.timedelta(days=1)
    missing = _missing_years(cal, start, due)
    return PeriodEnd(due=due, nominal=nominal, rolled=due != nominal, years_without_data=missing)


def add_calendar_days(cal: WorkdayCalendar, start: dt.date, days: int, *, roll: Roll = "next_workday") -> PeriodEnd:
    """``days`` calendar days after ``start`` (the start day itself is not counted, CC art. 201)."""
    if days < 0:
        raise ValueError("a period cannot be negative")
    return _roll(cal, start, start + dt.timedelta(days=days), roll)


def add_working_days(cal: WorkdayCalendar, start: dt.date, days: int) -> PeriodEnd:
    """The ``days``-th working day after ``start`` (e.g. 3 working days to decide on acceptance)."""
    if days < 0:
        raise ValueError("a period cannot be negative")
    day, left = start, days
    while left:
        day += dt.timedelta(days=1)
        if cal.is_workday(day):
            left -= 1
    return PeriodEnd(due=day, nominal=day, rolled=False, years_without_data=_missing_years(cal, start, day))


def _shift_months(start: dt.date, months: int) -> dt.date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = _cal.monthrange(year, month)[1]
    return dt.date(year, month, min(start.day, last))


def add_months(cal: WorkdayCalendar, start: dt.date, months: int, *, roll: Roll = "next_workday") -> PeriodEnd:
    """CC art. 202: the corresponding day of the last month, or its last day if there is none."""
    if months < 0:
        raise ValueError("a period cannot be negative")
    return _roll(cal, start, _shift_months(start, months), roll)


def add_years(cal: WorkdayCalendar, start: dt.date, years: int, *, roll: Roll = "next_workday") -> PeriodEnd:
    return add_months(cal, start, 12 * years, roll=roll)


def working_days_between(cal: WorkdayCalendar, start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is before ``start``
    (then the working days after ``end`` up to and including ``start``, negated). For countdowns."""
    if end == start:
        return 0
    sign, lo, hi = (1, start, end) if end > start else (-1, end, start)
    n, day = 0, lo
    while day < hi:
        day += dt.timedelta(days=1)
        if cal.is_workday(day):
            n += 1
    return sign * n
