"""The payment ledger of an agreement: each payment with its date, amount, payer and payee and its proof files;
the balance of each obligation; the instalments due soon or overdue.

Recording a payment is the workflow's performance event (``record_performance``, or ``record_late_performance``
after a default): :func:`record_payment` checks the proof files (by their content: PDF, JPEG or PNG only, at most
10 MB each), puts them in the blob store, adds their rows and fires the event with their ids — one unit of work,
so a refused payment leaves no row behind (the bytes may stay in the content-addressed store, referenced by
nothing). Proofs are read back only by the roles that handle the parties (like the documents' PDFs).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.blobs import BlobStore
from mediation.cases import service as svc
from mediation.cases.queries import scope_clause
from mediation.db.models import Agreement, Case, Obligation, PaymentProof
from mediation.db.models_access import PersonalDataAccess
from mediation.db.uow import unit_of_work
from mediation.domain.enums import ObligationStatus
from mediation.domain.errors import NotFound, PermissionDenied, RoleNotAllowed, ValidationFailed
from mediation.domain.policy import Actor, can, event_refusal
from mediation.runtime.env import ServiceEnv
from workflows.definitions import get_definition

#: At most this many bytes per proof file.
MAX_PROOF_BYTES = 10 * 1024 * 1024
#: At most this many files with one payment.
MAX_PROOF_FILES = 10
#: Instalments due within this many days are shown as reminders (and the overdue ones).
REMIND_DAYS = 3
#: States in which an agreement's obligations are still being performed.
PERFORMING_STATES = ("agreed", "performing", "non_performed")

#: (magic bytes, content type, extension): the only kinds of proof accepted, recognised by their first bytes.
_KINDS = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
KIND_NAMES = "PDF、JPEG或PNG"


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the bytes themselves, or None for anything else (whatever its name)."""
    for magic, content_type, ext in _KINDS:
        if data.startswith(magic):
            return content_type, ext
    return None


def clean_filename(name: str, ext: str) -> str:
    """The uploaded name without folders or control characters, at most 100 characters, ending with the
    extension of what the file really is (``回单.exe`` that is a PNG becomes ``回单.exe.png``)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip().strip(".") or "凭证"
    lower = base.lower()
    if ext and not (lower.endswith(ext) or (ext == ".jpg" and lower.endswith(".jpeg"))):
        base += ext
    if len(base) > 100:
        suffix = base[base.rfind("."):] if "." in base[-6:] else ""
        base = base[:100 - len(suffix)] + suffix
    return base


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def check_files(files: Sequence[Upload]) -> tuple[list[tuple[Upload, str, str]], list[str]]:
    """Every file's (upload, content type, clean name) and every problem at once, each naming the file."""
    ok: list[tuple[Upload, str, str]] = []
    problems: list[str] = []
    if len(files) > MAX_PROOF_FILES:
        problems.append(f"一次最多上传{MAX_PROOF_FILES}个凭证文件")
    for f in files:
        shown = clean_filename(f.filename, "") or "凭证"
        if not f.data:
            problems.append(f"“{shown}”是空文件")
            continue
        if len(f.data) > MAX_PROOF_BYTES:
            problems.append(f"“{shown}”超过10 MB（{len(f.data) / 1024 / 1024:.1f} MB），请压缩或分开扫描后上传")
            continue
        kind = sniff(f.data)
        if kind is None:
            problems.append(f"“{shown}”不是{KIND_NAMES}文件（按文件内容判断），只接受{KIND_NAMES}格式的凭证")
            continue
        ok.append((f, kind[0], clean_filename(f.filename, kind[1])))
    return ok, problems


def payment_event(case: Case) -> str:
    """The performance event for the case's state: a payment after a default is recorded as late."""
    return "record_late_performance" if case.status == "non_performed" else "record_performance"


