"""Deciding that a message is due, recording it, and delivering it.

**Recording** (:func:`record`): inside the unit of work that decided it (a transition's observer, the periodic
reminders), one :class:`NotificationMessage` row per recipient and channel, and a ``notify.deliver`` job
deferred in the same transaction: a rollback takes both away, a commit keeps both.

**Delivering** (:meth:`Notifier.deliver`, the job's handler): after the commit, in a worker (PostgreSQL) or
inline after the commit (SQLite). A delivery never raises: a failed attempt is recorded on the row (attempts,
reason) and the next one is due after a backoff (1, 2, 4, 8 minutes…); after :data:`MAX_ATTEMPTS` the row is
``failed`` and listed for the supervisors. So a failing SMTP server never blocks or undoes a transition.
A due row is picked up again by its re-deferred job (PostgreSQL, ``schedule_at``) and by the periodic
dispatcher (:func:`dispatch_due`, every periodic tick, on both databases).

**Quiet hours** (China time): a staff user's own window, a party's the installation's
(``MEDIATION_NOTIFY_QUIET``, default 22:00–08:00). An e-mail or SMS due inside the window waits until its
end; no occasion is urgent enough to override it (the statutory steps are counted in days, not hours, and
red alerts also reach the supervisors' in-app list and 今日督办 at once). In-app notices are never held back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mediation.db.models import Case, Organisation, Party, User
from mediation.db.models_documents import GeneratedDocument
from mediation.db.models_notify import NotificationMessage, NotificationPreference
from mediation.domain.clock import CHINA_TZ
from mediation.notify.channels import Attachment, Channels, DeliveryError
from mediation.notify.templates import render
from mediation.queue import DEFAULT_QUEUE, JobQueue

log = logging.getLogger("mediation.notify")

DELIVER_TASK = "notify.deliver"
#: Attempts before a message is marked failed, and the first backoff (doubled after each failure).
MAX_ATTEMPTS = 5
BACKOFF = dt.timedelta(minutes=1)
#: A message that carries a document waits this long for its render, then goes without it.
DOCUMENT_WAIT = dt.timedelta(hours=1)
#: The document an occasion sends with its e-mail, by kind.
DOCUMENT_OF_EVENT: dict[str, str] = {"agreement_signed": "mediation_agreement"}

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- quiet hours ----------------------------------------------------------------------------------------------


def parse_window(text: str) -> tuple[dt.time, dt.time] | None:
    """``"22:00-08:00"`` → the two times; empty → ``None`` (no quiet hours)."""
    if not text.strip():
        return None
    start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-", 1))
    return start, end


def quiet_until(at: dt.datetime, window: tuple[dt.time, dt.time] | None) -> dt.datetime | None:
    """The end of the quiet window ``at`` falls in (UTC), or ``None`` when ``at`` is outside it. A window may
    span midnight (22:00–08:00); a window whose ends are equal is empty."""
    if window is None:
        return None
    start, end = window
    if start == end:
        return None
    local = at.astimezone(CHINA_TZ)
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:
        inside = t >= start or t < end
        end_day = local.date() + dt.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return dt.datetime.combine(end_day, end, tzinfo=CHINA_TZ).astimezone(dt.UTC)


# --- recipients -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    kind: str  # "party" | "user"
    name: str
    user_id: int | None = None
    party_id: int | None = None
    #: channel → address ("" for in-app)
    channels: Mapping[str, str] = field(default_factory=dict)
    quiet: tuple[dt.time, dt.time] | None = None


def party_recipient(party: Party, quiet: tuple[dt.time, dt.time] | None) -> Recipient | None:
    if party.anonymised_at is not None:
        return None
    channels: dict[str, str] = {}
    if party.email:
        channels["email"] = party.email
    if party.phone:
        channels["sms"] = party.phone
    if not channels:
        return None
    return Recipient("party", party.name, party_id=party.id, channels=channels, quiet=quiet)


def user_recipient(session: Session, user: User) -> Recipient | None:
    if not user.active:
        return None
    pref = session.get(NotificationPreference, user.id)
    channels = {"inapp": ""}
    quiet = None
    if pref is not None:
        if pref.email_enabled and pref.email:
            channels["email"] = pref.email
        if pref.sms_enabled and user.phone:
            channels["sms"] = user.phone
        if pref.quiet_start is not None and pref.quiet_end is not None:
            quiet = (pref.quiet_start, pref.quiet_end)
    return Recipient("user", user.display_name, user_id=user.id, channels=channels, quiet=quiet)


def case_parties(case: Case, quiet: tuple[dt.time, dt.time] | None) -> list[Recipient]:
    """The parties told of their case: workers and employers and their representatives and agents, each with
    a phone or an e-mail address."""
    out = []
    for party in case.parties:
        r = party_recipient(party, quiet)
        if r is not None:
            out.append(r)
    return out


def supervisors_over(session: Session, organisation_id: int) -> list[User]:
    """Active supervisors of the organisation and of every organisation above it."""
    ids: list[int] = []
    org = session.get(Organisation, organisation_id)
    while org is not None:
        ids.append(org.id)
        org = session.get(Organisation, org.parent_id) if org.parent_id else None
    return list(session.scalars(select(User).where(User.organisation_id.in_(ids), User.role == "supervisor",
                                                   User.active.is_(True)).order_by(User.id)))


# --- recording ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notifier:
    """What the transitions' observer and the periodic reminders record messages with (the queue their
    delivery jobs go to, the parties' quiet hours, the clock)."""

    queue: JobQueue
    party_quiet: tuple[dt.time, dt.time] | None = (dt.time(22), dt.time(8))
    clock: Clock = utcnow

    def record(self, session: Session, *, event: str, recipients: Iterable[Recipient], fields: Mapping[str, Any],
               case_id: int | None = None, document_id: int | None = None, occasion: str | None = None
               ) -> list[NotificationMessage]:
        """One message per recipient and channel, and its delivery job, in ``session``'s transaction. With an
        ``occasion`` (a reminder), each recipient × channel gets it once ever (the unique ``dedup_key``; a
        concurrent run that got there first makes this one skip it)."""
        now = self.clock()
        out = []
        for r in recipients:
            subject, body = render(event, {**fields, "name": r.name})
            for channel, address in r.channels.items():
                held = None if channel == "inapp" else quiet_until(now, r.quiet)
                key = None
                if occasion is not None:
                    who = f"u{r.user_id}" if r.user_id is not None else f"p{r.party_id}"
                    key = f"{occasion}:{who}:{channel}"[:200]
                values = dict(case_id=case_id, event=event, channel=channel, recipient_kind=r.kind,
                              recipient_user_id=r.user_id, recipient_party_id=r.party_id,
                              recipient_name=r.name[:200], address=address, subject=subject[:200], body=body,
                              document_id=document_id, status="pending", attempts=0, not_before=held or now,
                              last_error="", dedup_key=key, created_at=now)
                message = self._insert(session, values)
                if message is None:
                    continue
                out.append(message)
                self.queue.defer(session, DELIVER_TASK, queue=DEFAULT_QUEUE, schedule_at=held,
                                 message_id=message.id)
        return out

    @staticmethod
    def _insert(session: Session, values: dict[str, Any]) -> NotificationMessage | None:
        if values["dedup_key"] is None:
            message = NotificationMessage(**values)
            session.add(message)
            session.flush()
            return message
        table = NotificationMessage.__table__
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"]) \
            .returning(table.c.id)
        new_id = session.execute(stmt).scalar()
        return session.get(NotificationMessage, new_id) if new_id is not None else None


