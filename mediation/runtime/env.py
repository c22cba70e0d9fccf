"""What every use case needs besides the session: deadline rules, the calendar and "today".

The calendar combines the library's holiday data with the override table (``calendar_days``); it is
cached per process and reloaded when the database's ``calendar`` version changes (see :func:`cached_calendar`).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import CalendarDay, CalendarYear
from mediation.db.models_ops import config_version
from mediation.domain.calendar import ChineseWorkdayCalendar, DayOverride, WorkdayCalendar
from mediation.domain.clock import china_today
from mediation.domain.deadline_rules import RuleSet, default_rules
from mediation.runtime.hooks import DocumentProducer, Observer, default_observers

CALENDAR_TTL_SECONDS = 3600.0


@dataclass
class ServiceEnv:
    calendar: WorkdayCalendar
    rules: RuleSet = field(default_factory=default_rules)
    today: Callable[[], dt.date] = china_today
    #: Rule sets by version, so a case keeps the rules it was computed with until an explicit recompute.
    rulesets: Mapping[str, RuleSet] = field(default_factory=dict)
    #: Called with every recorded case event, inside the unit of work.
    observers: tuple[Observer, ...] = field(default_factory=default_observers)
    #: Renders the documents a transition produces; ``None`` = none are produced (e.g. bulk imports).
    documents: DocumentProducer | None = None

    def rules_for(self, version: str) -> RuleSet:
        if version == self.rules.version:
            return self.rules
        return self.rulesets.get(version, self.rules)


def load_calendar(session: Session) -> ChineseWorkdayCalendar:
    days = session.scalars(select(CalendarDay)).all()
    years = session.scalars(select(CalendarYear.year)).all()
    overrides = [DayOverride(day=d.day, is_workday=d.is_workday, is_holiday=d.is_holiday, note=d.note) for d in days]
    return ChineseWorkdayCalendar(overrides=overrides, extra_years=years)


_cache_lock = threading.Lock()
_cache: dict[str, tuple[float, int, ChineseWorkdayCalendar]] = {}


def cached_calendar(session: Session) -> ChineseWorkdayCalendar:
    """The calendar of the session's database, cached per process **and checked against the database's
    ``calendar`` version** (one primary-key read per operation): a schedule loaded on one node is used by every
    process of every node from their next operation on. The TTL only bounds memory of a stale entry."""
    key = str(session.get_bind().engine.url)
    version = config_version(session, "calendar")
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and hit[1] == version and now - hit[0] < CALENDAR_TTL_SECONDS:
            return hit[2]
    cal = load_calendar(session)
    with _cache_lock:
        _cache[key] = (now, version, cal)
    return cal


def invalidate_calendar_cache() -> None:
    with _cache_lock:
        _cache.clear()


#: The process-wide document producer, installed by the application factory (``api``) or the CLI.
_default_documents: list[DocumentProducer] = []


def install_document_producer(producer: DocumentProducer | None) -> None:
    _default_documents.clear()
    if producer is not None:
        _default_documents.append(producer)


def default_env(session: Session) -> ServiceEnv:
    return ServiceEnv(
        calendar=cached_calendar(session),
        documents=_default_documents[0] if _default_documents else None,
    )
