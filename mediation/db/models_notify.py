"""Notifications: every message the installation sends (the outbox, one row per recipient and channel), the
session appointments that parties are told of, and each staff user's choice of channels and quiet hours."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db.base import Base, utcnow


class NotificationMessage(Base):
    """One message to one recipient over one channel: recorded in the unit of work that decided it was due,
    delivered afterwards by a queued job (``pending`` → ``sent`` | ``failed``)."""

    __tablename__ = "notification_messages"
    __table_args__ = (
        Index("ix_notification_messages_status_due", "status", "not_before"),
        Index("ix_notification_messages_user_inbox", "recipient_user_id", "channel", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: The template key (``application_received``, ``session_scheduled``, ``instalment_due``…).
    event: Mapped[str] = mapped_column(String(48))
    #: ``email`` | ``sms`` | ``inapp``.
    channel: Mapped[str] = mapped_column(String(8))
    #: ``party`` | ``user``.
    recipient_kind: Mapped[str] = mapped_column(String(8))
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recipient_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id", ondelete="SET NULL"))
    recipient_name: Mapped[str] = mapped_column(String(200))
    #: E-mail address or phone number (empty for in-app notices).
    address: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: A generated document sent with the message (the signed agreement), by id.
    document_id: Mapped[int | None] = mapped_column(Integer)
    #: ``pending`` | ``sent`` | ``failed``.
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Not delivered before this instant (quiet hours, backoff after a failed attempt).
    not_before: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: One reminder per recipient, channel and occasion, however many workers run (unique).
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    read_at: Mapped[dt.datetime | None] = mapped_column()


class NotificationPreference(Base):
    """A staff user's channels (in-app always; e-mail and SMS optional) and quiet hours (China time)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_start: Mapped[dt.time | None] = mapped_column(Time)
    quiet_end: Mapped[dt.time | None] = mapped_column(Time)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SessionAppointment(Base):
    """A mediation session fixed ahead (the record of the session itself is :class:`MediationSession`): the
    parties are told when it is scheduled and reminded the day before."""

    __tablename__ = "session_appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column()
