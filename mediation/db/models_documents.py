"""Generated official documents: immutable PDFs with their SHA-256, versioned per case and kind."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from mediation.db.base import Base, utcnow
from mediation.db.models import Case


class GeneratedDocument(Base):
    """One rendered PDF. Never updated or deleted: regenerating adds a new version."""

    __tablename__ = "generated_documents"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "subject", "version"),
        # A number is unique in the installation; a document's later versions keep its number.
        Index("uq_generated_documents_number", "number", unique=True, sqlite_where=text("version = 1"),
              postgresql_where=text("version = 1")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    #: What the document is about within the case: "" (one per case), a session id, a served document id.
    subject: Mapped[str] = mapped_column(String(32), default="")
    version: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    event_seq: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()


class DocumentNumberFormat(Base):
    """An organisation's numbering pattern for one document kind (fallback: the catalogue's default).

    Placeholders: ``{year}``, ``{prefix}`` (the organisation's short form), ``{n}``.
    """

    __tablename__ = "document_number_formats"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(48), primary_key=True)
    pattern: Mapped[str] = mapped_column(String(64))


@event.listens_for(GeneratedDocument, "before_update")
@event.listens_for(GeneratedDocument, "before_delete")
def _documents_are_immutable(_mapper: Mapper[Any], _conn: Any, target: GeneratedDocument) -> None:
    raise RuntimeError(f"generated documents are immutable (document {target.id})")
