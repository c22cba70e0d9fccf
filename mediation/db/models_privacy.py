"""Personal information lifecycle (PIPL): retention policies as data, legal holds, and the privacy audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db.base import Base, utcnow


class RetentionPolicy(Base):
    """What happens to which data how long after a case is archived (closed): one row per kind of data.

    ``action`` is ``anonymise`` (the listed fields are overwritten, the rows kept for the statistics) or
    ``keep`` (kept as the archive rules require; nothing is purged, access is logged). ``fields`` lists the
    columns concerned (e.g. ``["name", "id_number", "phone", "address"]`` for parties)."""

    __tablename__ = "retention_policies"
    __table_args__ = (UniqueConstraint("subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``parties`` (the parties' particulars) or ``documents`` (generated official documents).
    subject: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    years_after_archive: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LegalHold(Base):
    """A case whose data must not be purged (litigation, an investigation, a complaint), until released."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[dt.datetime | None] = mapped_column()


class PrivacyAudit(Base):
    """Every purge (not a dry run), access-request export, legal hold and policy change: who, when, what."""

    __tablename__ = "privacy_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    #: The operator: a user name, or the command line's ``--operator``.
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    #: For an access request: SHA-256 of the identity number (the number itself is not repeated here).
    subject_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
