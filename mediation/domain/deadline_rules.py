"""Statutory time limits — every default in one place, with its source.

Each rule's source is its citation in :mod:`mediation.domain.legal_basis` (docs/domain.md#time-limits). Rules
marked ``confirmed=False`` are a committee's practice (the negotiation reply, the collective report) with no
confirmed article behind the figure; they are data, so a corrected value becomes a new rule-set version
followed by an audited recompute (``mediation deadlines recompute``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from mediation.domain import legal_basis as lb
from mediation.domain.calendar import (
    PeriodEnd,
    Roll,
    WorkdayCalendar,
    add_calendar_days,
    add_months,
    add_working_days,
    add_years,
)


class Unit(StrEnum):
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    MONTHS = "months"
    YEARS = "years"


class DeadlineKind(StrEnum):
    ACCEPTANCE = "acceptance"
    ARBITRATION_RIGHT = "arbitration_right"
    MEDIATION_END = "mediation_end"
    NEGOTIATION_REPLY = "negotiation_reply"
    ARBITRATION_REVIEW = "arbitration_review"
    JUDICIAL_CONFIRMATION = "judicial_confirmation"
    PERFORMANCE = "performance"
    LIMITATION = "limitation"
    COLLECTIVE_REPORT = "collective_report"


#: Dates on which something *becomes possible*, not time limits: they are never missed, never marked
#: overdue and never counted as overdue. LDMAL art. 14(3): fifteen days after receipt of the application
#: without an agreement, the parties may apply for arbitration (from the following day).
MILESTONE_KINDS: frozenset[str] = frozenset({DeadlineKind.ARBITRATION_RIGHT})
#: The parties' optional windows after an agreement (a joint request for arbitration review, ELDNMP art. 27 ¶2 /
#: 办案规则 art. 74, or for judicial confirmation, PML art. 33 / CPL art. 205): nobody has to use them, so once
#: past they are simply closed — never "overdue", never in red.
OPTIONAL_WINDOW_KINDS: frozenset[str] = frozenset({DeadlineKind.ARBITRATION_REVIEW, DeadlineKind.JUDICIAL_CONFIRMATION})
#: Kinds that never count in overdue figures: the milestones, the limitation (the parties' own period) and the
#: parties' optional windows.
NOT_OVERDUE_KINDS: frozenset[str] = MILESTONE_KINDS | {DeadlineKind.LIMITATION} | OPTIONAL_WINDOW_KINDS
MILESTONE_PASSED_LABEL = "已届满，当事人可申请仲裁"
#: The deadlines someone has to meet, so the only ones that can be missed ("逾期"): the sweep, the workbench,
#: the case list's ``overdue`` filter and the risk facts' "在办逾期" all take this set.
MISSABLE_KINDS: tuple[str, ...] = tuple(k.value for k in DeadlineKind if k not in NOT_OVERDUE_KINDS)


@dataclass(frozen=True)
class DeadlineRule:
    kind: DeadlineKind
    amount: int
    unit: Unit
    anchor: str
    label: str
    source: str
    confirmed: bool
    #: MEDIATION_END only: the most days the parties may extend by in total, for every committee of the
    #: installation. ELDNMP art. 29 sets no cap, so the default is none; a committee may set its own
    #: (``Organisation.extension_cap_days``), which is then its rule, not the law's.
    max_extension_days: int | None = None
    #: What happens when the last day is a rest day. ``next_workday`` (CC art. 203) protects a party's
    #: procedural period; an internal duty of the committee (e.g. the urgent collective-dispute report) is
    #: not such a period and keeps its calendar date (``none``). Working-day periods never roll.
    roll: Roll = "next_workday"

    @property
    def milestone(self) -> bool:
        return self.kind in MILESTONE_KINDS


@dataclass(frozen=True)
class RuleSet:
    version: str
    rules: Mapping[DeadlineKind, DeadlineRule]
    #: LDMAL art. 7: ten or more workers with a common claim make a collective dispute.
    collective_threshold: int = 10

    def rule(self, kind: DeadlineKind | str) -> DeadlineRule:
        return self.rules[DeadlineKind(kind)]


K = DeadlineKind

_DEFAULTS = (
    DeadlineRule(K.ACCEPTANCE, 3, Unit.WORKING_DAYS, "收到调解申请之日", "受理期限",
                 lb.ACCEPTANCE.full, True),
    DeadlineRule(K.ARBITRATION_RIGHT, 15, Unit.CALENDAR_DAYS, "调解组织收到调解申请之日",
                 "十五日期间届满之日（次日起可申请仲裁）", lb.ARBITRATION_RIGHT.full, True),
    DeadlineRule(K.MEDIATION_END, 15, Unit.CALENDAR_DAYS, "受理调解申请之日", "调解期限",
                 lb.MEDIATION_END.full, True),
    DeadlineRule(K.NEGOTIATION_REPLY, 5, Unit.CALENDAR_DAYS, "提出协商要求之日", "协商答复期限",
                 lb.NEGOTIATION_REPLY.full, False),
    DeadlineRule(K.ARBITRATION_REVIEW, 15, Unit.CALENDAR_DAYS, "调解协议生效之日", "申请仲裁审查期限",
                 lb.ARBITRATION_REVIEW.full, True),
    DeadlineRule(K.JUDICIAL_CONFIRMATION, 30, Unit.CALENDAR_DAYS, "调解协议生效之日", "申请司法确认期限",
                 "《人民调解法》第三十三条；《民事诉讼法》第二百零五条", True),
    DeadlineRule(K.PERFORMANCE, 0, Unit.CALENDAR_DAYS, "协议约定的履行日期", "履行期限",
                 "《劳动争议调解仲裁法》第十五条（协议约定）", True),
    DeadlineRule(K.LIMITATION, 1, Unit.YEARS, "知道或者应当知道权利被侵害之日（中断后重新计算）",
                 "仲裁时效（按本会记录推算，以仲裁委员会认定为准）",
                 "《劳动争议调解仲裁法》第二十七条", True),
    # An internal emergency report, not a party's procedural period: it does not wait for the holiday's end.
    DeadlineRule(K.COLLECTIVE_REPORT, 1, Unit.CALENDAR_DAYS, "发现集体争议之日", "集体争议报告期限",
                 lb.COLLECTIVE_REPORT.full, False, roll="none"),
)


def default_rules() -> RuleSet:
    return _DEFAULT


#: 2025.2 (legal review): the collective report keeps its calendar date over holidays; the art. 14(3) date is
#: a milestone labelled as the last day of the 15-day window. 2025.3: the confirmed ELDNMP articles are cited
#: (arts. 22, 29, 27 ¶2 with 办案规则 art. 74) and the installation-wide extension cap is gone (art. 29 sets
#: none). Run ``mediation deadlines recompute`` once (it also rewrites the rows' basis).
_DEFAULT = RuleSet(version="2025.3", rules={r.kind: r for r in _DEFAULTS})


def with_overrides(base: RuleSet, version: str, amounts: Mapping[str, int] | None = None, *,
                   collective_threshold: int | None = None, max_extension_days: int | None = None) -> RuleSet:
    """A new rule-set version with some amounts changed (then recompute open cases, audited)."""
    if version == base.version:
        raise ValueError("a changed rule set needs a new version")
    rules = dict(base.rules)
    for kind, amount in (amounts or {}).items():
        if amount < 0:
            raise ValueError("a period cannot be negative")
        rules[K(kind)] = dataclasses.replace(rules[K(kind)], amount=amount)
    if max_extension_days is not None:
        rules[K.MEDIATION_END] = dataclasses.replace(rules[K.MEDIATION_END], max_extension_days=max_extension_days)
    return RuleSet(
        version=version, rules=rules,
        collective_threshold=collective_threshold if collective_threshold is not None else base.collective_threshold,
    )


def compute_due(
    rules: RuleSet, cal: WorkdayCalendar, kind: DeadlineKind | str, anchor_day: dt.date, *, extra_days: int = 0
) -> PeriodEnd:
    """Due date of ``kind`` counted from ``anchor_day`` (day 0, not counted). ``extra_days`` are agreed
    extensions in calendar days (MEDIATION_END), or the days the limitation was suspended (LIMITATION, LDMAL
    art. 27(3): the period continues after the cause ends, so its end moves by the days it stood still)."""
    rule = rules.rule(kind)
    if rule.unit in (Unit.MONTHS, Unit.YEARS) and extra_days:
        months = rule.amount * (12 if rule.unit == Unit.YEARS else 1)
        nominal = add_months(cal, anchor_day, months, roll="none")
        end = add_calendar_days(cal, nominal.due, extra_days, roll=rule.roll)
        return dataclasses.replace(end, years_without_data=end.years_without_data | nominal.years_without_data)
    if rule.unit == Unit.WORKING_DAYS:
        return add_working_days(cal, anchor_day, rule.amount + extra_days)
    if rule.unit == Unit.CALENDAR_DAYS:
        return add_calendar_days(cal, anchor_day, rule.amount + extra_days, roll=rule.roll)
    if rule.unit == Unit.MONTHS:
        return add_months(cal, anchor_day, rule.amount, roll=rule.roll)
    return add_years(cal, anchor_day, rule.amount, roll=rule.roll)
