"""Pruning what access control leaves behind: password checks (``login_attempts``), browser sessions that have
ended (logged out, revoked) or expired, and revoked API tokens — kept for a retention period (the settings'
``access_retention_days``), then deleted by the daily jobs (:mod:`mediation.tasks.periodic`) or by
``mediation user prune-access``.

The throttle never loses what it needs: it counts failures over :data:`mediation.accounts.throttle.WINDOW` and
looks at the latest success only to start that count later, so rows older than the window change no answer;
the cut-off is never later than the window's start, whatever the retention. The audit log
(``user_admin_events``) is not pruned here: it is append-only and names a pruned session or token by its id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from mediation.accounts import throttle
from mediation.db.base import Base
from mediation.db.models_access import ApiToken, LoginAttempt, UserSession

#: The shortest retention accepted (and the default of the setting).
MIN_RETENTION = dt.timedelta(days=1)
DEFAULT_RETENTION_DAYS = 180
#: Rows deleted per statement (short transactions on a busy table).
BATCH = 5000


@dataclass(frozen=True)
class PruneReport:
    cutoff: dt.datetime
    login_attempts: int
    sessions: int
    tokens: int
    dry_run: bool = False

    def summary(self) -> str:
        verb = "可清理" if self.dry_run else "已清理"
        return (f"{verb}{self.cutoff:%Y-%m-%d %H:%M} UTC 以前的登录尝试{self.login_attempts}条、"
                f"已结束或过期的浏览器会话{self.sessions}个、已吊销的 API 令牌{self.tokens}个")


def cutoff_for(retention: dt.timedelta, now: dt.datetime) -> dt.datetime:
    """What is older than this goes: ``now - retention``, never later than the start of the throttle's window."""
    if retention < MIN_RETENTION:
        raise ValueError(f"保留期不能短于{MIN_RETENTION.days}天")
    return min(now - retention, now - throttle.WINDOW)


def _count(session: Session, entity: type[Base], where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(entity).where(where)) or 0)


def _delete_batches(session: Session, entity: type[Base], id_col: InstrumentedAttribute[int],
                    where: ColumnElement[bool]) -> int:
    total = 0
    while True:
        ids = list(session.scalars(select(id_col).where(where).order_by(id_col).limit(BATCH)))
        if not ids:
            return total
        total += session.execute(delete(entity).where(id_col.in_(ids))).rowcount or 0
        session.commit()


def prune_access_records(session: Session, *, retention: dt.timedelta, now: dt.datetime | None = None,
                         dry_run: bool = False) -> PruneReport:
    """Delete login attempts older than the cut-off, sessions ended or expired before it and tokens revoked
    before it (``dry_run``: only count them). Commits batch by batch; each batch is whole or nothing."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = cutoff_for(retention, now)
    targets: tuple[tuple[type[Base], InstrumentedAttribute[int], ColumnElement[bool]], ...] = (
        (LoginAttempt, LoginAttempt.id, LoginAttempt.at < cutoff),
        (UserSession, UserSession.id, or_(UserSession.revoked_at < cutoff, UserSession.expires_at < cutoff)),
        (ApiToken, ApiToken.id, ApiToken.revoked_at < cutoff))
    if dry_run:
        counts = [_count(session, entity, where) for entity, _id, where in targets]
        session.rollback()
    else:
        counts = [_delete_batches(session, entity, id_col, where) for entity, id_col, where in targets]
    return PruneReport(cutoff, *counts, dry_run=dry_run)
