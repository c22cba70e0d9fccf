"""What every use case needs besides the session: deadline rules, the calendar, "today", and the
observers and document producer of its unit of work.

:class:`ServiceEnv` is what a service takes (``env=``, always explicit). It is built per operation by an
:class:`EnvFactory`, which holds what the assembly decided once per process (observers, documents, clock,
rules) and adds the calendar of the session's database. The one assembly is :mod:`mediation.wiring`;
nothing here is a module-level default or registry.

The calendar combines the library's holiday data with the override table (``calendar_days``); it is
cached per process and reloaded when the database's ``calendar`` version changes (see :func:`cached_calendar`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import CalendarDay, CalendarYear
from mediation.db.models_ops import config_version
from mediation.domain.calendar import ChineseWorkdayCalendar, DayOverride, WorkdayCalendar
from mediation.domain.clock import Today, china_today
from mediation.domain.deadline_rules import RuleSet, default_rules
from mediation.runtime.hooks import DocumentProducer, Observer

CALENDAR_TTL_SECONDS = 3600.0


@dataclass(frozen=True)
class ServiceEnv:
    """The environment of one operation. Built by :class:`EnvFactory` (the application, the command line),
    or directly where a caller decides for itself (tests, benchmarks, the demo seeder): then ``observers``
    and ``documents`` are what it passes — none by default, which leaves the derived risk tables stale, so
    only code that rebuilds them afterwards (or never reads them) may leave them out."""

    calendar: WorkdayCalendar
    rules: RuleSet = field(default_factory=default_rules)
    today: Today = china_today
    #: Rule sets by version, so a case keeps the rules it was computed with until an explicit recompute.
    rulesets: Mapping[str, RuleSet] = field(default_factory=dict)
    #: Called with every recorded case event, inside the unit of work.
    observers: tuple[Observer, ...] = ()
    #: Renders the documents a transition produces; ``None`` = none are produced (e.g. bulk imports).
    documents: DocumentProducer | None = None

    def rules_for(self, version: str) -> RuleSet:
        if version == self.rules.version:
            return self.rules
        return self.rulesets.get(version, self.rules)


@dataclass(frozen=True)
class EnvFactory:
    """What the assembly decides once per process; ``factory(session)`` is the :class:`ServiceEnv` of one
    operation on that session (with the cached calendar of its database)."""

    observers: tuple[Observer, ...] = ()
    documents: DocumentProducer | None = None
    today: Today = china_today
    rules: RuleSet = field(default_factory=default_rules)
    rulesets: Mapping[str, RuleSet] = field(default_factory=dict)

    def __call__(self, session: Session) -> ServiceEnv:
        return ServiceEnv(calendar=cached_calendar(session), rules=self.rules, today=self.today,
                          rulesets=self.rulesets, observers=self.observers, documents=self.documents)


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
