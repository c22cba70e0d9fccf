"""What the queue runs: the unit tasks by name (:func:`unit_tasks`), the periodic jobs
(:mod:`mediation.tasks.periodic`) and the worker processes (:mod:`mediation.tasks.worker`).

The services defer jobs by name through :mod:`mediation.queue` (the layer below them); this package, above
the documents and risk packages, maps the names to the code that runs them — in a worker on PostgreSQL, or
inline in the caller's session on SQLite (:func:`inline_handlers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from documents import handoff
from mediation.blobs import BlobStore, store_from_spec
from mediation.queue import DOCUMENTS_QUEUE, UnitHandler
from mediation.tasks.worker import UnitTask


def _settings_blobs() -> BlobStore:
    from mediation.runtime.settings import Settings

    settings = Settings.from_env()
    return store_from_spec(settings.blob_store, endpoint_url=settings.s3_endpoint_url)


def handoff_tasks(blobs: BlobStore | None = None) -> dict[str, UnitTask]:
    """Building a hand-off package (documents/handoff.py), with ``blobs`` (default: the settings' store)."""

    def build(session: Session, *, package_id: int, today: str | None = None, **_: Any) -> None:
        handoff.build_package(session, package_id=package_id, today=today,
                              blobs=blobs if blobs is not None else _settings_blobs())

    return {handoff.BUILD_TASK: UnitTask(build, queue=DOCUMENTS_QUEUE, on_failure=handoff.mark_failed)}


def unit_tasks(blobs: BlobStore | None = None) -> dict[str, UnitTask]:
    """Every unit task by name."""
    return {**handoff_tasks(blobs)}


def inline_handlers(tasks: Mapping[str, UnitTask] | None = None) -> dict[str, UnitHandler]:
    """The handlers an :class:`mediation.queue.InlineQueue` runs in the caller's session."""
    return {name: spec.handler for name, spec in (tasks if tasks is not None else unit_tasks()).items()}
