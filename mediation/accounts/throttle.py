"""Login throttling: too many failed attempts for a username from one address → wait."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.db.models_access import LoginAttempt
from mediation.domain.errors import DomainError

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    title = "登录尝试过于频繁"
    status = 429


def check_allowed(session: Session, *, username: str, ip: str) -> None:
    since = dt.datetime.now(dt.UTC) - WINDOW
    failures = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username == username, LoginAttempt.ip == ip, LoginAttempt.at >= since,
            LoginAttempt.success.is_(False),
        )
    ) or 0
    if failures >= MAX_FAILURES:
        raise TooManyAttempts(f"登录失败次数过多，请{WINDOW.seconds // 60}分钟后再试", retry_after=WINDOW.seconds)


def record(session: Session, *, username: str, ip: str, success: bool) -> None:
    session.add(LoginAttempt(username=username[:64], ip=ip[:64], success=success))
    session.commit()
