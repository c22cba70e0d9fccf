"""Generating, listing, downloading and verifying official documents.

A generated document is numbered (per organisation, year and kind, gap-free: the counter row is
incremented inside the same transaction, so a rollback gives the number back), rendered, hashed
(SHA-256) and stored as an immutable row; generating the same document again adds a new *version*
that keeps the number; the case history records every generation (``document_generated``).

Transitions produce their documents through :class:`PdfProducer` (the document producer of the services'
environment, wired by :mod:`mediation.wiring` for the application factory and the CLI). With a blob store and a
queue, rendering is **off the request**: the transition's unit of work allocates the number (gap-free: the
counter is part of the transition's transaction) and stores the snapshot as a ``pending`` document, and defers a
``documents.render`` job in the same transaction; the job (:func:`render_document`, a worker on PostgreSQL,
inline after the commit on SQLite) renders the PDF from the snapshot, puts it in the blob store and records
``document_generated``. Retried with backoff; when every attempt failed the document is ``failed``
(:func:`render_failed`: the supervisors' today list shows it) and a mediator or supervisor renders it again
(:func:`rerender`), with the same number. A killed worker's job is retried; the document becomes ready once.

Without a blob store (tests of the documents' text, tools) the document is rendered in the caller's
transaction, its bytes in the row, as before the queue.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, defer

from documents.builders.common import BuildInput, mediator_name
from documents.catalogue import DocumentKind, get_kind
from documents.renderer import render_html, render_pdf
from mediation.accounts.users import actor_for
from mediation.blobs import BlobStore
from mediation.cases import service as case_service
from mediation.cases.numbering import next_number
from mediation.db.models import Case, CaseEvent, MediationSession, User
from mediation.db.models_access import PersonalDataAccess
from mediation.db.models_documents import DocumentNumberFormat, GeneratedDocument, read_content
from mediation.db.uow import unit_of_work
from mediation.domain.clock import china_today
from mediation.domain.enums import Role
from mediation.domain.errors import DocumentNotReady, NotFound, PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor, can
from mediation.queue import DOCUMENTS_QUEUE, InlineQueue, JobQueue
from mediation.runtime.env import cached_calendar
from mediation.runtime.metrics import DOCUMENT_RENDER_SECONDS, DOCUMENT_RENDERS

log = logging.getLogger("mediation.documents")

#: The queue's name of the render job (:func:`render_document`).
RENDER_TASK = "documents.render"
_DOCS = GeneratedDocument.__table__


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
    queue: JobQueue | None = None,
) -> GeneratedDocument:
    """Number one document and store its snapshot (the caller holds the case row locked and commits). With a
    store and a queue the document is ``pending`` and the render job is deferred in the caller's transaction;
    otherwise it is rendered now (the PDF in ``blobs``, or in the row without a store)."""
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
    snapshot = {"document": {"kind": kind.kind, "title": title, "number": number, "version": version,
                             "generated_on": today.isoformat(), "trigger_event_seq": trigger.seq if trigger else None},
                **context}
    if blobs is not None and queue is not None:  # numbered now, rendered by the job after the commit
        doc = GeneratedDocument(
            case_id=case.id, kind=kind.kind, subject=subject, version=version, number=number, title=title,
            status="pending", snapshot=snapshot, event_seq=trigger.seq if trigger else None,
            created_by_id=actor.user_id,
        )
        session.add(doc)
        session.flush()
        queue.defer(session, RENDER_TASK, queue=DOCUMENTS_QUEUE, document_id=doc.id)
        return doc
    rendered = _render(kind, snapshot, case.number)
    ref = blobs.put(rendered.pdf) if blobs is not None else None
    doc = GeneratedDocument(
        case_id=case.id, kind=kind.kind, subject=subject, version=version, number=number, title=title,
        sha256=hashlib.sha256(rendered.pdf).hexdigest(), size=len(rendered.pdf), pages=rendered.pages,
        content=None if ref else rendered.pdf, blob_key=ref.key if ref else None, snapshot=snapshot,
        event_seq=trigger.seq if trigger else None, created_by_id=actor.user_id,
        rendered_at=dt.datetime.now(dt.UTC),
    )
    session.add(doc)
    session.flush()
    _record_generated(session, case, actor, doc.id, kind.kind, title, number, version, doc.sha256 or "",
                      trigger.seq if trigger else None)
    return doc


def _render(kind: DocumentKind, snapshot: Mapping[str, Any], case_number: str) -> Any:
    """The PDF of a document from its snapshot (the builder's context, the number and title)."""
    meta = snapshot["document"]
    context = {**{k: v for k, v in snapshot.items() if k != "document"}, "number": meta["number"]}
    html = render_html(kind.template_for(context), context)
    return render_pdf(html, title=meta["title"], organisation=context["org"]["name"], case_number=case_number,
                      snapshot=snapshot)


def _record_generated(session: Session, case: Case, actor: Actor, document_id: int, kind: str, title: str,
                      number: str, version: int, sha256: str, trigger_seq: int | None) -> None:
    case_service.append_side_event(
        session, case, event="document_generated", actor=actor,
        payload={"document_id": document_id, "kind": kind, "title": title, "number": number, "version": version,
                 "sha256": sha256, **({"trigger_seq": trigger_seq} if trigger_seq is not None else {})},
    )


# --- the render job --------------------------------------------------------------------------------------


def render_document(session: Session, *, document_id: int, blobs: BlobStore) -> str:
    """The ``documents.render`` job: render a pending (or failed) document from its snapshot, put the PDF in
    ``blobs``, mark it ready and record ``document_generated`` — in the caller's transaction (the runner commits).
    Safe to run again: a document already ready is left alone (its number and event exist once); a render that
    lost a race to another worker writes nothing (the PDF it put in the store is the same content key or an
    unreferenced file)."""
    row = session.execute(select(_DOCS.c.id, _DOCS.c.case_id, _DOCS.c.kind, _DOCS.c.status, _DOCS.c.snapshot)
                          .where(_DOCS.c.id == document_id)).one_or_none()
    if row is None:
        return f"文书{document_id}不存在（所在事务已撤销）"
    if row.status == "ready":
        return f"文书{document_id}已生成"
    case_number = session.scalar(select(Case.number).where(Case.id == row.case_id)) or ""
    started = time.perf_counter()
    rendered = _render(get_kind(row.kind), row.snapshot, case_number)  # no lock held while rendering
    ref = blobs.put(rendered.pdf)
    DOCUMENT_RENDER_SECONDS.observe(time.perf_counter() - started)
    digest = hashlib.sha256(rendered.pdf).hexdigest()
    # the case row first, as every writer of a case does; then the document, checked again under the lock
    case = session.scalars(select(Case).where(Case.id == row.case_id).with_for_update()
                           .execution_options(populate_existing=True)).one()
    done = session.execute(
        update(_DOCS).where(_DOCS.c.id == document_id, _DOCS.c.status != "ready")
        .values(status="ready", sha256=digest, size=len(rendered.pdf), pages=rendered.pages, blob_key=ref.key,
                rendered_at=dt.datetime.now(dt.UTC), error="")).rowcount
    if not done:
        return f"文书{document_id}已由其他进程生成"
    doc = session.execute(select(_DOCS.c.title, _DOCS.c.number, _DOCS.c.version, _DOCS.c.created_by_id,
                                 _DOCS.c.event_seq).where(_DOCS.c.id == document_id)).one()
    creator = session.get(User, doc.created_by_id) if doc.created_by_id is not None else None
    actor = actor_for(creator) if creator is not None else Actor.system()
    _record_generated(session, case, actor, document_id, row.kind, doc.title, doc.number, doc.version, digest,
                      doc.event_seq)
    DOCUMENT_RENDERS.labels(row.kind, "ready").inc()
    return f"{doc.title}{doc.number}已生成（{rendered.pages}页）"


def render_failed(session: Session, exc: BaseException, *, document_id: int, **_: Any) -> None:
    """Every attempt failed: the document is ``failed`` with the reason (the supervisors' today list shows it;
    a mediator or supervisor renders it again). Its number stays allocated to it."""
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    kind = session.execute(update(_DOCS).where(_DOCS.c.id == document_id, _DOCS.c.status == "pending")
                           .values(status="failed", error=reason).returning(_DOCS.c.kind)).scalar()
    DOCUMENT_RENDERS.labels(kind or "", "failed").inc()
    log.error("document %s failed to render: %s", document_id, reason)


def render_handlers(blobs: BlobStore) -> tuple[dict[str, Any], dict[str, Any]]:
    """``({task: handler}, {task: on_failure})`` of the documents' jobs, bound to ``blobs``."""
    return ({RENDER_TASK: functools.partial(render_document, blobs=blobs)}, {RENDER_TASK: render_failed})


def failed_documents(session: Session, *, actor: Actor, limit: int = 200) -> list[tuple[GeneratedDocument, Case]]:
    """Documents whose every render failed, in the actor's scope (newest first): the supervisors' alert."""
    from sqlalchemy.orm import joinedload

    from mediation.cases.queries import scope_clause

    rows = session.execute(
        select(GeneratedDocument, Case).join(Case, Case.id == GeneratedDocument.case_id)
        .where(GeneratedDocument.status == "failed", scope_clause(actor))
        .options(defer(GeneratedDocument.content), defer(GeneratedDocument.snapshot), joinedload(Case.organisation))
        .order_by(GeneratedDocument.id.desc()).limit(limit)).all()
    return [(d, c) for d, c in rows]


def rerender(session: Session, *, actor: Actor, case_id: int, document_id: int, queue: JobQueue | None,
             blobs: BlobStore | None) -> GeneratedDocument:
    """Render a failed document again (a mediator or a supervisor of the case): it becomes ``pending`` and a new
    job is queued; number, version and snapshot stay what they were."""
    with unit_of_work(session):
        case = case_service.get_case(session, case_id=case_id, actor=actor, for_update=True)
        if actor.role not in (Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN) or not can(actor, "act", case):
            raise PermissionDenied("只有调解员或督导人员可以重新生成文书")
        doc = session.get(GeneratedDocument, document_id, options=[defer(GeneratedDocument.content)])
        if doc is None or doc.case_id != case.id:
            raise NotFound(f"文书{document_id}不存在")
        if doc.status != "failed":
            raise DocumentNotReady("文书已生成，无需重新生成" if doc.status == "ready"
                                   else "该文书正在生成，请稍候", document_status=doc.status)
        if blobs is None or queue is None:
            raise DocumentNotReady("未配置文件存储，无法重新生成文书")
        session.execute(update(_DOCS).where(_DOCS.c.id == doc.id, _DOCS.c.status == "failed")
                        .values(status="pending", error=""))
        queue.defer(session, RENDER_TASK, queue=DOCUMENTS_QUEUE, document_id=doc.id)
    session.refresh(doc)
    return doc


class PdfProducer:
    """The :class:`mediation.runtime.hooks.DocumentProducer` that transitions call. With a blob store, documents
    are rendered by the ``documents.render`` job on ``queue`` (default: inline after the commit); without one, in
    the transaction."""

    def __init__(self, blobs: BlobStore | None = None, queue: JobQueue | None = None) -> None:
        self.blobs = blobs
        if queue is None and blobs is not None:
            queue = InlineQueue(*render_handlers(blobs))
        self.queue = queue

    def produce(
        self, session: Session, case: Case, kind: str, *, actor: Actor, event: CaseEvent, today: dt.date
    ) -> Any:
        return generate(session, case, kind, actor=actor, today=today, trigger=event, blobs=self.blobs,
                        queue=self.queue)


def default_producer(blobs: BlobStore | None = None, queue: JobQueue | None = None) -> PdfProducer:
    return PdfProducer(blobs, queue)


# --- use cases (own the transaction) -------------------------------------------------------------------


def list_documents(session: Session, *, actor: Actor, case_id: int) -> Sequence[GeneratedDocument]:
    case_service.get_case(session, case_id=case_id, actor=actor)
    stmt = (select(GeneratedDocument).options(defer(GeneratedDocument.content), defer(GeneratedDocument.snapshot))
            .where(GeneratedDocument.case_id == case_id)
            .order_by(GeneratedDocument.id))
    return session.scalars(stmt).all()


def generate_on_demand(
    session: Session, *, actor: Actor, case_id: int, kind: str, params: Mapping[str, Any] | None = None,
    today: dt.date | None = None, blobs: BlobStore | None = None, queue: JobQueue | None = None,
) -> GeneratedDocument:
    """Generate a document now (numbered in this unit; rendered by the job after the commit when a queue is
    given: on SQLite it is ready when this returns, on PostgreSQL it may still be pending)."""
    with unit_of_work(session):
        case = case_service.get_case(session, case_id=case_id, actor=actor, for_update=True)
        if not can(actor, "act", case):
            raise PermissionDenied("您无权为该案件制作文书")
        doc = generate(session, case, kind, actor=actor, params=params, today=today, blobs=blobs, queue=queue)
    session.refresh(doc)  # the job run after the commit (inline) may have rendered it
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
        if doc.status != "ready":
            raise DocumentNotReady("文书仍在生成中，请稍后再下载" if doc.status == "pending"
                                   else "文书生成失败，请重新生成后再下载", document_status=doc.status)
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
