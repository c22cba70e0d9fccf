"""Throttling password guessing with backoff, never a lock-out of the real owner.

Every password check — a login, a token request, the current password of a password change — is recorded
(``login_attempts``: username, client address, time, success). Before a check, three scopes are looked at;
each lets a few failures through and then asks for a wait that doubles with every further failure (counted
from the scope's latest failure, capped at 15 minutes):

- **the client** (its address) across all usernames: spraying many accounts from one client is slowed down
  after 10 failures, whoever the accounts are (a success does not reset it);
- **the account from that client**: after 5 failures (since that client's latest success on it);
- **the account from every client**: after 20 failures (since the account's latest success), but only for a
  client that has itself failed on the account lately — so someone guessing from elsewhere slows down the
  guessers, never the owner, who logs in from a client that has not failed.

Windows and thresholds are module constants; the wait is in ``Retry-After`` (seconds).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from mediation.db.models_access import LoginAttempt
from mediation.domain.clock import CHINA_TZ
from mediation.domain.errors import DomainError

WINDOW = dt.timedelta(minutes=30)
MAX_DELAY = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Scope:
    name: str
    #: Failures in the window that cost nothing.
    free: int
    #: The wait after the first failure over ``free``; it doubles with each further one.
    base: dt.timedelta


CLIENT = Scope("client", free=10, base=dt.timedelta(seconds=1))
ACCOUNT_CLIENT = Scope("account_client", free=5, base=dt.timedelta(seconds=1))
ACCOUNT = Scope("account", free=20, base=dt.timedelta(seconds=1))


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    title = "登录尝试过于频繁"
    status = 429


def delay(scope: Scope, failures: int) -> dt.timedelta:
    """The wait after ``failures`` failures in ``scope`` (zero while they are within its free allowance)."""
    over = failures - scope.free
    if over < 0:
        return dt.timedelta(0)
    return min(MAX_DELAY, scope.base * (2 ** min(over, 30)))


def _failures(session: Session, where: ColumnElement[bool], since: dt.datetime) -> tuple[int, dt.datetime | None]:
    row = session.execute(select(func.count(), func.max(LoginAttempt.at)).where(
        where, LoginAttempt.success.is_(False), LoginAttempt.at >= since)).one()
    return int(row[0] or 0), row[1]


def _last_success(session: Session, where: ColumnElement[bool]) -> dt.datetime | None:
    at: dt.datetime | None = session.scalar(select(func.max(LoginAttempt.at)).where(where,
                                                                                     LoginAttempt.success.is_(True)))
    return at


def wait_needed(session: Session, *, username: str, ip: str, now: dt.datetime | None = None) -> dt.timedelta:
    """How long this client must wait before checking a password of ``username`` (zero: go ahead)."""
    now = now or dt.datetime.now(dt.UTC)
    start = now - WINDOW
    username, ip = username[:64], ip[:64]
    waits = []

    n, last = _failures(session, LoginAttempt.ip == ip, start)
    if last is not None:
        waits.append(last + delay(CLIENT, n) - now)

    pair = and_(LoginAttempt.username == username, LoginAttempt.ip == ip)
    ok = _last_success(session, pair)
    n_pair, last = _failures(session, pair, max(start, ok) if ok else start)
    if last is not None:
        waits.append(last + delay(ACCOUNT_CLIENT, n_pair) - now)

    if n_pair:  # only a client that has itself failed on the account is slowed by the account's total
        account = LoginAttempt.username == username
        ok = _last_success(session, account)
        n, last = _failures(session, account, max(start, ok) if ok else start)
        if last is not None:
            waits.append(last + delay(ACCOUNT, n) - now)
    return max([dt.timedelta(0), *waits])


def _human(seconds: int) -> str:
    return f"{seconds}秒" if seconds < 60 else f"{math.ceil(seconds / 60)}分钟"


def wait_message(seconds: int, now: dt.datetime) -> str:
    """``"密码错误次数过多，请2分钟后再试（北京时间 10:32:05 以后）"``: how long, and the clock time it ends.
    It names neither the account nor whether it exists."""
    until = (now + dt.timedelta(seconds=seconds)).astimezone(CHINA_TZ)
    return f"密码错误次数过多，请{_human(seconds)}后再试（北京时间 {until:%H:%M:%S} 以后）"


def check_allowed(session: Session, *, username: str, ip: str, now: dt.datetime | None = None) -> None:
    """Raise TooManyAttempts (429, ``retry_after`` seconds) if this client must wait first."""
    now = now or dt.datetime.now(dt.UTC)
    wait = wait_needed(session, username=username, ip=ip, now=now)
    if wait > dt.timedelta(0):
        seconds = max(1, math.ceil(wait.total_seconds()))
        raise TooManyAttempts(wait_message(seconds, now), retry_after=seconds)


def record(session: Session, *, username: str, ip: str, success: bool) -> None:
    session.add(LoginAttempt(username=username[:64], ip=ip[:64], success=success))
    session.commit()
