"""劳动关系风险预警报告 (早报告)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from documents.builders.common import BuildInput, base_context, date_cn, datetime_cn, event_label
from mediation.db.models import CaseEvent
from mediation.domain.clock import china_date
from mediation.risk.alerts import report_context_for_case


def build_early_warning(b: BuildInput) -> dict[str, Any]:
    """The risk-warning report (早报告): the enterprise, where it is, the indicators and the level that the
    early-warning rules found (``mediation.risk``), the workers involved, what has been done, who reports."""
    ctx = base_context(b, "劳动关系风险预警报告")
    case = b.case
    risk = report_context_for_case(b.session, case)
    c = ctx["case"]
    location = risk["location"]
    place = "，".join(x for x in (location.get("region"), (location.get("park") or {}).get("name")) if x)
    indicators = [i["label"] if i["value"] is True else f"{i['label']}：{i['value']}{i['unit'] or ''}"
                  for i in risk["indicators"] if i["value"] not in (False, None, 0, "")]
    if case.is_collective:
        indicators.append(f"集体劳动争议（{case.workers_count}人）")
    if not indicators:
        indicators.append(c["claims_summary"])
    actions = [risk["actions"]] if risk["actions"] else []
    for ev in b.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)):
        if ev.event in ("begin_triage", "start_negotiation", "register_application", "accept", "record_session"):
            actions.append(f"{date_cn(china_date(ev.at))}{event_label(case, ev.event)}")
    employer = c["employer"] or {}
    ctx["report"] = {
        "enterprise": employer.get("name") or (risk["enterprise"] or {}).get("name", ""),
        "uscc": employer.get("uscc") or (risk["enterprise"] or {}).get("uscc") or "",
        "location": str(b.params.get("location") or place or ctx["org"]["region"]),
        "indicators": str(b.params.get("indicators") or "；".join(indicators)),
        "workers": max(int(risk["workers_involved"] or 0), case.workers_count),
        "level": str(b.params.get("level") or risk["level_label"]),
        "cause": str(b.params.get("cause") or case.facts or c["claims_summary"]),
        "trend": str(b.params.get("trend") or "（待研判）"),
        "actions": str(b.params.get("actions") or "；".join(actions) or "已登记，正在研判"),
        "reporter": str(b.params.get("reporter") or b.actor_name),
        "time_cn": datetime_cn(dt.datetime.now(dt.UTC)),
        # the signals behind the warning; reporters masked (the report leaves the committee)
        "signals": [{"date_cn": date_cn(china_date(s["observed_at"])), "source": s["source_label"],
                     "reporter": s["reporter_name"] or "—", "workers": s["workers_affected"]}
                    for s in risk["signals"][:10]],
    }
    return ctx
