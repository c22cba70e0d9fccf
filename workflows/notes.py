"""What a case page says about the law applied to the case, in the words the documents also use: the limitation
(which rule, from which day, the estimated end; LDMAL art. 27) and whether the case is a collective dispute
(art. 7). Pure functions of the case row and its deadlines."""

from __future__ import annotations

from typing import Any

from mediation.domain import legal_basis as lb
from workflows.deadlines import limitation_status


def _cn(d: Any) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def limitation_line(case: Any) -> str:
    """``仲裁时效自2025年10月14日起重新计算（依据：…），按本会记录推算约至2026年10月14日届满…`` — or the
    art. 27(4) note, or nothing when the committee has no date to go on."""
    status = limitation_status(case)
    if status is None:
        return ""
    if status.since is None:
        return f"{status.note}（{lb.LIMITATION_PAY_ARREARS.short}）"
    text = (f"仲裁时效自{_cn(status.since)}起计算（依据：{status.basis}），按本会记录推算约至{_cn(status.due)}届满"
            "（估算，以劳动人事争议仲裁委员会认定为准）")
    if status.suspended_on is not None:
        text += f"；自{_cn(status.suspended_on)}起中止（{lb.LIMITATION_SUSPENDED.short}），原因消除后继续计算"
    elif status.suspended_days:
        text += f"；曾中止{status.suspended_days}日，届满日已相应顺延"
    return text


def collective_note(case: Any, threshold: int) -> str:
    """Ten or more workers without a common claim are not a collective dispute under LDMAL art. 7: say so."""
    if case.is_collective:
        claim = (case.common_claim or "").strip()
        return f"集体争议（{lb.COLLECTIVE.short}）；共同请求：{claim}" if claim else \
            f"集体争议（{lb.COLLECTIVE.short}）；尚未登记劳动者的共同请求"
    if (case.workers_count or 0) >= threshold:
        return (f"涉及{case.workers_count}名劳动者，但未登记共同请求，不属于{lb.COLLECTIVE.short}规定的集体争议"
                "（如有共同请求，请调解员更正集体争议认定）")
    return ""
