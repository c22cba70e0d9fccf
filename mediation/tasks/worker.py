"""The worker side of the queue on PostgreSQL: procrastinate's App with this engine's tasks, and the processes
that run it (``mediation worker``).

- **Unit tasks** (:class:`UnitTask`: render a document, fold risk deltas…) run in a session of their own and
  commit when they succeed; a failure rolls back everything they wrote and procrastinate retries the job with
  exponential backoff; when the last attempt fails, ``on_failure`` records it (in a transaction of its own).
- **Periodic tasks** (:mod:`mediation.tasks.periodic`) are procrastinate periodic tasks, deferred by every
  worker's periodic deferrer and deduplicated by the database (one job per task and tick), with a queueing
  lock (never two waiting) and, for the daily jobs, the day's claim.
- **Stalled jobs**: a worker killed in the middle of a job (``kill -9``, a lost node) leaves its job "doing";
  its heartbeat stops, and every worker looks every few seconds for jobs of workers silent for longer than
  ``stalled_after`` and puts them back in the queue (procrastinate's ``retry_job``: one more attempt). Nothing
  the killed job wrote was committed, so the retry starts clean and its effect happens once.

- **The risk fold**: every worker folds the waiting risk fact deltas every second (:func:`fold_loop`); the fold's
  advisory lock lets one fold at a time run, the others skip their turn.

One process per core (``--processes``, default: the core count) with one job at a time each: rendering is
CPU-bound Python, so processes, not threads or coroutines, give parallelism.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mediation.queue import DEFAULT_QUEUE
from mediation.tasks.periodic import SessionFactory, daily_job, notify_job, sweep_job

log = logging.getLogger("mediation.worker")

PERIODIC_QUEUE = "periodic"
#: Every 15 minutes, on every worker; the database defers each tick once.
PERIODIC_CRON = "*/15 * * * *"


@dataclass(frozen=True)
class UnitTask:
    """A task that runs in one session and is committed when it returns."""

    handler: Callable[..., Any]
    queue: str = DEFAULT_QUEUE
    #: Retries after the first attempt (procrastinate's ``max_attempts``), with backoff ``wait`` × 2^attempt s.
    retries: int = 4
    wait: float = 2.0
    #: ``on_failure(session, exc, **kwargs)`` after the last attempt failed (e.g. mark a document failed).
    on_failure: Callable[..., Any] | None = None


@dataclass(frozen=True)
class WorkerOptions:
    queues: Sequence[str] | None = None
    heartbeat: float = 5.0
    stalled_after: float = 20.0
    reap_every: float = 5.0
    poll: float = 2.0
    #: Seconds between two folds of the risk deltas (the dashboards' lag under load).
    fold_every: float = 1.0


def build_app(session_factory: SessionFactory, *, conninfo: str, tasks: Mapping[str, UnitTask],
              periodic: bool = True, pool_size: int = 3) -> Any:
    """procrastinate's App for ``conninfo`` with the unit tasks (by name) and, unless ``periodic=False``, the
    periodic jobs."""
    import procrastinate
    from procrastinate import RetryStrategy

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo, min_size=1,
                                                                      max_size=pool_size))
    for name, spec in tasks.items():
        app.task(name=name, queue=spec.queue, pass_context=True,
                 retry=RetryStrategy(max_attempts=spec.retries, exponential_wait=spec.wait)
                 if spec.retries else False)(_unit_runner(session_factory, spec))
    if periodic:
        jobs: dict[str, Callable[[Any, int], str]] = {
            "sweep": lambda ctx, ts: sweep_job(session_factory, _at(ts)),
            "daily": lambda ctx, ts: daily_job(session_factory, _at(ts), job_id=ctx.job.id),
            "notify": lambda ctx, ts: notify_job(session_factory, _at(ts)),
        }
        for name, run in jobs.items():
            def periodic_task(context: Any, timestamp: int, run: Callable[[Any, int], str] = run) -> str:
                return run(context, timestamp)

            task = app.task(name=f"periodic.{name}", queue=PERIODIC_QUEUE, queueing_lock=f"periodic.{name}",
                            pass_context=True, retry=RetryStrategy(max_attempts=2, wait=60))(periodic_task)
            app.periodic(cron=PERIODIC_CRON, periodic_id=name)(task)
    return app


def _at(timestamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def _unit_runner(session_factory: SessionFactory, spec: UnitTask) -> Callable[..., Any]:
    def run(context: Any, **kwargs: Any) -> Any:
        final = not spec.retries or context.job.attempts >= spec.retries
        with session_factory() as s:
            try:
                result = spec.handler(s, **kwargs)
                s.commit()
                return result
            except BaseException as exc:
                s.rollback()
                if final and spec.on_failure is not None:
                    _record_failure(session_factory, spec, exc, kwargs)
                raise

    return run


def _record_failure(session_factory: SessionFactory, spec: UnitTask, exc: BaseException,
                    kwargs: Mapping[str, Any]) -> None:
    assert spec.on_failure is not None
    s: Session
    with session_factory() as s:
        try:
            spec.on_failure(s, exc, **kwargs)
            s.commit()
        except Exception:
            s.rollback()
            log.exception("recording the failure of a job failed too")


async def reap_stalled(app: Any, *, every: float, stalled_after: float) -> None:
    """Put the jobs of silent workers back in the queue, forever (cancelled with the worker)."""
    while True:
        await asyncio.sleep(every)
        try:
            for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
                with contextlib.suppress(Exception):  # another worker may have retried it first
                    await app.job_manager.retry_job(job)
                    log.warning("job %s (%s) of a stalled worker put back in the queue", job.id, job.task_name)
        except Exception:
            log.exception("looking for stalled jobs failed")


def fold_once(session_factory: SessionFactory) -> int:
    """Fold every waiting risk delta, a committed batch at a time; 0 when another worker is folding."""
    from mediation.risk.fold import BATCH, fold

    total = 0
    with session_factory() as s:
        while True:
            try:
                n = fold(s)
                s.commit()
            except BaseException:
                s.rollback()
                raise
            total += n
            if n < BATCH:
                return total


async def fold_loop(session_factory: SessionFactory, *, every: float) -> None:
    """Fold the risk deltas every ``every`` seconds, forever (cancelled with the worker)."""
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(fold_once, session_factory)
        except Exception:
            log.exception("folding the risk deltas failed")


def run_worker(app: Any, options: WorkerOptions, *, name: str = "worker",
               session_factory: SessionFactory | None = None) -> None:
    """One worker process: one job at a time, until SIGTERM/SIGINT; with ``session_factory``, the risk fold too."""

    async def main() -> None:
        async with app.open_async():
            reaper = asyncio.create_task(reap_stalled(app, every=options.reap_every,
                                                      stalled_after=options.stalled_after))
            folder = (asyncio.create_task(fold_loop(session_factory, every=options.fold_every))
                      if session_factory is not None else None)
            try:
                await app.run_worker_async(
                    queues=list(options.queues) if options.queues else None, concurrency=1, name=name,
                    update_heartbeat_interval=options.heartbeat, stalled_worker_timeout=options.stalled_after,
                    fetch_job_polling_interval=options.poll, abort_job_polling_interval=options.poll * 2,
                    install_signal_handlers=True, delete_jobs="successful")
            finally:
                reaper.cancel()
                if folder is not None:
                    folder.cancel()

    asyncio.run(main())


def supervise(target: Callable[[int], None], processes: int, *, restart_delay: float = 1.0,
              stop_after: float | None = None) -> int:
    """Run ``target(index)`` in ``processes`` child processes; a child that dies is started again (a worker
    killed mid-job: its job comes back through the stalled-job check). SIGTERM/SIGINT stop them all."""
    ctx = multiprocessing.get_context("spawn")
    children: dict[int, Any] = {}
    stopping = False

    def start(i: int) -> None:
        p = ctx.Process(target=target, args=(i,), name=f"mediation-worker-{i}", daemon=False)
        p.start()
        children[i] = p
        log.info("worker %s started (pid %s)", i, p.pid)

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for i in range(processes):
            start(i)
        began = time.monotonic()
        while not stopping and (stop_after is None or time.monotonic() - began < stop_after):
            time.sleep(0.5)
            for i, p in list(children.items()):
                if not p.is_alive() and not stopping:
                    log.warning("worker %s (pid %s) exited with %s; starting it again", i, p.pid, p.exitcode)
                    time.sleep(restart_delay)
                    start(i)
    finally:
        for p in children.values():
            if p.is_alive() and p.pid:
                os.kill(p.pid, signal.SIGTERM)
        for p in children.values():
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
        for sig, h in old.items():
            signal.signal(sig, h)
    return 0
