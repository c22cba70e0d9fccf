"""The one clock of the engine: China time, and "today" as the law counts it.

Every period of the law (LDMAL, the Civil Code's rules on counting periods) runs in days of the place where
the committee sits, which for this engine is always the People's Republic of China: one time zone,
``Asia/Shanghai`` (UTC+8, no daylight saving since 1991). Timestamps are stored in UTC; whenever a date is
derived from an instant (a session's start, an event's time, "today"), it is the date in China.

Nothing else in the code base defines the zone or an offset of eight hours: import it from here. Services
never call :func:`china_today` themselves; they take ``today`` from their environment
(``ServiceEnv.today``), which the wiring sets to :func:`china_today` and tests set to a fixed day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

#: The zone every legal date is counted in.
CHINA_TZ = ZoneInfo("Asia/Shanghai")

#: A source of "today" (``ServiceEnv.today``): :func:`china_today` in production, a fixed day in tests.
Today = Callable[[], dt.date]


def china_now() -> dt.datetime:
    """Now, as an aware datetime in China time."""
    return dt.datetime.now(CHINA_TZ)


def china_today() -> dt.date:
    """Today for the law: the current date in China (whatever the server's own zone)."""
    return china_now().date()


def china_date(at: dt.datetime) -> dt.date:
    """The date in China of an aware instant (a naive one is taken as already in China time)."""
    return at.astimezone(CHINA_TZ).date() if at.tzinfo is not None else at.date()


def china_local(at: dt.datetime) -> dt.datetime:
    """An aware instant shown in China time (a naive one is returned unchanged)."""
    return at.astimezone(CHINA_TZ) if at.tzinfo is not None else at


def china_instant(day: dt.date, time: dt.time = dt.time()) -> dt.datetime:
    """The instant (in UTC) at which it is ``time`` on ``day`` in China; ``time`` defaults to midnight."""
    return dt.datetime.combine(day, time, CHINA_TZ).astimezone(dt.UTC)
