"""The assembly: the one place that decides what a unit of work runs with.

The application factory (:func:`api.app.create_app`) and the command line (:mod:`mediation.cli`) both call
:func:`env_factory` once and pass what it returns down to the services (``env=factory(session)``); the tests
build their own environment in a fixture (``tests/fixtures.py``). What is decided here:

- the observers of every case event: :func:`mediation.risk.observer.risk_observer` (risk facts, rollups,
  levels and alerts, kept in the event's own transaction);
- the document producer transitions render their documents with (:class:`documents.service.PdfProducer`),
  unless the settings turn it off (``MEDIATION_DOCUMENTS_ON_TRANSITION=0``, e.g. for a bulk migration), and the
  queue its render jobs go to: procrastinate on PostgreSQL (``mediation worker`` renders), inline after the
  commit on SQLite or when asked (``inline=True``: tests, tools that need the PDF at once);
- who folds the risk deltas of the application's sessions (:func:`session_info`): the workers on PostgreSQL,
  the session itself after its commit otherwise;
- the notifications (:mod:`mediation.notify`): the observer that records the messages a case event makes due
  (outbox row and delivery job in the event's unit of work), their delivery jobs on the same queue, with the
  channels the settings name (``MEDIATION_SMTP_*``, ``MEDIATION_SMS_*``);
- the clock: "today" for the law is the date in China (:func:`mediation.domain.clock.china_today`);
- the deadline rules (the statutory defaults).

This package sits in its own layer between ``api | mediation.cli`` and ``documents`` (pyproject's
import-linter contract): it may import everything it wires, and nothing but the two entry points imports it.
"""

from __future__ import annotations

from typing import Any

from documents.handoff import handoff_handlers
from documents.service import PdfProducer, render_handlers
from mediation.blobs import BlobStore, store_from_spec
from mediation.domain.clock import china_today
from mediation.notify import NotifySettings, deliverer_for, delivery_handlers, notifier_for
from mediation.notify.observer import NotificationObserver
from mediation.queue import InlineQueue, JobQueue, PostgresQueue
from mediation.risk.facts import FOLD_BY_WORKER
from mediation.risk.observer import risk_observer
from mediation.runtime.env import EnvFactory
from mediation.runtime.hooks import Observer
from mediation.runtime.settings import Settings

#: Every case event is observed by these, in this order, inside its unit of work.
OBSERVERS: tuple[Observer, ...] = (risk_observer,)


def by_workers(settings: Settings, *, inline: bool = False) -> bool:
    """Do the queue's workers run the jobs (render, fold)? On PostgreSQL, unless ``inline``."""
    return settings.database_url.startswith("postgresql") and not inline


def session_info(settings: Settings, *, inline: bool = False) -> dict[str, Any]:
    """What the sessions of a process carry: on PostgreSQL the risk deltas are folded by the workers."""
    return {FOLD_BY_WORKER: True} if by_workers(settings, inline=inline) else {}


def job_queue(settings: Settings, blobs: BlobStore, *, inline: bool = False,
              notify: NotifySettings | None = None) -> JobQueue:
    """Where the documents' render, the hand-off packages' build and the notifications' delivery jobs go:
    procrastinate, or inline after the commit (a message still due later is then delivered by the periodic
    dispatcher)."""
    if by_workers(settings, inline=inline):
        return PostgresQueue()
    (render, render_failed), (build, build_failed) = render_handlers(blobs), handoff_handlers(blobs)
    deliver, deliver_failed = delivery_handlers(deliverer_for(notify or NotifySettings.from_env(), blobs=blobs))
    return InlineQueue({**render, **build, **deliver}, {**render_failed, **build_failed, **deliver_failed})


def env_factory(settings: Settings, *, documents: bool | None = None, blobs: BlobStore | None = None,
                inline: bool = False, notify: NotifySettings | None = None) -> EnvFactory:
    """The environment factory of a process: ``documents`` overrides the settings' choice of producing the
    documents of a transition (``None``: as the settings say); the documents' files go to ``blobs`` (default:
    the store the settings name); ``inline`` renders them after the commit even on PostgreSQL."""
    produce = settings.documents_on_transition if documents is None else documents
    if blobs is None:
        blobs = store_from_spec(settings.blob_store, endpoint_url=settings.s3_endpoint_url)
    notify = notify or NotifySettings.from_env()
    queue = job_queue(settings, blobs, inline=inline, notify=notify)
    producer = PdfProducer(blobs, queue) if produce else None
    observers = (*OBSERVERS, NotificationObserver(notifier_for(notify, queue)))
    return EnvFactory(observers=observers, documents=producer, today=china_today)


__all__ = ["OBSERVERS", "by_workers", "env_factory", "job_queue", "session_info"]
