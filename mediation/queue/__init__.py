"""The job queue, seen from a unit of work: ``queue.defer(session, "task", **kwargs)``.

A job is deferred **in the caller's transaction**: if the unit of work rolls back, the job was never queued
(no phantom job); if it commits, the job is there (no lost job). Two implementations, chosen by the assembly
from the database:

- :class:`PostgresQueue` (production): procrastinate's own deferral (``JobManager.batch_defer_jobs`` with
  ``connection=``, procrastinate ≥ 3.4) on the session's psycopg connection: the ``procrastinate_jobs`` row is
  inserted by the same transaction as the state change; a worker (``mediation worker``) runs it after commit.
- :class:`InlineQueue` (SQLite, the one-process laptop demo, the tests): the task runs **after the commit**, in
  the caller's session and through the same job code a worker runs (:func:`after_commit`,
  :func:`run_after_commit`, called by :func:`mediation.db.uow.unit_of_work` once it has committed): a request
  that renders a document returns with the document ready, as before the queue, but the transition's own
  transaction never contains the render.

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


#: ``session.info`` key of the jobs a session runs after its next commit.
AFTER_COMMIT = "mediation.queue.after_commit"
#: ``on_failure(session, exc, **kwargs)``: what a job records when it has failed for good.
FailureHandler = Callable[..., Any]


def after_commit(session: Session, key: str, handler: UnitHandler, *, on_failure: FailureHandler | None = None,
                 **kwargs: Any) -> None:
    """Run ``handler(session, **kwargs)`` once ``session`` has committed (one job per ``key`` and commit: a fold
    requested by ten events of one unit runs once). Each job is a unit of work of its own: committed when it
    returns; when it raises, rolled back and ``on_failure`` recorded and committed instead."""
    jobs: dict[str, tuple[UnitHandler, dict[str, Any], FailureHandler | None]] = session.info.setdefault(
        AFTER_COMMIT, {})
    jobs.setdefault(key, (handler, dict(kwargs), on_failure))


def discard_after_commit(session: Session) -> None:
    """Forget the jobs of a unit that was rolled back (they were never queued)."""
    session.info.pop(AFTER_COMMIT, None)


def run_after_commit(session: Session) -> int:
    """Run the jobs the committed unit left (and those they leave in turn); returns how many ran. A failing job
    does not stop the others: its failure is recorded by its ``on_failure`` (a failure of that is logged)."""
    import logging

    ran = 0
    while True:
        jobs = session.info.pop(AFTER_COMMIT, None)
        if not jobs:
            return ran
        for handler, kwargs, on_failure in jobs.values():
            ran += 1
            try:
                handler(session, **kwargs)
                session.commit()
            except Exception as exc:
                session.rollback()
                session.info.pop(AFTER_COMMIT, None)
                logging.getLogger("mediation.queue").exception("inline job %s failed", getattr(handler, "__name__",
                                                                                                handler))
                if on_failure is not None:
                    try:
                        on_failure(session, exc, **kwargs)
                        session.commit()
                    except Exception:
                        session.rollback()
                        logging.getLogger("mediation.queue").exception("recording the failure of a job failed too")


@dataclass
class InlineQueue:
    """Runs each job after the caller's commit, in the caller's session (SQLite: one process, no worker)."""

    handlers: Mapping[str, UnitHandler] = field(default_factory=dict)
    failures: Mapping[str, FailureHandler] = field(default_factory=dict)

    def defer(self, session: Session, task: str, *, queue: str = DEFAULT_QUEUE, lock: str | None = None,
              queueing_lock: str | None = None, priority: int = 0, schedule_at: dt.datetime | None = None,
              **kwargs: Any) -> int | None:
        handler = self.handlers.get(task)
        if handler is None:
            raise LookupError(f"no handler for task {task!r}")
        key = queueing_lock or f"{task}:{sorted(kwargs.items())!r}"
        after_commit(session, key, handler, on_failure=self.failures.get(task), **kwargs)
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


def queue_for(url: str, handlers: Mapping[str, UnitHandler],
              failures: Mapping[str, FailureHandler] | None = None, *, inline: bool = False) -> JobQueue:
    """The queue of a database: procrastinate on PostgreSQL, inline after the commit on SQLite (or when
    ``inline``: tests, and tools that must see the result at once)."""
    if url.startswith("postgresql") and not inline:
        return PostgresQueue()
    return InlineQueue(handlers, failures or {})


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
