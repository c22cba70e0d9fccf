"""Generating, listing, downloading and verifying official documents.

A generated document is numbered (per organisation, year and kind, gap-free: the counter row is
incremented inside the same transaction, so a rollback gives the number back), rendered, hashed
(SHA-256) and stored as an immutable row; generating the same document again adds a new *version*
that keeps the number; the case history records every generation (``document_generated``).

Transitions produce their documents through :class:`PdfProducer` (the document producer of the services'
environment, wired by :mod:`mediation.wiring` for the application factory and the CLI) inside the transition's own
unit of work: if rendering fails, the transition fails and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from documents.builders.common import BuildInput, mediator_name
from documents.catalogue import DocumentKind, get_kind
from documents.renderer import render_html, render_pdf
from mediation.blobs import BlobStore
from mediation.cases import service as case_service
from mediation.cases.numbering import next_number
from mediation.db.models import Case, CaseEvent, MediationSession
from mediation.db.models_access import PersonalDataAccess
from mediation.db.models_documents import DocumentNumberFormat, GeneratedDocument, read_content
from mediation.db.uow import unit_of_work
from mediation.domain.clock import china_today
from mediation.domain.errors import NotFound, PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor, can
from mediation.runtime.env import cached_calendar


def _number(session: Session, case: Case, kind: DocumentKind, today: dt.date, context: Mapping[str, Any]) -> str:
    org = case.organisation
    key = kind.number_key(context)
    fmt = session.get(DocumentNumberFormat, (org.id, key))
    pattern = fmt.pattern if fmt is not None else kind.pattern_for(context)
    n = next_number(session, organisation_id=org.id, year=today.year, kind=f"doc:{key}")
    return pattern.format(year=today.year, prefix=org.doc_prefix or org.short_name, n=n)


def _subject_for(session: Session, case: Case, kind: DocumentKind, params: Mapping[str, Any]) -> str:
    if kind.subject == "session":
        sid = params.get("session_id")
        if sid is None:
            sid = session.scalar(select(func.max(MediationSession.id)).where(MediationSession.case_id == case.id))
        return str(sid) if sid is not None else ""
    if kind.subject == "document":
        did = params.get("served_document_id")
        return str(did) if did is not None else ""
    return ""


def generate(
    session: Session,
    case: Case,
    kind_name: str,
    *,
    actor: Actor,
    params: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
    trigger: CaseEvent | None = None,
    blobs: BlobStore | None = None,
) -> GeneratedDocument:
    """Render and store one document (the caller holds the case row locked and commits). The PDF goes to
    ``blobs`` (the row keeps its hash, size and key); without a store, into the row itself."""
    kind = get_kind(kind_name)
    params = dict(params or {})
    today = today or china_today()
    subject = _subject_for(session, case, kind, params)
    b = BuildInput(session=session, case=case, params=params, today=today, calendar=cached_calendar(session),
                   actor_name=actor.name or mediator_name(session, actor.user_id), subject=subject)
    context = kind.builder(b)
    previous = session.execute(
        select(GeneratedDocument.version, GeneratedDocument.number)
        .where(GeneratedDocument.case_id == case.id, GeneratedDocument.kind == kind.kind,
               GeneratedDocument.subject == subject)
        .order_by(GeneratedDocument.version.desc()).limit(1)
    ).first()
    version = previous.version + 1 if previous else 1
    number = previous.number if previous else _number(session, case, kind, today, context)
    title = kind.title_for(context)
    context = {**context, "number": number}
    html = render_html(kind.template_for(context), context)
    snapshot = {"document": {"kind": kind.kind, "title": title, "number": number, "version": version,
                             "generated_on": today.isoformat(), "trigger_event_seq": trigger.seq if trigger else None},
                **{k: v for k, v in context.items() if k != "number"}}
    rendered = render_pdf(html, title=title, organisation=context["org"]["name"], case_number=case.number,
                          snapshot=snapshot)
    ref = blobs.put(rendered.pdf) if blobs is not None else None
    doc = GeneratedDocument(
        case_id=case.id, kind=kind.kind, subject=subject, version=version, number=number, title=title,
        sha256=hashlib.sha256(rendered.pdf).hexdigest(), size=len(rendered.pdf), pages=rendered.pages,
        content=None if ref else rendered.pdf, blob_key=ref.key if ref else None, snapshot=snapshot,
        event_seq=trigger.seq if trigger else None, created_by_id=actor.user_id,
    )
    session.add(doc)
    session.flush()
    case_service.append_side_event(
        session, case, event="document_generated", actor=actor,
        payload={"document_id": doc.id, "kind": kind.kind, "title": title, "number": number, "version": version,
                 "sha256": doc.sha256, **({"trigger_seq": trigger.seq} if trigger else {})},
    )
    return doc


class PdfProducer:
    """The :class:`mediation.runtime.hooks.DocumentProducer` that transitions call."""

    def __init__(self, blobs: BlobStore | None = None) -> None:
        self.blobs = blobs

    def produce(
        self, session: Session, case: Case, kind: str, *, actor: Actor, event: CaseEvent, today: dt.date
    ) -> Any:
        return generate(session, case, kind, actor=actor, today=today, trigger=event, blobs=self.blobs)


def default_producer(blobs: BlobStore | None = None) -> PdfProducer:
    return PdfProducer(blobs)


# --- use cases (own the transaction) -------------------------------------------------------------------


def list_documents(session: Session, *, actor: Actor, case_id: int) -> Sequence[GeneratedDocument]:
    case_service.get_case(session, case_id=case_id, actor=actor)
    stmt = (select(GeneratedDocument).options(defer(GeneratedDocument.content), defer(GeneratedDocument.snapshot))
            .where(GeneratedDocument.case_id == case_id)
            .order_by(GeneratedDocument.id))
    return session.scalars(stmt).all()


def generate_on_demand(
    session: Session, *, actor: Actor, case_id: int, kind: str, params: Mapping[str, Any] | None = None,
    today: dt.date | None = None, blobs: BlobStore | None = None,
) -> GeneratedDocument:
    with unit_of_work(session):
        case = case_service.get_case(session, case_id=case_id, actor=actor, for_update=True)
        if not can(actor, "act", case):
            raise PermissionDenied("您无权为该案件制作文书")
        doc = generate(session, case, kind, actor=actor, params=params, today=today, blobs=blobs)
        return doc


def get_document(session: Session, *, actor: Actor, case_id: int, document_id: int) -> GeneratedDocument:
    case = case_service.get_case(session, case_id=case_id, actor=actor)
    doc = session.get(GeneratedDocument, document_id, options=[defer(GeneratedDocument.content)])
    if doc is None or doc.case_id != case.id:
        raise NotFound(f"文书{document_id}不存在")
    return doc


def download(session: Session, *, actor: Actor, case_id: int, document_id: int, endpoint: str,
             blobs: BlobStore | None = None) -> tuple[GeneratedDocument, bytes]:
    """The PDF holds the parties' full particulars: only the roles that handle parties may download it,
    and every download is recorded as a read of personal data. The bytes are verified against the recorded
    SHA-256 before they are served."""
    with unit_of_work(session):
        case = case_service.get_case(session, case_id=case_id, actor=actor)
        doc = session.get(GeneratedDocument, document_id)
        if doc is None or doc.case_id != case.id:
            raise NotFound(f"文书{document_id}不存在")
        if not can(actor, "read_personal", case):
            raise PermissionDenied("文书含当事人身份证号码等个人信息，仅经办的登记员和调解员可以下载")
        if actor.user_id is not None:
            session.add(PersonalDataAccess(user_id=actor.user_id, case_id=case.id,
                                           fields=["document", doc.kind, doc.number], endpoint=endpoint))
        pdf = read_content(doc, blobs)
        return doc, pdf


def verify(session: Session, *, actor: Actor, case_id: int, document_id: int, data: bytes) -> dict[str, Any]:
    doc = get_document(session, actor=actor, case_id=case_id, document_id=document_id)
    digest = hashlib.sha256(data).hexdigest()
    return {"match": digest == doc.sha256, "sha256": digest, "expected_sha256": doc.sha256,
            "document_id": doc.id, "number": doc.number, "version": doc.version}


def check_generation_args(kind: str, params: Mapping[str, Any]) -> None:
    k = get_kind(kind)
    missing = [name for name, desc in k.inputs.items() if desc.startswith("*") and not params.get(name)]
    if missing:
        raise ValidationFailed("请补全文书所需的内容", errors={m: ["必填"] for m in missing})
