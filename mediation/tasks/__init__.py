"""What the queue runs: the unit tasks by name (:func:`unit_tasks`), the periodic jobs
(:mod:`mediation.tasks.periodic`) and the worker processes (:mod:`mediation.tasks.worker`).

The services defer jobs by name through :mod:`mediation.queue` (the layer below them); this package, above
the documents and risk packages, maps the names to the code that runs them — in a worker on PostgreSQL, or
inline in the caller's session on SQLite (:func:`inline_handlers`).
"""

from __future__ import annotations

from collections.abc import Mapping

from documents.handoff import BUILD_TASK, handoff_handlers
from documents.service import RENDER_TASK, render_handlers
from mediation.blobs import BlobStore, store_from_spec
from mediation.notify import DELIVER_TASK, NotifySettings, deliverer_for, delivery_handlers
from mediation.queue import DEFAULT_QUEUE, DOCUMENTS_QUEUE, PostgresQueue, UnitHandler
from mediation.runtime.settings import Settings
from mediation.tasks.worker import UnitTask

#: Render attempts after the first, with exponential backoff (2 s × 2^attempt: 2, 4, 8, 16 s): a render that
#: still fails after about half a minute is marked failed for the supervisors.
RENDER_RETRIES = 4



def _settings_blobs() -> BlobStore:
    settings = Settings.from_env()
    return store_from_spec(settings.blob_store, endpoint_url=settings.s3_endpoint_url)


def unit_tasks(blobs: BlobStore | None = None) -> dict[str, UnitTask]:
    """Every unit task by name: the documents' render and the hand-off packages' build (their files go to
    ``blobs``, default: the settings' store). The risk fold is not a queued task: every worker folds every
    second (:func:`mediation.tasks.worker.fold_loop`)."""
    if blobs is None:
        blobs = _settings_blobs()
    handlers, failures = render_handlers(blobs)
    build, build_failed = handoff_handlers(blobs)
    # a delivery records its own failed attempts and defers itself again after the backoff (never raises for a
    # channel's failure); the queue's retries only cover a crash of the job itself
    deliver, deliver_failed = delivery_handlers(deliverer_for(NotifySettings.from_env(), blobs=blobs,
                                                              queue=PostgresQueue()))
    return {RENDER_TASK: UnitTask(handler=handlers[RENDER_TASK], queue=DOCUMENTS_QUEUE, retries=RENDER_RETRIES,
                                  wait=2.0, on_failure=failures[RENDER_TASK]),
            BUILD_TASK: UnitTask(handler=build[BUILD_TASK], queue=DOCUMENTS_QUEUE, on_failure=build_failed[BUILD_TASK]),
            DELIVER_TASK: UnitTask(handler=deliver[DELIVER_TASK], queue=DEFAULT_QUEUE, retries=2, wait=5.0,
                                   on_failure=deliver_failed[DELIVER_TASK])}


def inline_handlers(tasks: Mapping[str, UnitTask] | None = None) -> dict[str, UnitHandler]:
    """The handlers an :class:`mediation.queue.InlineQueue` runs in the caller's session."""
    return {name: spec.handler for name, spec in (tasks if tasks is not None else unit_tasks()).items()}
