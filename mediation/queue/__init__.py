"""The job queue, seen from a unit of work: ``queue.defer(session, "task", **kwargs)``.

A job is deferred **in the caller's transaction**: if the unit of work rolls back, the job was never queued
(no phantom job); if it commits, the job is there (no lost job). Two implementations, chosen by the assembly
from the database:

- :class:`PostgresQueue` (production): procrastinate's own deferral (``JobManager.batch_defer_jobs`` with
  ``connection=``, procrastinate ≥ 3.4) on the session's psycopg connection: the ``procrastinate_jobs`` row is
  inserted by the same transaction as the state change; a worker (``mediation worker``) runs it after commit.
- :class:`InlineQueue` (SQLite, the one-process laptop demo): the task runs at once, in the caller's session,
  as part of its unit of work — the behaviour the engine had before it had a queue.

Task names and their handlers live in :mod:`mediation.tasks`; this package only knows names and JSON
arguments, so the services that defer jobs (cases, risk, documents) stay below the tasks that run them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

#: A handler of a unit task: ``handler(session, **kwargs)`` — it writes in ``session`` and never commits.
UnitHandler = Callable[..., Any]

#: Queues: documents render on their own queue (CPU-bound, one process per core); the rest is light.
DEFAULT_QUEUE = "default"
DOCUMENTS_QUEUE = "documents"


class JobQueue(Protocol):
    def defer(self, session: Session, task: str, *, queue: str = DEFAULT_QUEUE, lock: str | None = None,
              queueing_lock: str | None = None, priority: int = 0, schedule_at: dt.datetime | None = None,
              **kwargs: Any) -> int | None:
        """Queue ``task(**kwargs)`` in ``session``'s transaction. The job id (``None``: run inline, or a job
        with the same ``queueing_lock`` is already waiting)."""
        ...


@dataclass
class PostgresQueue:
    """procrastinate on PostgreSQL, deferring through the session's own connection."""

    _manager: Any = field(default=None, init=False, repr=False)

    @property
    def manager(self) -> Any:
        if self._manager is None:
            from procrastinate import SyncPsycopgConnector
            from procrastinate.manager import JobManager

            # never opened: every query goes through the connection it is given
            self._manager = JobManager(SyncPsycopgConnector())
        return self._manager

    def defer(self, session: Session, task: str, *, queue: str = DEFAULT_QUEUE, lock: str | None = None,
              queueing_lock: str | None = None, priority: int = 0, schedule_at: dt.datetime | None = None,
              **kwargs: Any) -> int | None:
        from procrastinate import exceptions, jobs

        job = jobs.Job(id=None, queue=queue, task_name=task, priority=priority, lock=lock,
                       queueing_lock=queueing_lock, task_kwargs=dict(kwargs), scheduled_at=schedule_at)
        if queueing_lock is None:
            return self._defer(session, job)
        try:  # a refused duplicate must not abort the caller's transaction
            with session.begin_nested():
                return self._defer(session, job)
        except exceptions.AlreadyEnqueued:
            return None

    def _defer(self, session: Session, job: Any) -> int | None:
        raw = session.connection().connection.driver_connection
        return self.manager.batch_defer_jobs([job], connection=raw)[0].id


@dataclass
class InlineQueue:
    """Runs each job at once in the caller's session (SQLite: one process, no worker)."""

    handlers: Mapping[str, UnitHandler] = field(default_factory=dict)

    def defer(self, session: Session, task: str, *, queue: str = DEFAULT_QUEUE, lock: str | None = None,
              queueing_lock: str | None = None, priority: int = 0, schedule_at: dt.datetime | None = None,
              **kwargs: Any) -> int | None:
        handler = self.handlers.get(task)
        if handler is None:
            raise LookupError(f"no handler for task {task!r}")
        handler(session, **kwargs)
        return None


@dataclass
class RecordingQueue:
    """Keeps what was deferred (tests, and callers that decide later what to run)."""

    deferred: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def defer(self, session: Session, task: str, *, queue: str = DEFAULT_QUEUE, lock: str | None = None,
              queueing_lock: str | None = None, priority: int = 0, schedule_at: dt.datetime | None = None,
              **kwargs: Any) -> int | None:
        self.deferred.append((task, dict(kwargs)))
        return None


def queue_for(url: str, handlers: Mapping[str, UnitHandler]) -> JobQueue:
    """The queue of a database: procrastinate on PostgreSQL, inline on SQLite."""
    if url.startswith("postgresql"):
        return PostgresQueue()
    return InlineQueue(handlers)


def conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy URL (``postgresql+psycopg://…`` → ``postgresql://…``)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class QueueStats:
    """What is waiting and how long the oldest has waited (``lag``, seconds), per queue and overall."""

    waiting: Mapping[str, int]
    doing: Mapping[str, int]
    failed: Mapping[str, int]
    lag: Mapping[str, float]

    @property
    def max_lag(self) -> float:
        return max(self.lag.values(), default=0.0)

    @property
    def depth(self) -> int:
        return sum(self.waiting.values())


def queue_stats(session: Session) -> QueueStats | None:
    """The queue's figures (``None`` on SQLite: jobs run inline, nothing waits)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    from sqlalchemy import text

    rows = session.execute(text(
        "SELECT j.queue_name, j.status::text, count(*), "
        "       coalesce(extract(epoch FROM now() - min(coalesce(j.scheduled_at, e.at))), 0) "
        "FROM procrastinate_jobs j "
        "LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred' "
        "WHERE j.status IN ('todo', 'doing', 'failed') "
        "  AND (j.status <> 'todo' OR j.scheduled_at IS NULL OR j.scheduled_at <= now()) "
        "GROUP BY 1, 2")).all()
    waiting: dict[str, int] = {}
    doing: dict[str, int] = {}
    failed: dict[str, int] = {}
    lag: dict[str, float] = {}
    for queue, status, n, oldest in rows:
        {"todo": waiting, "doing": doing, "failed": failed}[status][queue] = int(n)
        if status == "todo":
            lag[queue] = float(oldest)
    return QueueStats(waiting, doing, failed, lag)
