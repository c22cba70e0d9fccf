"""Notifications: e-mail (SMTP), SMS (a provider adapter) and in-app notices about cases, in Chinese.

- :mod:`~mediation.notify.templates`: one template per occasion;
- :mod:`~mediation.notify.channels`: the channels behind one interface, and their settings;
- :mod:`~mediation.notify.service`: recipients, quiet hours, recording (outbox row + queued delivery job in
  the caller's unit of work) and delivering (retries with backoff, then ``failed``);
- :mod:`~mediation.notify.observer`: what a case event makes due;
- :mod:`~mediation.notify.reminders`: what the periodic job finds due (deduplicated per recipient and occasion);
- :mod:`~mediation.notify.appointments`: sessions fixed ahead;
- :mod:`~mediation.notify.queries`: the inbox, the case's messages, the failed deliveries, preferences.

This package sits below ``documents`` and above ``mediation.risk`` (it reads alerts); the assembly
(:mod:`mediation.wiring`, :mod:`mediation.tasks`) builds its :class:`Notifier` and :class:`Deliverer`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from mediation.blobs import BlobStore
from mediation.db.models_documents import GeneratedDocument
from mediation.notify.channels import NotifySettings, channels_from_settings
from mediation.notify.reminders import run_reminders
from mediation.notify.service import (
    DELIVER_TASK,
    Deliverer,
    Notifier,
    dispatch_due,
    mark_failed,
    parse_window,
    utcnow,
)
from mediation.queue import FailureHandler, JobQueue, UnitHandler


def notifier_for(settings: NotifySettings, queue: JobQueue,
                 clock: Callable[[], dt.datetime] = utcnow) -> Notifier:
    return Notifier(queue=queue, party_quiet=parse_window(settings.party_quiet), clock=clock)


def deliverer_for(settings: NotifySettings, *, blobs: BlobStore | None = None, queue: JobQueue | None = None,
                  clock: Callable[[], dt.datetime] = utcnow) -> Deliverer:
    def document_bytes(doc: GeneratedDocument) -> bytes:
        if doc.blob_key and doc.sha256 and blobs is not None:
            return blobs.get(doc.blob_key, doc.sha256)
        raise LookupError("文书文件不在文件库中")

    return Deliverer(channels=channels_from_settings(settings), queue=queue, document_bytes=document_bytes,
                     clock=clock)


def delivery_handlers(deliverer: Deliverer) -> tuple[dict[str, UnitHandler], dict[str, FailureHandler]]:
    return {DELIVER_TASK: deliverer}, {DELIVER_TASK: mark_failed}


def notify_job(session_factory: Callable[[], Session], notifier: Notifier, deliverer: Deliverer) -> str:
    """The periodic part: record the reminders now due (one unit of work; their delivery jobs go with it),
    then deliver every pending message whose time has come (quiet hours over, backoff elapsed)."""
    from mediation.db.uow import unit_of_work

    with session_factory() as s, unit_of_work(s):
        counts = run_reminders(s, notifier)
    delivered = dispatch_due(session_factory, deliverer)
    made = "、".join(f"{k}×{v}" for k, v in sorted(counts.items())) or "无"
    sent = "、".join(f"{k}×{v}" for k, v in sorted(delivered.items())) or "无"
    return f"新提醒：{made}；投递：{sent}"


__all__ = ["DELIVER_TASK", "Deliverer", "Notifier", "NotifySettings", "deliverer_for", "delivery_handlers",
           "dispatch_due", "notifier_for", "notify_job", "run_reminders"]