def record_payment(session: Session, *, case_id: int, actor: Actor, payload: Mapping[str, Any],
                   files: Sequence[Upload], expected_version: int | None, env: ServiceEnv,
                   blobs: BlobStore) -> Case:
    """Record one payment with its proof files through the performance event, in one unit of work. Problems with
    the files are reported together with the payload's (all at once, under ``proof_ids``)."""
    checked, problems = check_files(files)
    with unit_of_work(session):
        case = svc.get_case(session, case_id=case_id, actor=actor)
        event = payment_event(case)
        t = get_definition(case.workflow_version).transition(event)
        refusal = None if t is None else event_refusal(actor, case, label=t.label, roles=t.roles,
                                                        committee_act=t.committee_act)
        if refusal is not None:  # before any file is stored
            raise RoleNotAllowed(refusal, state=case.status, event=event, allowed=[])
        if problems:
            raise ValidationFailed("凭证文件有误：" + "；".join(problems), errors={"proof_ids": problems})
        ids: list[int] = []
        for upload, content_type, name in checked:
            ref = blobs.put(upload.data)
            row = PaymentProof(case_id=case.id, filename=name, content_type=content_type, size=ref.size,
                               sha256=ref.sha256, blob_key=ref.key, uploaded_by_id=actor.user_id)
            session.add(row)
            session.flush()
            ids.append(row.id)
        data = dict(payload)
        if ids:
            data["proof_ids"] = ids
            if not str(data.get("proof") or "").strip():  # the files are the proof: name them
                data["proof"] = "、".join(name for _, _, name in checked)[:255]
        return svc.fire_event(session, case_id=case_id, event=event, actor=actor, payload=data,
                              expected_version=expected_version, env=env)


def read_proof(session: Session, *, case_id: int, proof_id: int, actor: Actor, blobs: BlobStore,
               endpoint: str = "payment_proof") -> tuple[PaymentProof, bytes]:
    """A proof file of the case, verified against its hash. Out of scope or unknown: 404; a role that does not
    handle the parties (supervisors, administrators): 403 — proofs carry names and account numbers."""
    with unit_of_work(session):
        case = svc.get_case(session, case_id=case_id, actor=actor)
        row = session.get(PaymentProof, proof_id)
        if row is None or row.case_id != case.id or row.record_id is None:
            raise NotFound(f"凭证文件{proof_id}不存在")
        if not can(actor, "read_personal", case):
            raise PermissionDenied("付款凭证含当事人个人信息，仅经办的登记员和调解员可以下载")
        if actor.user_id is not None:  # every download is a recorded read of personal data, as for documents
            session.add(PersonalDataAccess(user_id=actor.user_id, case_id=case.id,
                                           fields=["payment_proof", row.id, row.filename], endpoint=endpoint))
        return row, blobs.get(row.blob_key, row.sha256)


# --- reminders -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueInstalment:
    case_id: int
    case_number: str
    case_title: str
    obligation_id: int
    description: str
    due_on: dt.date
    amount: Decimal
    balance: Decimal
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def _due(case: Case, o: Obligation, today: dt.date) -> DueInstalment:
    return DueInstalment(case_id=case.id, case_number=case.number, case_title=case.title, obligation_id=o.id,
                         description=o.description, due_on=o.due_on, amount=o.amount, balance=o.outstanding,
                         days_left=(o.due_on - today).days)


def instalments_due(obligations: Sequence[Obligation], case: Case, today: dt.date,
                    days: int = REMIND_DAYS) -> list[DueInstalment]:
    """The case's unpaid instalments due within ``days`` days or already overdue, earliest first."""
    if case.status not in PERFORMING_STATES:
        return []
    return sorted((_due(case, o, today) for o in obligations
                   if o.status != ObligationStatus.PERFORMED and o.outstanding > 0
                   and o.due_on <= today + dt.timedelta(days=days)), key=lambda d: (d.due_on, d.obligation_id))


def due_for(session: Session, *, actor: Actor, today: dt.date, days: int = REMIND_DAYS,
            limit: int = 50) -> list[DueInstalment]:
    """The unpaid instalments due within ``days`` days or overdue on the cases the actor sees on the workbench
    (the same scope as its other lists), earliest first."""
    horizon = today + dt.timedelta(days=days)
    rows = session.execute(
        select(Obligation, Case).join(Agreement, Obligation.agreement_id == Agreement.id)
        .join(Case, Agreement.case_id == Case.id)
        .where(scope_clause(actor), Case.status.in_(PERFORMING_STATES),
               Obligation.status != ObligationStatus.PERFORMED, Obligation.due_on <= horizon,
               Obligation.amount > Obligation.performed_amount)
        .order_by(Obligation.due_on, Obligation.id).limit(limit)).all()
    return [_due(case, o, today) for o, case in rows]