# --- delivering -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deliverer:
    """Delivers one recorded message (the ``notify.deliver`` job) through the channels."""

    channels: Channels
    #: Where a message still due is deferred again (PostgreSQL); ``None`` leaves it to :func:`dispatch_due`.
    queue: JobQueue | None = None
    document_bytes: Callable[[GeneratedDocument], bytes] | None = None
    clock: Clock = utcnow
    max_attempts: int = MAX_ATTEMPTS
    backoff: dt.timedelta = BACKOFF

    def __call__(self, session: Session, *, message_id: int) -> str:
        return self.deliver(session, message_id=message_id)

    def deliver(self, session: Session, *, message_id: int) -> str:
        message = session.get(NotificationMessage, message_id, with_for_update=_lock(session))
        if message is None or message.status != "pending":
            return "nothing to do"
        now = self.clock()
        if message.not_before > now:
            return "not yet due"
        attachment: Attachment | None = None
        if message.channel == "email" and (doc := _document(session, message)) is not None:
            if doc.status == "pending" and now - message.created_at < DOCUMENT_WAIT:
                self._again(session, message, now + dt.timedelta(seconds=15))
                return "waiting for the document"
            if doc.status == "ready" and self.document_bytes is not None:
                try:
                    attachment = Attachment(f"{doc.title}（{doc.number}）.pdf", self.document_bytes(doc))
                except Exception as exc:  # the message goes without it; the reason is kept
                    message.last_error = f"附件读取失败：{exc}"[:2000]
        try:
            self.channels.get(message.channel).send(message, attachment)
        except Exception as exc:
            message.attempts += 1
            message.last_error = (str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}")[:2000]
            if message.attempts >= self.max_attempts:
                message.status = "failed"
                log.warning("notice %s failed for good: %s", message.id, message.last_error)
                return "failed"
            self._again(session, message, now + self.backoff * (2 ** (message.attempts - 1)))
            return "retry"
        message.attempts += 1
        message.status = "sent"
        message.sent_at = now
        return "sent"

    def _again(self, session: Session, message: NotificationMessage, at: dt.datetime) -> None:
        message.not_before = at
        if self.queue is not None and _lock(session):  # PostgreSQL: the job waits in the queue (schedule_at)
            self.queue.defer(session, DELIVER_TASK, schedule_at=at, message_id=message.id)


