"""Hand-off packages: the file a case sends to the arbitration commission (referral) or, for a signed mediation
agreement, to the commission or the court (joint request for arbitration review or judicial confirmation) — a ZIP
with its manifest and a merged PDF, both in the blob store — and where it was sent and what came back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db.base import Base, utcnow
from mediation.db.models import Case


class HandoffPackage(Base):
    __tablename__ = "handoff_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: ``referral`` | ``arbitration_review`` | ``judicial_confirmation``.
    kind: Mapped[str] = mapped_column(String(32))
    #: ``pending`` (waiting for its job) → ``ready`` | ``failed``.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str] = mapped_column(Text, default="")
    #: The last day of the statutory window (review: 15 days, confirmation: 30 days), when there is one.
    deadline_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Where the package is addressed (the arbitration commission or the court), as given by its maker.
    addressee: Mapped[str] = mapped_column(String(200), default="")
    zip_key: Mapped[str | None] = mapped_column(String(160))
    zip_sha256: Mapped[str | None] = mapped_column(String(64))
    zip_size: Mapped[int | None] = mapped_column(Integer)
    pdf_key: Mapped[str | None] = mapped_column(String(160))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    pdf_pages: Mapped[int | None] = mapped_column(Integer)
    #: The manifest written into the ZIP (files with SHA-256 and size, the case data).
    manifest: Mapped[dict[str, Any] | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    built_at: Mapped[dt.datetime | None] = mapped_column()
    # dispatch: to whom, how, when, tracking number
    dispatched_to: Mapped[str | None] = mapped_column(String(200))
    dispatch_method: Mapped[str | None] = mapped_column(String(32))
    dispatched_on: Mapped[dt.date | None] = mapped_column(Date)
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    dispatched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dispatched_at: Mapped[dt.datetime | None] = mapped_column()
    # outcome (review/confirmation): granted or refused, the 调解书 or ruling number and its date
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_number: Mapped[str | None] = mapped_column(String(64))
    outcome_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome_at: Mapped[dt.datetime | None] = mapped_column()

    case: Mapped[Case] = relationship()
