"""Generated official documents: immutable PDFs with their SHA-256, versioned per case and kind."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column, relationship

from mediation.blobs import BlobIntegrityError, BlobStore
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
        Index("ix_generated_documents_status_pending", "status", sqlite_where=text("status <> 'ready'"),
              postgresql_where=text("status <> 'ready'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    #: What the document is about within the case: "" (one per case), a session id, a served document id.
    subject: Mapped[str] = mapped_column(String(32), default="")
    version: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(128))
    #: Hash, size and pages of the PDF: set once, when it is rendered (``None`` while ``pending``).
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    #: ``ready`` (rendered and stored), ``pending`` (numbered, waiting for a worker), ``failed`` (every attempt
    #: failed: an alert for the supervisors; it can be rendered again, with the same number).
    status: Mapped[str] = mapped_column(String(16), default="ready", server_default="ready")
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
    rendered_at: Mapped[dt.datetime | None] = mapped_column()
    #: The PDF's key in the blob store (:mod:`mediation.blobs`); ``None`` for a document from before the store,
    #: whose bytes are still in ``content`` until ``mediation blobs migrate`` moves them out.
    blob_key: Mapped[str | None] = mapped_column(String(160))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
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


def read_content(doc: GeneratedDocument, blobs: BlobStore | None) -> bytes:
    """The document's PDF, verified against its recorded SHA-256 (from the blob store, or the row itself)."""
    if doc.blob_key is not None:
        if blobs is None:
            raise RuntimeError("this document's PDF is in the blob store, and no store is configured")
        return blobs.get(doc.blob_key, doc.sha256)
    if doc.content is None:
        raise BlobIntegrityError(f"document {doc.id} has neither a blob key nor content")
    if hashlib.sha256(doc.content).hexdigest() != doc.sha256:
        raise BlobIntegrityError(f"document {doc.id}: content does not match its SHA-256")
    return doc.content


@event.listens_for(GeneratedDocument, "before_update")
@event.listens_for(GeneratedDocument, "before_delete")
def _documents_are_immutable(_mapper: Mapper[Any], _conn: Any, target: GeneratedDocument) -> None:
    raise RuntimeError(f"generated documents are immutable (document {target.id})")


def move_content_to_store(session: Session, blobs: BlobStore, *, batch: int = 200) -> int:
    """Move every PDF still held in its row to ``blobs`` (verified, then the row keeps only the key), a batch
    per transaction; safe to run again or concurrently (a row already moved is skipped)."""
    from sqlalchemy import select, update

    table = GeneratedDocument.__table__
    moved = 0
    while True:
        rows = session.execute(select(table.c.id, table.c.sha256, table.c.content)
                               .where(table.c.blob_key.is_(None), table.c.content.is_not(None))
                               .order_by(table.c.id).limit(batch)).all()
        if not rows:
            return moved
        for row in rows:
            if hashlib.sha256(row.content).hexdigest() != row.sha256:
                raise BlobIntegrityError(f"document {row.id}: content does not match its SHA-256; not moved")
            ref = blobs.put(row.content)
            blobs.get(ref.key, row.sha256)  # read back before the row lets go of its copy
            # Core, not the ORM: the document is immutable, only where its bytes live changes
            moved += session.execute(update(table).where(table.c.id == row.id, table.c.blob_key.is_(None))
                                     .values(blob_key=ref.key, content=None)).rowcount or 0
        session.commit()


def verify_all(session: Session, blobs: BlobStore) -> tuple[int, list[str]]:
    """Read every document's PDF and check its hash: (how many, what failed)."""
    from sqlalchemy import select

    checked, bad = 0, []
    for doc in session.scalars(select(GeneratedDocument).order_by(GeneratedDocument.id)).yield_per(100):
        checked += 1
        try:
            read_content(doc, blobs)
        except Exception as exc:
            bad.append(f"{doc.id} {doc.number} v{doc.version}: {exc}")
    return checked, bad
