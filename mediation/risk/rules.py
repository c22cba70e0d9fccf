"""Risk indicators and scoring rules kept as data (versioned), and their explainable evaluation.

No national union scheme for labour-relations warning levels was found (docs/domain.md#warning-levels): levels,
indicators, weights and thresholds are data. The built-in default (version 1) follows the national
emergency convention of four colours, blue → red, and one county's wage-arrears scheme as floors
(yellow under one month of arrears, orange one to two months, red over two) — local practice,
**unconfirmed**; an administrator replaces it with a new version (``POST /api/v1/risk/rules``).

Scoring: every numeric indicator has bands (the highest band reached gives its points), every flag has
points; the score is the sum; the level is the highest whose threshold the score reaches, raised by any
floor rule that applies ("arrears over two months is red whatever the score"). The evaluation returns the
hits that produced the level, so any enterprise's level can be explained.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

LEVELS: tuple[str, ...] = ("none", "blue", "yellow", "orange", "red")
RANK: Mapping[str, int] = {lv: i for i, lv in enumerate(LEVELS)}
#: A rise into one of these levels raises an alert for the supervisors (早报告).
ALERT_LEVELS: tuple[str, ...] = ("orange", "red")
LEVEL_LABELS: Mapping[str, str] = {
    "none": "无预警",
    "blue": "蓝色预警（一般）",
    "yellow": "黄色预警（较重）",
    "orange": "橙色预警（严重）",
    "red": "红色预警（特别严重）",
}
#: The colour alone, for short mentions ("原橙色").
LEVEL_COLOUR_NAMES: Mapping[str, str] = {"none": "无预警", "blue": "蓝色", "yellow": "黄色", "orange": "橙色",
                                         "red": "红色"}


def rank(level: str) -> int:
    return RANK[level]


@dataclass(frozen=True)
class Indicator:
    name: str
    label: str
    kind: Literal["number", "flag"]
    unit: str
    #: Where the value comes from: reported in signals, derived from the enterprise's cases, or both.
    origin: Literal["signal", "case", "signal+case", "signal+enterprise"]
    description: str = ""


INDICATORS: Mapping[str, Indicator] = {
    i.name: i
    for i in (
        Indicator("wage_arrears_months", "拖欠工资月数", "number", "月", "signal",
                  "各信息中报告的最长欠薪月数（《保障农民工工资支付条例》）"),
        Indicator("wage_arrears_amount", "拖欠工资金额", "number", "元", "signal", "各信息中报告的最大欠薪金额"),
        Indicator("social_insurance_unpaid_months", "欠缴社会保险月数", "number", "月", "signal"),
        Indicator("planned_layoffs", "拟裁减人数", "number", "人", "signal", "计划裁员（经济性裁员）涉及人数"),
        Indicator("relocation", "搬迁", "flag", "", "signal", "企业搬迁或计划搬迁"),
        Indicator("closure", "关停、歇业", "flag", "", "signal", "企业关停、歇业、破产或老板失联"),
        Indicator("merger", "兼并重组", "flag", "", "signal", "合并、分立、转制等重组"),
        Indicator("excessive_overtime", "超时加班", "flag", "", "signal", "长期超时加班"),
        Indicator("no_union", "未建工会", "flag", "", "signal+enterprise", "信息报告未建工会，或企业登记为未建工会"),
        Indicator("no_collective_agreement", "未签集体合同（工资专项集体合同）", "flag", "", "signal"),
        Indicator("prior_disputes", "近期劳动争议", "number", "件", "signal+case",
                  "信息报告的既往争议数与本企业近期登记案件数中的较大者"),
        Indicator("workers_affected", "涉及职工人数", "number", "人", "signal", "各信息报告的最多涉及人数"),
        Indicator("open_cases", "在办案件", "number", "件", "case", "本企业尚未办结的案件数"),
        Indicator("open_collective_cases", "在办集体争议", "number", "件", "case", "本企业尚未办结的集体争议数"),
    )
}
NUMBER_INDICATORS: tuple[str, ...] = tuple(n for n, i in INDICATORS.items() if i.kind == "number")
FLAG_INDICATORS: tuple[str, ...] = tuple(n for n, i in INDICATORS.items() if i.kind == "flag")
#: Indicators a signal carries (the rest are derived from cases).
SIGNAL_NUMBER_FIELDS: tuple[str, ...] = (
    "wage_arrears_months", "wage_arrears_amount", "social_insurance_unpaid_months", "planned_layoffs",
    "prior_disputes", "workers_affected",
)
SIGNAL_FLAG_FIELDS: tuple[str, ...] = FLAG_INDICATORS


@dataclass(frozen=True)
class Band:
    min: Decimal
    points: int
    #: ``gte`` (value ≥ min) or ``gt`` (value > min).
    op: str = "gte"

    def matches(self, value: Decimal) -> bool:
        return value > self.min if self.op == "gt" else value >= self.min

    def text(self, unit: str) -> str:
        return f"{'＞' if self.op == 'gt' else '≥'}{_fmt(self.min)}{unit}"


@dataclass(frozen=True)
class Floor:
    """A hard rule: when the indicator reaches ``min`` the level is at least ``level``."""

    indicator: str
    min: Decimal
    level: str
    op: str = "gte"
    note: str = ""

    def matches(self, value: Decimal) -> bool:
        return value > self.min if self.op == "gt" else value >= self.min


@dataclass(frozen=True)
class RiskRules:
    version: int
    bands: Mapping[str, tuple[Band, ...]]
    flags: Mapping[str, int]
    #: Minimum score per level (blue < yellow < orange < red).
    thresholds: Mapping[str, int]
    floors: tuple[Floor, ...] = ()
    #: Workers at or above which a case is a collective dispute for alerting (LDMAL art. 7: ten).
    collective_threshold: int = 10
    #: Signals count for this long after they were observed (unless resolved earlier).
    signal_window_days: int = 180
    #: Cases registered within this many days count as recent disputes.
    prior_dispute_window_days: int = 365
    #: Calendar days to report after an alert, per alert level and for collective disputes.
    report_within_days: Mapping[str, int] = field(default_factory=dict)
    builtin: bool = False

    def to_json(self) -> dict[str, Any]:
        indicators: dict[str, Any] = {}
        for name, bands in self.bands.items():
            indicators[name] = {"bands": [{"min": _num(b.min), "points": b.points, **({"op": b.op} if b.op != "gte"
                                                                                        else {})} for b in bands]}
        for name, points in self.flags.items():
            indicators[name] = {"points": points}
        return {
            "indicators": indicators,
            "levels": dict(self.thresholds),
            "floors": [{"indicator": f.indicator, "min": _num(f.min), "level": f.level,
                        **({"op": f.op} if f.op != "gte" else {}), **({"note": f.note} if f.note else {})}
                       for f in self.floors],
            "collective_threshold": self.collective_threshold,
            "signal_window_days": self.signal_window_days,
            "prior_dispute_window_days": self.prior_dispute_window_days,
            "report_within_days": dict(self.report_within_days),
        }

    def report_days(self, key: str) -> int:
        return int(self.report_within_days.get(key, 1))


def rules_from_json(data: Mapping[str, Any], *, version: int, builtin: bool = False) -> RiskRules:
    """Build rules from their (already validated, see :class:`mediation.risk.inputs.RulesSchema`) JSON."""
    bands: dict[str, tuple[Band, ...]] = {}
    flags: dict[str, int] = {}
    for name, spec in data.get("indicators", {}).items():
        if INDICATORS[name].kind == "number":
            bands[name] = tuple(sorted(
                (Band(Decimal(str(b["min"])), int(b["points"]), b.get("op", "gte")) for b in spec.get("bands", [])),
                key=lambda b: (b.min, b.op == "gt"),
            ))
        else:
            flags[name] = int(spec.get("points", 0))
    floors = tuple(Floor(f["indicator"], Decimal(str(f["min"])), f["level"], f.get("op", "gte"), f.get("note", ""))
                   for f in data.get("floors", []))
    return RiskRules(
        version=version, bands=bands, flags=flags, thresholds={k: int(v) for k, v in data["levels"].items()},
        floors=floors, collective_threshold=int(data.get("collective_threshold", 10)),
        signal_window_days=int(data.get("signal_window_days", 180)),
        prior_dispute_window_days=int(data.get("prior_dispute_window_days", 365)),
        report_within_days={k: int(v) for k, v in data.get("report_within_days", {}).items()},
        builtin=builtin,
    )


_LOCAL = "某县欠薪预警分级（地方做法）"

#: The built-in default, version 1 (used until an administrator saves a version of their own).
DEFAULT_RULES_JSON: Mapping[str, Any] = {
    "indicators": {
        "wage_arrears_months": {"bands": [{"min": 0.1, "points": 15}, {"min": 1, "points": 30},
                                          {"min": 2, "op": "gt", "points": 50}]},
        "wage_arrears_amount": {"bands": [{"min": 50_000, "points": 5}, {"min": 500_000, "points": 15},
                                          {"min": 5_000_000, "points": 30}]},
        "social_insurance_unpaid_months": {"bands": [{"min": 1, "points": 5}, {"min": 3, "points": 10},
                                                     {"min": 6, "points": 20}]},
        "planned_layoffs": {"bands": [{"min": 10, "points": 10}, {"min": 50, "points": 20},
                                      {"min": 200, "points": 35}]},
        "relocation": {"points": 20},
        "closure": {"points": 35},
        "merger": {"points": 10},
        "excessive_overtime": {"points": 10},
        "no_union": {"points": 5},
        "no_collective_agreement": {"points": 5},
        "prior_disputes": {"bands": [{"min": 2, "points": 5}, {"min": 5, "points": 10}, {"min": 20, "points": 20}]},
        "workers_affected": {"bands": [{"min": 10, "points": 15}, {"min": 30, "points": 25},
                                       {"min": 100, "points": 40}]},
        "open_cases": {"bands": [{"min": 3, "points": 5}, {"min": 10, "points": 15}]},
        "open_collective_cases": {"bands": [{"min": 1, "points": 30}]},
    },
    "levels": {"blue": 15, "yellow": 30, "orange": 50, "red": 75},
    "floors": [
        {"indicator": "wage_arrears_months", "min": 0, "op": "gt", "level": "yellow",
         "note": _LOCAL + "：不足1个月为黄色"},
        {"indicator": "wage_arrears_months", "min": 1, "level": "orange", "note": _LOCAL + "：1至2个月为橙色"},
        {"indicator": "wage_arrears_months", "min": 2, "op": "gt", "level": "red",
         "note": _LOCAL + "：超过2个月为红色"},
    ],
    # LDMAL art. 7: ten or more workers with a common claim.
    "collective_threshold": 10,
    "signal_window_days": 180,
    "prior_dispute_window_days": 365,
    # Local practice (unconfirmed): report an orange warning within 3 days, a red one and a collective
    # dispute within 1 (the core's collective-report deadline is also 1 calendar day).
    "report_within_days": {"orange": 3, "red": 1, "collective": 1},
}


def default_rules() -> RiskRules:
    return rules_from_json(copy.deepcopy(dict(DEFAULT_RULES_JSON)), version=1, builtin=True)


# --- evaluation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    indicator: str
    value: Any
    points: int
    rule: str

    def to_json(self) -> dict[str, Any]:
        ind = INDICATORS[self.indicator]
        return {"indicator": self.indicator, "label": ind.label, "value": _num(self.value), "unit": ind.unit,
                "points": self.points, "rule": self.rule}


@dataclass(frozen=True)
class FloorHit:
    indicator: str
    value: Any
    level: str
    rule: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {"indicator": self.indicator, "label": INDICATORS[self.indicator].label, "value": _num(self.value),
                "level": self.level, "level_label": LEVEL_LABELS[self.level], "rule": self.rule, "note": self.note}


@dataclass(frozen=True)
class Assessment:
    level: str
    score: int
    score_level: str
    hits: tuple[Hit, ...]
    floors: tuple[FloorHit, ...]
    rules_version: int
    thresholds: Mapping[str, int]

    def explanation(self) -> dict[str, Any]:
        """Which indicators and rules put the enterprise at its level (for people, in Chinese labels)."""
        reasons = [f"{h.to_json()['label']}{_fmt(h.value)}{INDICATORS[h.indicator].unit}（{h.rule}）计{h.points}分"
                   for h in self.hits]
        summary = f"风险分{self.score}分，按分值为{LEVEL_LABELS[self.score_level]}"
        if self.level != self.score_level:
            top = max(self.floors, key=lambda f: RANK[f.level])
            summary += f"；因{top.note or top.rule}，定为{LEVEL_LABELS[self.level]}"
        return {
            "level": self.level,
            "level_label": LEVEL_LABELS[self.level],
            "score": self.score,
            "score_level": self.score_level,
            "rules_version": self.rules_version,
            "thresholds": dict(self.thresholds),
            "hits": [h.to_json() for h in self.hits],
            "floors": [f.to_json() for f in self.floors],
            "summary": summary,
            "reasons": reasons,
        }


def _value(features: Mapping[str, Any], name: str) -> Decimal | None:
    v = features.get(name)
    if v is None or v is False:
        return None
    if v is True:
        return Decimal(1)
    return Decimal(str(v))


def assess(rules: RiskRules, features: Mapping[str, Any]) -> Assessment:
    hits: list[Hit] = []
    for name, bands in rules.bands.items():
        value = _value(features, name)
        if value is None:
            continue
        best = None
        for b in bands:
            if b.matches(value) and (best is None or b.points >= best.points):
                best = b
        if best is not None and best.points:
            hits.append(Hit(name, features[name], best.points, best.text(INDICATORS[name].unit)))
    for name, points in rules.flags.items():
        if features.get(name) and points:
            hits.append(Hit(name, True, points, "是"))
    score = sum(h.points for h in hits)
    score_level = "none"
    for lv in LEVELS[1:]:
        threshold = rules.thresholds.get(lv)
        if threshold is not None and score >= threshold:
            score_level = lv
    level = score_level
    floor_hits: list[FloorHit] = []
    for f in rules.floors:
        value = _value(features, f.indicator)
        if value is not None and f.matches(value):
            floor_hits.append(FloorHit(f.indicator, features[f.indicator], f.level,
                                       f"{INDICATORS[f.indicator].label}{'＞' if f.op == 'gt' else '≥'}{_fmt(f.min)}"
                                       f"{INDICATORS[f.indicator].unit}则至少{LEVEL_LABELS[f.level]}", f.note))
            if RANK[f.level] > RANK[level]:
                level = f.level
    hits.sort(key=lambda h: -h.points)
    return Assessment(level=level, score=score, score_level=score_level, hits=tuple(hits), floors=tuple(floor_hits),
                      rules_version=rules.version, thresholds=dict(rules.thresholds))


def _num(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def _fmt(v: Any) -> str:
    if v is True:
        return ""
    if isinstance(v, Decimal):
        v = _num(v)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