def _document(session: Session, message: NotificationMessage) -> GeneratedDocument | None:
    """The document the message carries: by id, or the case's latest of the occasion's kind."""
    if message.document_id is not None:
        return session.get(GeneratedDocument, message.document_id)
    kind = DOCUMENT_OF_EVENT.get(message.event)
    if kind is None or message.case_id is None:
        return None
    return session.scalars(select(GeneratedDocument).where(GeneratedDocument.case_id == message.case_id,
                                                           GeneratedDocument.kind == kind)
                           .order_by(GeneratedDocument.id.desc()).limit(1)).first()


def _lock(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def mark_failed(session: Session, exc: BaseException, *, message_id: int) -> None:
    """A delivery job that crashed outside :meth:`Deliverer.deliver`'s own handling: the message is failed."""
    message = session.get(NotificationMessage, message_id)
    if message is not None and message.status == "pending":
        message.status = "failed"
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]


def dispatch_due(session_factory: Callable[[], Session], deliverer: Deliverer, *, limit: int = 500) -> dict[str, int]:
    """Deliver every pending message now due (each in a transaction of its own): the catch-up of quiet hours
    and retries (and of jobs lost with a node)."""
    counts: dict[str, int] = {}
    now = deliverer.clock()
    with session_factory() as s:
        ids = list(s.scalars(select(NotificationMessage.id).where(NotificationMessage.status == "pending",
                                                                  NotificationMessage.not_before <= now)
                             .order_by(NotificationMessage.not_before).limit(limit)))
    for message_id in ids:
        with session_factory() as s:
            try:
                outcome = deliverer.deliver(s, message_id=message_id)
                s.commit()
            except Exception:
                s.rollback()
                log.exception("delivering notice %s", message_id)
                outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
