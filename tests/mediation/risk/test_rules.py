"""Scoring rules as data: worked examples of which indicators and rules put an enterprise at its level."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mediation.domain.errors import ValidationFailed
from mediation.risk.rules import DEFAULT_RULES_JSON, assess, default_rules, rules_from_json
from mediation.risk.rulesets import validate_rules
from mediation.risk.scoring import CaseView, SignalView, features_at

RULES = default_rules()


def _features(**values: Any) -> dict[str, Any]:
    return values


def test_arrears_of_one_and_a_half_months_with_thirty_workers_is_orange() -> None:
    a = assess(RULES, _features(wage_arrears_months=Decimal("1.5"), workers_affected=30, no_union=True))
    # 30 (arrears ≥ 1 month) + 25 (≥ 30 workers) + 5 (no union) = 60 ≥ 50: orange by score,
    # and the county floor (1-2 months of arrears is orange) agrees.
    assert a.score == 60
    assert a.score_level == "orange"
    assert a.level == "orange"
    assert [(h.indicator, h.points) for h in a.hits] == [
        ("wage_arrears_months", 30), ("workers_affected", 25), ("no_union", 5)]
    assert [f.level for f in a.floors] == ["yellow", "orange"]
    e = a.explanation()
    assert e["summary"] == "风险分60分，按分值为橙色预警（严重）"
    assert e["reasons"][0] == "拖欠工资月数1.5月（≥1月）计30分"
    assert e["hits"][1] == {"indicator": "workers_affected", "label": "涉及职工人数", "value": 30, "unit": "人",
                            "points": 25, "rule": "≥30人"}


def test_arrears_over_two_months_is_red_by_the_floor_whatever_the_score() -> None:
    a = assess(RULES, _features(wage_arrears_months=Decimal("3")))
    assert a.score == 50 and a.score_level == "orange"
    assert a.level == "red"
    e = a.explanation()
    assert "超过2个月为红色" in e["summary"] and e["summary"].endswith("定为红色预警（特别严重）")
    assert e["floors"][-1]["rule"] == "拖欠工资月数＞2月则至少红色预警（特别严重）"


def test_exactly_two_months_is_orange_not_red() -> None:
    # "> 2 months" is red; two months exactly is in the orange band (1-2 months).
    assert assess(RULES, _features(wage_arrears_months=Decimal("2"))).level == "orange"


def test_a_few_weeks_of_arrears_is_yellow_by_the_floor() -> None:
    a = assess(RULES, _features(wage_arrears_months=Decimal("0.5")))
    assert (a.score, a.score_level, a.level) == (15, "blue", "yellow")


def test_flags_alone_sum_to_blue() -> None:
    a = assess(RULES, _features(excessive_overtime=True, no_collective_agreement=True))
    assert (a.score, a.level) == (15, "blue")
    assert {h.indicator for h in a.hits} == {"excessive_overtime", "no_collective_agreement"}


def test_relocation_with_layoffs_and_an_open_collective_dispute_is_orange_not_red() -> None:
    a = assess(RULES, _features(relocation=True, planned_layoffs=60, open_collective_cases=1))
    # 20 + 20 (≥ 50 layoffs) + 30 (an open collective dispute) = 70 < 75
    assert (a.score, a.level) == (70, "orange")
    assert assess(RULES, _features(relocation=True, planned_layoffs=200, open_collective_cases=1)).level == "red"


def test_nothing_reported_is_no_warning() -> None:
    a = assess(RULES, _features())
    assert (a.score, a.level, a.hits, a.floors) == (0, "none", (), ())
    assert a.explanation()["summary"] == "风险分0分，按分值为无预警"


def test_highest_band_reached_counts_once() -> None:
    a = assess(RULES, _features(wage_arrears_amount=Decimal("6000000")))
    assert [(h.indicator, h.points, h.rule) for h in a.hits] == [("wage_arrears_amount", 30, "≥5000000元")]


def test_rules_round_trip_through_json() -> None:
    again = rules_from_json(RULES.to_json(), version=1)
    for features in ({"wage_arrears_months": Decimal("1.5")}, {"closure": True, "workers_affected": 120},
                     {"open_cases": 12, "prior_disputes": 6}):
        assert assess(again, features) == assess(RULES, features)


def test_a_changed_threshold_changes_the_level() -> None:
    data = copy.deepcopy(dict(DEFAULT_RULES_JSON))
    data["levels"] = {"blue": 10, "yellow": 20, "orange": 40, "red": 60}
    stricter = rules_from_json(data, version=2)
    f = _features(relocation=True, planned_layoffs=60)  # 40 points
    assert assess(RULES, f).level == "yellow"
    assert assess(stricter, f).level == "orange"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["levels"].update(orange=20), "levels"),
        (lambda d: d["indicators"].update(closure={"bands": [{"min": 1, "points": 3}]}), "indicators"),
        (lambda d: d["indicators"].update(open_cases={"points": 3}), "indicators"),
        (lambda d: d["indicators"].update(made_up={"points": 3}), "indicators"),
        (lambda d: d["floors"].append({"indicator": "closure", "min": 2, "level": "red"}), "indicators"),
        (lambda d: d["floors"].append({"indicator": "wage_arrears_months", "min": 1, "level": "purple"}), "floors"),
        (lambda d: d.update(collective_threshold=1), "collective_threshold"),
    ],
)
def test_invalid_rules_are_refused_in_chinese(change: Any, field: str) -> None:
    data = copy.deepcopy(dict(DEFAULT_RULES_JSON))
    change(data)
    with pytest.raises(ValidationFailed) as exc:
        validate_rules(data)
    assert exc.value.detail == "预警规则有误，请按提示修改"
    assert field in exc.value.errors


UTC = dt.UTC


def _signal(observed: dt.datetime, resolved: dt.datetime | None = None, **values: Any) -> SignalView:
    return SignalView(1, 1, observed, resolved, values)


def test_features_take_the_worst_of_the_active_signals_and_drop_expired_or_resolved_ones() -> None:
    now = dt.datetime(2026, 6, 1, 12, tzinfo=UTC)
    signals = [
        _signal(now - dt.timedelta(days=10), wage_arrears_months=Decimal("1"), workers_affected=12),
        _signal(now - dt.timedelta(days=5), wage_arrears_months=Decimal("2.5"), relocation=True),
        _signal(now - dt.timedelta(days=200), closure=True),  # older than the 180-day window
        _signal(now - dt.timedelta(days=3), now - dt.timedelta(days=1), planned_layoffs=80),  # resolved
    ]
    f = features_at(now, RULES, signals, [], has_union=True)
    assert f["wage_arrears_months"] == Decimal("2.5")
    assert f["workers_affected"] == 12
    assert f["relocation"] is True and f["closure"] is False and f["planned_layoffs"] is None
    assert f["no_union"] is False


def test_features_count_open_and_recent_cases() -> None:
    now = dt.datetime(2026, 6, 1, 4, tzinfo=UTC)
    day = dt.date(2026, 6, 1)
    cases = [
        CaseView(1, day - dt.timedelta(days=20), True, None, True, 30),  # open collective
        CaseView(1, day - dt.timedelta(days=40), False, day - dt.timedelta(days=5), False, 1),  # ended
        CaseView(1, day - dt.timedelta(days=400), False, day - dt.timedelta(days=300), False, 1),  # too old
        CaseView(1, day + dt.timedelta(days=1), True, None, False, 1),  # not yet reported at that instant
    ]
    f = features_at(now, RULES, [], cases, has_union=False)
    assert f["open_cases"] == 1 and f["open_collective_cases"] == 1
    assert f["prior_disputes"] == 2
    assert f["no_union"] is True
    # at an earlier instant the ended case was still open
    f_before = features_at(now - dt.timedelta(days=10), RULES, [], cases, has_union=False)
    assert f_before["open_cases"] == 2
