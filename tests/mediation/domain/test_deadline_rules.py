"""Deadline rules after the legal review: which periods roll over holidays, which dates are milestones."""

from __future__ import annotations

import datetime as dt

from mediation.domain.calendar import ChineseWorkdayCalendar
from mediation.domain.deadline_rules import DeadlineKind, compute_due, default_rules, with_overrides

CAL = ChineseWorkdayCalendar()
K = DeadlineKind
D = dt.date


def test_collective_report_does_not_wait_for_the_holiday_to_end() -> None:
    # Found on 2025-09-30: the report is due on 10-01 (National Day) — an internal emergency report is not a
    # party's procedural period (CC art. 203), so it is not pushed to 10-09.
    end = compute_due(default_rules(), CAL, K.COLLECTIVE_REPORT, D(2025, 9, 30))
    assert end.due == D(2025, 10, 1) and not end.rolled
    # The rule keeps its roll in a changed rule set.
    changed = with_overrides(default_rules(), "test.1", {"collective_report": 2})
    assert compute_due(changed, CAL, K.COLLECTIVE_REPORT, D(2025, 9, 30)).due == D(2025, 10, 2)


def test_party_periods_still_roll_over_holidays() -> None:
    # A party's 15-day period ending inside the Spring Festival 2026 (02-15..02-23) ends on the next working day.
    end = compute_due(default_rules(), CAL, K.ARBITRATION_REVIEW, D(2026, 2, 1))
    assert end.nominal == D(2026, 2, 16) and end.due == D(2026, 2, 24)
