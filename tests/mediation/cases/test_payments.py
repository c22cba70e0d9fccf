"""The payment ledger: payments through the performance event with payer, payee and proof files checked by their
content (PDF/JPEG/PNG, ≤ 10 MB) in the blob store; nothing written when anything is refused; instalments due
within three days or overdue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.blobs import DirectoryBlobStore
from mediation.cases import payments
from mediation.db.models import Case, CaseEvent, PaymentProof, PerformanceRecord
from mediation.domain.errors import ConflictError, ValidationFailed
from tests.factories import World, agreement_payload, drive, new_case
from tests.helpers import TODAY

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def blobs(tmp_path: Path) -> DirectoryBlobStore:
    return DirectoryBlobStore(tmp_path / "blobs")


def _pay(db: Session, world: World, case: Case, blobs: DirectoryBlobStore, files: list[payments.Upload],
         **fields: str) -> Case:
    ob = case.current_agreement.obligations[0]  # type: ignore[union-attr]
    payload = {"obligation_id": ob.id, "performed_on": TODAY.isoformat(), "amount": "10000", **fields}
    return payments.record_payment(db, case_id=case.id, actor=world.actor(world.mediator), payload=payload,
                                   files=files, expected_version=case.version, env=world.env, blobs=blobs)


def test_two_payments_with_proofs_make_the_ledger(db: Session, world: World, agreed: Case,
                                                  blobs: DirectoryBlobStore) -> None:
    case = _pay(db, world, agreed, blobs, [payments.Upload("C:\\扫描\\回单1.pdf", PDF)])
    case = _pay(db, world, case, blobs, [payments.Upload("转账截图.png", PNG), payments.Upload("收条", JPEG)],
                amount="4000.50", payer="嘉兴某建设总承包公司", proof="总包代付")
    ob = case.current_agreement.obligations[0]  # type: ignore[union-attr]
    assert ob.status == "partial" and ob.outstanding == Decimal("24000") - Decimal("14000.50")
    first, second = ob.records
    # blank payer/payee: the obligor (the employer) pays the worker
    assert (first.payer, first.payee) == (world.enterprise.name if not case.parties_with_role("employer")
                                          else case.parties_with_role("employer")[0].name, "张三")
    assert first.proof == "回单1.pdf" and [f.filename for f in first.files] == ["回单1.pdf"]
    assert second.payer == "嘉兴某建设总承包公司" and second.proof == "总包代付"
    assert [(f.filename, f.content_type) for f in second.files] == [("转账截图.png", "image/png"),
                                                                    ("收条.jpg", "image/jpeg")]
    # the bytes are in the blob store under their hash, and read back verified
    row, data = payments.read_proof(db, case_id=case.id, proof_id=second.files[1].id,
                                    actor=world.actor(world.mediator), blobs=blobs)
    assert data == JPEG and row.size == len(JPEG)
    # the history line carries the amount and the balance
    events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                CaseEvent.event == "record_performance")
                        .order_by(CaseEvent.seq)).all()
    assert [e.payload["amount"] for e in events] == ["10000.00", "4000.50"]
    assert events[-1].payload["balance"] == str(ob.outstanding) and events[-1].payload["files"] == 2


@pytest.mark.parametrize(("upload", "message"), [
    (payments.Upload("回单.pdf", b"<html><script>alert(1)</script>"), "不是PDF、JPEG或PNG文件"),
    (payments.Upload("回单.png", b"GIF89a" + b"\x00" * 10), "不是PDF、JPEG或PNG文件"),
    (payments.Upload("空.pdf", b""), "是空文件"),
    (payments.Upload("大.pdf", b"%PDF-" + b"\x00" * payments.MAX_PROOF_BYTES), "超过10 MB"),
])
def test_proofs_are_checked_by_content_and_size_and_nothing_is_written(
        db: Session, world: World, agreed: Case, blobs: DirectoryBlobStore, upload: payments.Upload,
        message: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _pay(db, world, agreed, blobs, [payments.Upload("好.pdf", PDF), upload])
    assert message in exc.value.errors["proof_ids"][0] and upload.filename in exc.value.errors["proof_ids"][0]
    assert _count(db, PerformanceRecord) == 0 and _count(db, PaymentProof) == 0


def test_a_refused_payment_keeps_no_proof_rows(db: Session, world: World, agreed: Case,
                                               blobs: DirectoryBlobStore) -> None:
    with pytest.raises(ValidationFailed) as exc:  # more than the balance: the effect refuses, all rolled back
        _pay(db, world, agreed, blobs, [payments.Upload("回单.pdf", PDF)], amount="999999")
    assert "超过该履行事项尚未履行的余额" in exc.value.errors["amount"][0]
    assert _count(db, PerformanceRecord) == 0 and _count(db, PaymentProof) == 0
    with pytest.raises(ConflictError):  # a stale version
        payments.record_payment(db, case_id=agreed.id, actor=world.actor(world.mediator), payload={},
                                files=[payments.Upload("回单.pdf", PDF)], expected_version=agreed.version - 1,
                                env=world.env, blobs=blobs)
    assert _count(db, PaymentProof) == 0


def test_a_proof_cannot_be_reused_through_the_event(db: Session, world: World, agreed: Case,
                                                   blobs: DirectoryBlobStore) -> None:
    """The event's proof_ids name only files stored with that payment: an existing proof (of this case or
    another) cannot be attached to a second payment through the plain transition."""
    from mediation.cases import service as svc

    case = _pay(db, world, agreed, blobs, [payments.Upload("回单.pdf", PDF)])
    proof_id = case.current_agreement.obligations[0].records[0].files[0].id  # type: ignore[union-attr]
    ob = case.current_agreement.obligations[0]  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed) as exc:
        svc.fire_event(db, case_id=case.id, event="record_performance", actor=world.actor(world.mediator),
                       payload={"obligation_id": ob.id, "performed_on": TODAY.isoformat(), "amount": "1",
                                "proof": "回单", "proof_ids": [proof_id]}, expected_version=case.version,
                       env=world.env, today=TODAY)
    assert "已用于其他付款记录" in exc.value.errors["proof_ids"][0]


def test_only_the_roles_that_handle_the_parties_read_proofs(db: Session, world: World, agreed: Case,
                                                            blobs: DirectoryBlobStore) -> None:
    from mediation.domain.errors import NotFound, PermissionDenied

    case = _pay(db, world, agreed, blobs, [payments.Upload("回单.pdf", PDF)])
    proof_id = case.current_agreement.obligations[0].records[0].files[0].id  # type: ignore[union-attr]
    assert payments.read_proof(db, case_id=case.id, proof_id=proof_id, actor=world.actor(world.clerk),
                               blobs=blobs)[1] == PDF
    from mediation.db.models_access import PersonalDataAccess

    reads = db.scalars(select(PersonalDataAccess).where(PersonalDataAccess.case_id == case.id)).all()
    assert [(r.user_id, r.fields[0], r.endpoint) for r in reads] == [(world.clerk.id, "payment_proof",
                                                                      "payment_proof")]
    with pytest.raises(PermissionDenied):
        payments.read_proof(db, case_id=case.id, proof_id=proof_id, actor=world.actor(world.supervisor), blobs=blobs)
    with pytest.raises(NotFound):
        payments.read_proof(db, case_id=case.id, proof_id=proof_id, actor=world.actor(world.outsider), blobs=blobs)


def test_instalments_due_within_three_days_and_overdue(db: Session, world: World) -> None:
    signed = TODAY - dt.timedelta(days=20)
    case = new_case(db, world, signed - dt.timedelta(days=2))
    drive(db, world, case, signed - dt.timedelta(days=1), "accept")
    dues = [TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=3), TODAY + dt.timedelta(days=4)]
    payload = {**agreement_payload(signed), "obligations": [
        {"description": f"第{i + 1}期工资", "claim_type": "wages", "amount": "1000", "due_on": d.isoformat()}
        for i, d in enumerate(dues)]}
    from mediation.cases import service as svc

    svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator), today=signed,
                   payload=payload, env=world.env)
    due = payments.due_for(db, actor=world.actor(world.mediator), today=TODAY)
    assert [(d.description, d.days_left, d.overdue) for d in due] == [("第1期工资", -1, True), ("第2期工资", 3, False)]
    assert payments.due_for(db, actor=world.actor(world.outsider), today=TODAY) == []
    db.refresh(case)
    listed = payments.instalments_due(case.current_agreement.obligations, case, TODAY)  # type: ignore[union-attr]
    assert [d.description for d in listed] == ["第1期工资", "第2期工资"]


def test_clean_filenames() -> None:
    assert payments.clean_filename("../../etc/回单.exe", ".png") == "回单.exe.png"
    assert payments.clean_filename("C:\\Users\\a\\照片.JPEG", ".jpg") == "照片.JPEG"
    assert payments.clean_filename("\x00\n.pdf", ".pdf") == "pdf.pdf"
    assert len(payments.clean_filename("长" * 300 + ".pdf", ".pdf")) == 100
