"""The mediation agreement as the parties read it: the file number (案号) on the document, the terms stated once
(the obligations, then the other terms line by line as typed), and a typical two-instalment agreement on at most
two pages."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models_documents import GeneratedDocument
from tests.factories import World, application, drive
from tests.helpers import pdf_pages, pdf_text

TODAY = dt.date(2025, 10, 20)
pytestmark = pytest.mark.usefixtures("producer")


def _two_instalments(db: Session, world: World) -> GeneratedDocument:
    case = svc.create_case(db, actor=world.actor(world.clerk), data=application(world), today=TODAY, env=world.env)
    drive(db, world, case, TODAY, "accept", "record_session")
    svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator), today=TODAY,
                   payload={
                       "terms": "申请人放弃其他仲裁请求。\n双方就本劳动争议再无其他争议。",
                       "performance_method": "银行转账至申请人账户",
                       "obligations": [
                           {"description": "支付拖欠工资（第1期，共2期）", "claim_type": "wages", "amount": "12000.00",
                            "due_on": "2025-10-31"},
                           {"description": "支付拖欠工资（第2期，共2期）", "claim_type": "wages", "amount": "12000.00",
                            "due_on": "2025-11-30"}],
                       "signed_by_parties": True, "signed_by_mediator": True, "sealed": True}, env=world.env)
    return db.scalars(select(GeneratedDocument).where(GeneratedDocument.case_id == case.id,
                                                      GeneratedDocument.kind == "mediation_agreement")).one()


def test_two_instalment_agreement_states_the_terms_once_with_the_file_number_on_two_pages(
        db: Session, world: World) -> None:
    doc = _two_instalments(db, world)
    text = pdf_text(doc.content)
    assert "案号：（2025）东栅劳调字第1号" in text  # the file, not only the document's own number
    assert "（2025）东栅劳调协字第1号" in text
    # one numbered list: the two instalments, then each typed line as its own term
    assert ("1.被申请人支付拖欠工资（第1期，共2期），金额12,000.00元（人民币壹万贰仟元整），"
            "最迟于2025年10月31日（含当日）履行完毕。") in text
    assert "2.被申请人支付拖欠工资（第2期，共2期）" in text
    assert "3.申请人放弃其他仲裁请求。" in text and "4.双方就本劳动争议再无其他争议。" in text
    assert text.count("支付拖欠工资（第1期，共2期）") == 1 and text.count("申请人放弃其他仲裁请求") == 1
    assert "被申请人应支付合计：24,000.00元（人民币贰万肆仟元整）" in text
    assert pdf_pages(doc.content) <= 2
    # no run of blank space after 住址 (justification only widened the one space of the line)
    first = PdfReader(io.BytesIO(doc.content)).pages[0].extract_text() or ""
    assert not re.search(r"住\s*址\s{3,}", first)


def test_a_single_obligation_prints_no_total_that_repeats_it(db: Session, world: World) -> None:
    case = svc.create_case(db, actor=world.actor(world.clerk), data=application(world), today=TODAY, env=world.env)
    drive(db, world, case, TODAY, "accept", "record_session", "sign_agreement")
    doc = db.scalars(select(GeneratedDocument).where(GeneratedDocument.case_id == case.id,
                                                     GeneratedDocument.kind == "mediation_agreement")).one()
    text = pdf_text(doc.content)
    assert "应支付合计" not in text and text.count("24,000.00元（人民币贰万肆仟元整）") == 1
    assert pdf_pages(doc.content) <= 2
