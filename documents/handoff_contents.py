"""What a hand-off package holds: the case's documents chosen for the package (generated where missing),
the inventory, the case data of the manifest, the evidence list and the identity papers, assembled into the
ZIP and the merged PDF."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents.builders.common import (
    BuildInput,
    arbitration_committee_name,
    date_cn,
    label_of,
    mediator_name,
)
from documents.renderer import render_html, render_pdf
from documents.service import generate
from mediation.blobs import BlobStore
from mediation.cases import service as case_service
from mediation.db.models import Case
from mediation.db.models_documents import GeneratedDocument, read_content
from mediation.db.models_handoff import HandoffPackage
from mediation.domain import legal_basis as lb
from mediation.domain.deadline_rules import DeadlineKind
from mediation.domain.enums import ClaimType, DisputeCategory, Gender, ObligationStatus, PartyRole
from mediation.domain.errors import DomainError
from mediation.domain.policy import Actor
from mediation.runtime.env import cached_calendar
from workflows.definitions import get_definition

MANIFEST_FORMAT = "labour-mediation-handoff/1"

KIND_LABELS: dict[str, str] = {
    "referral": "申请仲裁材料",
    "arbitration_review": "仲裁审查申请材料",
    "judicial_confirmation": "司法确认申请材料",
}
REVIEW_KINDS = ("arbitration_review", "judicial_confirmation")
WINDOW_KIND = {"arbitration_review": DeadlineKind.ARBITRATION_REVIEW,
               "judicial_confirmation": DeadlineKind.JUDICIAL_CONFIRMATION}
WINDOW_BASIS = {
    "arbitration_review": f"自调解协议生效之日起15日内共同申请（{lb.ARBITRATION_REVIEW.full}）",
    "judicial_confirmation": "自调解协议生效之日起30日内共同申请（《中华人民共和国民事诉讼法》第二百零五条；"
                             "人民调解委员会另见《中华人民共和国人民调解法》第三十三条）",
}


@dataclass
class _File:
    name: str
    data: bytes
    title: str
    media_type: str = "application/pdf"
    document: GeneratedDocument | None = None
    pages: int | None = None


def _latest(session: Session, case: Case, kind: str, subject: str = "") -> GeneratedDocument | None:
    return session.scalars(
        select(GeneratedDocument)
        .where(GeneratedDocument.case_id == case.id, GeneratedDocument.kind == kind,
               GeneratedDocument.subject == subject, GeneratedDocument.status == "ready")
        .order_by(GeneratedDocument.version.desc()).limit(1)).first()


def _document(session: Session, case: Case, kind: str, *, actor: Actor, today: dt.date, blobs: BlobStore,
              params: Mapping[str, Any] | None = None, subject: str = "", fresh: bool = False,
              skipped: list[dict[str, str]]) -> GeneratedDocument | None:
    """The case's stored document of ``kind`` (its latest version), or a new one when the catalogue allows it
    (``fresh``: always a new version, e.g. the referral letter naming this package's addressee)."""
    doc = None if fresh else _latest(session, case, kind, subject)
    if doc is not None:
        return doc
    try:
        with session.begin_nested():
            return generate(session, case, kind, actor=actor, params=params, today=today, blobs=blobs)
    except DomainError as exc:
        skipped.append({"kind": kind, "reason": exc.detail})
        return None


def _wanted(session: Session, case: Case, pkg: HandoffPackage, *, actor: Actor, today: dt.date, blobs: BlobStore,
            skipped: list[dict[str, str]]) -> list[GeneratedDocument]:
    docs: list[GeneratedDocument | None] = []

    def add(kind: str, **kw: Any) -> None:
        docs.append(_document(session, case, kind, actor=actor, today=today, blobs=blobs, skipped=skipped, **kw))

    agreement = case.current_agreement
    if pkg.kind == "referral":
        committee = pkg.addressee or None
        add("referral_letter", params={"arbitration_committee": committee} if committee else None,
            fresh=committee is not None)
        add("application")
        if case.accepted_on is not None:
            add("acceptance_notice")
        for s in case.sessions:
            add("session_record", params={"session_id": s.id}, subject=str(s.id))
        if agreement is not None:
            add("mediation_agreement")
        if case.end_reason not in (None, "non_performance") or case.status in ("lapsed", "terminated"):
            add("termination_certificate")
    else:
        add("review_application", params={"review_kind": pkg.kind, "addressee": pkg.addressee or None},
            fresh=True)
        add("mediation_agreement")
    return [d for d in docs if d is not None]


def build_files(session: Session, pkg: HandoffPackage, case: Case, *, actor: Actor, today: dt.date,
           blobs: BlobStore) -> None:
    from pypdf import PdfReader, PdfWriter

    skipped: list[dict[str, str]] = []
    docs = _wanted(session, case, pkg, actor=actor, today=today, blobs=blobs, skipped=skipped)
    files = [_File(f"{i + 2:02d}-{d.title}-{d.number}-v{d.version}.pdf".replace("/", "-"), read_content(d, blobs),
                   d.title, document=d, pages=d.pages) for i, d in enumerate(docs)]
    data = case_data(session, case)
    evidence = evidence_list(session, case, docs)
    identity = identity_papers(case) if pkg.kind in REVIEW_KINDS else []
    inventory = _inventory(session, case, pkg, files, evidence, identity, data, today)
    files.insert(0, _File("01-移交材料清单.pdf", inventory.pdf, "移交材料清单", pages=inventory.pages))

    writer = PdfWriter()
    for f in files:
        writer.append(PdfReader(io.BytesIO(f.data)), outline_item=f.title)
    writer.add_metadata({"/Title": f"{case.number} {KIND_LABELS[pkg.kind]}"})
    merged_buf = io.BytesIO()
    writer.write(merged_buf)
    merged = merged_buf.getvalue()
    merged_pages = len(writer.pages)

    all_files = [*files, _File("合并打印版.pdf", merged, "合并打印版（全部材料）", pages=merged_pages)]
    deadline = ({"date": pkg.deadline_on.isoformat(), "basis": WINDOW_BASIS.get(pkg.kind, "")}
                if pkg.deadline_on else None)
    manifest = {
        "format": MANIFEST_FORMAT,
        "package": {"id": pkg.id, "kind": pkg.kind, "label": KIND_LABELS[pkg.kind], "addressee": pkg.addressee,
                    "built_on": today.isoformat(), "built_by": actor.name or mediator_name(session, actor.user_id),
                    "deadline": deadline},
        "case": data,
        "files": [
            {"name": f.name, "title": f.title, "sha256": hashlib.sha256(f.data).hexdigest(), "size": len(f.data),
             "media_type": f.media_type, "pages": f.pages,
             **({"document": {"id": f.document.id, "kind": f.document.kind, "number": f.document.number,
                              "version": f.document.version}} if f.document is not None else {})}
            for f in all_files
        ],
        "evidence": evidence,
        "identity_papers": identity,
        "not_included": skipped,
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    zbuf = io.BytesIO()
    stamp = (today.year, today.month, today.day, 0, 0, 0)
    with zipfile.ZipFile(zbuf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, payload in [("manifest.json", manifest_bytes), *((f.name, f.data) for f in all_files)]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, payload)
    zip_bytes = zbuf.getvalue()
    zref, pref = blobs.put(zip_bytes), blobs.put(merged)
    pkg.zip_key, pkg.zip_sha256, pkg.zip_size = zref.key, zref.sha256, zref.size
    pkg.pdf_key, pkg.pdf_sha256, pkg.pdf_size, pkg.pdf_pages = pref.key, pref.sha256, pref.size, merged_pages
    pkg.manifest = json.loads(manifest_bytes)
    pkg.status, pkg.error = "ready", ""
    pkg.built_at = dt.datetime.now(dt.UTC)
    case_service.append_side_event(
        session, case, event="handoff_built", actor=actor,
        payload={"package_id": pkg.id, "kind": pkg.kind, "zip_sha256": pkg.zip_sha256, "pdf_sha256": pkg.pdf_sha256,
                 "files": len(all_files)})


# --- the data the receiving body reads ------------------------------------------------------------------


def _party(p: Any) -> dict[str, Any]:
    return {"id": p.id, "role": p.role, "role_label": label_of(PartyRole, p.role), "name": p.name,
            "gender": label_of(Gender, p.gender), "birth_date": p.birth_date, "id_number": p.id_number,
            "phone": p.phone, "address": p.address, "job_title": p.job_title, "hired_on": p.hired_on,
            "uscc": p.uscc, "legal_representative": p.legal_representative, "represents_id": p.represents_id,
            "agent_kind": p.agent_kind}


def case_data(session: Session, case: Case) -> dict[str, Any]:
    """The case as the arbitration commission or the court reads it: particulars in full (lawful recipients)."""
    agreement = case.current_agreement
    deadlines = [{"kind": d.kind, "due_on": d.due_on, "status": d.status} for d in case.deadlines
                 if d.kind in (DeadlineKind.LIMITATION, DeadlineKind.ARBITRATION_RIGHT, DeadlineKind.ARBITRATION_REVIEW,
                               DeadlineKind.JUDICIAL_CONFIRMATION)]
    return {
        "number": case.number, "title": case.title, "category": case.category,
        "category_label": label_of(DisputeCategory, case.category),
        "organisation": {"name": case.organisation.name, "id": case.organisation_id},
        "status": case.status, "status_label": get_definition(case.workflow_version).state(case.status).label,
        "workflow_version": case.workflow_version,
        "received_on": case.received_on, "accepted_on": case.accepted_on, "agreed_on": case.agreed_on,
        "ended_on": case.ended_on, "end_reason": case.end_reason, "dispute_arose_on": case.dispute_arose_on,
        "workers_count": case.workers_count, "is_collective": case.is_collective,
        "mediator": mediator_name(session, case.lead_mediator_id) if case.lead_mediator_id else "",
        "facts": case.facts, "requests": case.requests,
        "claims": [{"type": c.claim_type, "label": label_of(ClaimType, c.claim_type), "description": c.description,
                    "amount": str(c.amount) if c.amount is not None else None} for c in case.claims],
        "parties": [_party(p) for p in case.parties],
        "agreement": None if agreement is None else {
            "kind": agreement.kind, "signed_on": agreement.signed_on, "terms": agreement.terms,
            "total_amount": str(agreement.total_amount), "review_kind": agreement.review_kind,
            "review_requested_on": agreement.review_requested_on,
            "obligations": [
                {"description": o.description, "obligor": o.obligor, "claim_type": o.claim_type,
                 "amount": str(o.amount), "due_on": o.due_on, "status": o.status,
                 "status_label": label_of(ObligationStatus, o.status),
                 "performed_amount": str(o.performed_amount or 0),
                 "records": [{"performed_on": r.performed_on, "amount": str(r.amount), "proof": r.proof}
                             for r in o.records]}
                for o in agreement.obligations],
        },
        "deadlines": deadlines,
    }


def evidence_list(session: Session, case: Case, docs: Sequence[GeneratedDocument]) -> list[dict[str, Any]]:
    """证据材料清单: what the case's records hold, one row each — the documents in the package, each session's
    record, each payment with its proof, and the claims with their amounts."""
    rows: list[dict[str, Any]] = []
    for d in docs:
        rows.append({"kind": "document", "name": d.title, "detail": f"{d.number}（第{d.version}版）",
                     "date": d.created_at.date().isoformat() if d.created_at else "", "source": "调解组织制作"})
    for s in case.sessions:
        rows.append({"kind": "session", "name": "调解会议记录",
                     "detail": f"{s.place}；出席：{'、'.join(str(a) for a in (s.attendees or []))}"
                               f"{'；全体签名' if s.signed_by_all else ''}",
                     "date": s.started_at.date().isoformat(), "source": "调解组织记录"})
    agreement = case.current_agreement
    if agreement is not None:
        for o in agreement.obligations:
            for r in o.records:
                rows.append({"kind": "performance", "name": f"履行凭证：{o.description}",
                             "detail": f"{r.amount}元；{r.proof or '未附凭证说明'}",
                             "date": r.performed_on.isoformat(), "source": "当事人提交"})
    for c in case.claims:
        rows.append({"kind": "claim", "name": f"请求事项：{label_of(ClaimType, c.claim_type)}",
                     "detail": (c.description or "") + (f"（{c.amount}元）" if c.amount is not None else ""),
                     "date": case.received_on.isoformat() if case.received_on else "", "source": "申请人主张"})
    return rows


def identity_papers(case: Case) -> list[dict[str, str]]:
    """What each party brings to prove who they are (the joint application's annexes): an ID card for a person,
    the business licence and the legal representative's ID and certificate for the employer, a power of attorney
    and the agent's ID for each agent (unconfirmed list: see docs/domain.md#hand-off-packages)."""
    rows: list[dict[str, str]] = []
    for p in case.parties:
        if p.role == PartyRole.EMPLOYER:
            rows.append({"party": p.name, "paper": "营业执照副本复印件（加盖公章）",
                         "detail": f"统一社会信用代码{p.uscc}" if p.uscc else "统一社会信用代码待补"})
            rows.append({"party": p.name, "paper": "法定代表人身份证明书及身份证复印件",
                         "detail": p.legal_representative or "法定代表人姓名待补"})
        elif p.role == PartyRole.AGENT:
            rows.append({"party": p.name, "paper": "授权委托书原件及受托人身份证复印件",
                         "detail": label_of(PartyRole, p.role)})
        else:
            rows.append({"party": p.name, "paper": "居民身份证复印件",
                         "detail": f"身份证号码{p.id_number}" if p.id_number else "身份证号码待补"})
    return rows


def _inventory(session: Session, case: Case, pkg: HandoffPackage, files: Sequence[_File],
               evidence: Sequence[Mapping[str, Any]], identity: Sequence[Mapping[str, str]],
               data: Mapping[str, Any], today: dt.date) -> Any:
    title = f"{KIND_LABELS[pkg.kind]}清单"
    b = BuildInput(session=session, case=case, params={}, today=today, calendar=cached_calendar(session),
                   actor_name="")
    addressee = pkg.addressee or (arbitration_committee_name(b) if pkg.kind != "judicial_confirmation"
                                  else "（有管辖权的基层人民法院）")
    context = {
        "doc_title": title, "number": case.number, "org": {"name": case.organisation.name},
        "package": {"label": KIND_LABELS[pkg.kind], "kind": pkg.kind, "addressee": addressee,
                    "deadline_cn": date_cn(pkg.deadline_on), "basis": WINDOW_BASIS.get(pkg.kind, "")},
        "files": [{"title": f.title, "name": f.name, "pages": f.pages} for f in files],
        "evidence": evidence, "identity": identity, "case": data, "today_cn": date_cn(today),
    }
    html = render_html("handoff_inventory.html", context)
    return render_pdf(html, title=title, organisation=case.organisation.name, case_number=case.number)
