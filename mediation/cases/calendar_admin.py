"""Loading an official holiday schedule into the calendar override table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, extract
from sqlalchemy.orm import Session

from mediation.db.models import CalendarDay, CalendarYear
from mediation.db.models_ops import bump_config_version
from mediation.db.uow import unit_of_work


def load_year(session: Session, data: Mapping[str, Any]) -> int:
    """Replace the override rows of one year with an official schedule (State Council notice).

    ``holidays``: public-holiday rest days (weekends inside a holiday block may be listed too);
    ``workdays``: make-up working days (调休) on weekends. Other days follow Mon–Fri/Sat–Sun.
    """
    try:
        year = int(data["year"])
        source = str(data.get("source") or "").strip()
        holidays = sorted({dt.date.fromisoformat(d) for d in data.get("holidays", [])})
        workdays = sorted({dt.date.fromisoformat(d) for d in data.get("workdays", [])})
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"节假日安排格式有误：{exc}") from exc
    if not source:
        raise ValueError("须注明来源（如国务院办公厅通知文号）")
    if not holidays:
        raise ValueError("节假日列表为空")
    wrong = [d for d in (*holidays, *workdays) if d.year != year]
    if wrong:
        raise ValueError(f"日期不属于{year}年：{', '.join(d.isoformat() for d in wrong[:5])}")
    both = set(holidays) & set(workdays)
    if both:
        raise ValueError(f"同一天既是假日又是调休工作日：{', '.join(sorted(d.isoformat() for d in both))}")
    with unit_of_work(session):
        session.execute(delete(CalendarDay).where(extract("year", CalendarDay.day) == year))
        session.execute(delete(CalendarYear).where(CalendarYear.year == year))
        for d in holidays:
            session.add(CalendarDay(day=d, is_workday=False, is_holiday=True, note="法定节假日"))
        for d in workdays:
            session.add(CalendarDay(day=d, is_workday=True, is_holiday=False, note="调休上班"))
        session.add(CalendarYear(year=year, source=source))
        bump_config_version(session, "calendar")  # every process of every node reloads its calendar
    return year
