"""The one clock: China's time zone and the day the law counts in.

Periods of the law are counted in days of China Standard Time (UTC+8, no daylight saving): a case
handled at 01:00 in Beijing is handled on that Beijing day, whatever the server's own zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")


def china_now() -> dt.datetime:
    """The current instant, aware, in China Standard Time."""
    return dt.datetime.now(CHINA_TZ)


def china_today() -> dt.date:
    """Today's date in China: the "today" of every period the engine counts."""
    return china_now().date()


def china_date(moment: dt.datetime) -> dt.date:
    """The China date of an aware instant (naive values are taken as UTC, as the database stores them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(CHINA_TZ).date()
