"""Payments on the case page: the payment form takes proof files, the ledger shows each payment (date, amount, payer
and payee, proof) under its obligation with the balance, the history line names the amount, and the instalments due
within three days or overdue are reminded on the case page and the workbench."""

from __future__ import annotations

import datetime as dt
import io
import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Case, PaymentProof, PerformanceRecord
from tests.api.ui.test_ui_pages import TODAY, app, login, text_of  # noqa: F401  (fixture)
from tests.factories import World, agreement_payload, drive, new_case

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _signed(db: Session, world: World, *dues: dt.date) -> Case:
    signed = TODAY - dt.timedelta(days=10)
    case = new_case(db, world, signed - dt.timedelta(days=2))
    drive(db, world, case, signed - dt.timedelta(days=1), "accept")
    payload = {**agreement_payload(signed), "obligations": [
        {"description": f"第{i + 1}期工资", "claim_type": "wages", "amount": "5000", "due_on": d.isoformat()}
        for i, d in enumerate(dues)]}
    svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator), today=signed,
                   payload=payload, env=world.env)
    return case


def _form(html: str, token: str, **fields: object) -> dict[str, object]:
    version = re.search(r'name="version" value="(\d+)"', html)
    assert version
    return {"csrf_token": token, "version": version[1], **fields}


def test_two_payments_with_proofs_on_the_case_page(client: FlaskClient, db: Session, world: World) -> None:
    case = _signed(db, world, TODAY + dt.timedelta(days=2), TODAY + dt.timedelta(days=30))
    ob1, _ = case.current_agreement.obligations  # type: ignore[union-attr]
    token = login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    # the payment form uploads files, and the due instalment is reminded
    assert re.search(r'<form method="post" action="/ui/cases/\d+/payments" enctype="multipart/form-data">', html)
    assert 'type="file" id="f-record_performance-proof_ids" name="proof_files" multiple' in html
    assert 'id="payment-reminders"' in html and "第1期工资：应于" in text_of(html) and "还有2天到期" in html
    r = client.post(f"/ui/cases/{case.id}/payments", content_type="multipart/form-data", data=_form(
        html, token, obligation_id=str(ob1.id), performed_on=TODAY.isoformat(), amount="3000",
        proof_files=[(io.BytesIO(PDF), "银行回单.pdf")]))
    assert r.status_code == 302, r.get_data(as_text=True)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert "已登记付款3,000.00元，凭证文件1个" in html
    r = client.post(f"/ui/cases/{case.id}/payments", content_type="multipart/form-data", data=_form(
        html, token, obligation_id=str(ob1.id), performed_on=TODAY.isoformat(), amount="2000",
        payer="总承包公司", proof="代付说明", proof_files=[(io.BytesIO(PNG), "转账截图.png")]))
    assert r.status_code == 302, r.get_data(as_text=True)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    ledger = html[html.index('id="payments"'):html.index("</table>", html.index('id="payments"'))]
    row = re.search(rf'<tr data-obligation="{ob1.id}">.*?</tr>', ledger, re.S)
    assert row and "5,000.00元" in row[0] and re.search(r"data-balance>0\.00元", row[0])
    text = text_of(ledger)
    assert "3,000.00元" in text and "支付给张三" in text and "凭证：银行回单.pdf" in text
    assert "总承包公司支付给张三" in text and "凭证：代付说明" in text
    links = re.findall(r'<a class="download nowrap" href="(/api/v1/cases/\d+/payments/proofs/\d+)" download>'
                       r'下载凭证<span class="sr-only">([^<]+)</span>', ledger)
    assert len(links) == 2 and len({name for _, name in links}) == 2  # distinct link names
    assert client.get(links[1][0]).data == PNG
    # the first instalment paid: no longer reminded; the history names the amounts and the balance
    assert "第1期工资：应于" not in text_of(html)
    timeline = text_of(html[html.index('class="timeline"'):])
    assert "登记履行情况" in timeline and re.search(r"3,000\.00元\s?（第1期工资，余额2,000\.00元）", timeline)
    assert re.search(r"2,000\.00元\s?（第1期工资，余额0\.00元）", timeline)
    # a supervisor sees the ledger, not the proofs
    login(client, world.supervisor.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert "总承包公司支付给张三" in text_of(html) and "/payments/proofs/" not in html
    assert "仅经办人员可下载" in html


def test_a_bad_proof_is_named_beside_the_field_and_the_typed_payment_kept(
        client: FlaskClient, db: Session, world: World) -> None:
    case = _signed(db, world, TODAY + dt.timedelta(days=5))
    ob = case.current_agreement.obligations[0]  # type: ignore[union-attr]
    token = login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    r = client.post(f"/ui/cases/{case.id}/payments", content_type="multipart/form-data", data=_form(
        html, token, obligation_id=str(ob.id), performed_on=TODAY.isoformat(), amount="六千",
        payer="某公司财务", proof_files=[(io.BytesIO(b"MZ\x90\x00 not a proof"), "回单.exe")]))
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    field = re.search(r'<input type="file" id="f-record_performance-proof_ids"[^>]*>', html)
    assert field and 'aria-invalid="true"' in field[0]
    assert re.search(r'data-error-for="proof_ids">[^<]*“回单.exe”不是PDF、JPEG或PNG文件', html)
    assert re.search(r'id="f-record_performance-amount"[^>]*value="六千"', html)  # what was typed is kept
    assert re.search(r'id="f-record_performance-payer"[^>]*value="某公司财务"', html)
    assert re.search(r'<details class="action" id="act-record_performance" open', html)
    assert db.scalar(select(func.count()).select_from(PerformanceRecord)) == 0
    assert db.scalar(select(func.count()).select_from(PaymentProof)) == 0


def test_overdue_and_soon_due_instalments_on_the_workbench(client: FlaskClient, db: Session, world: World) -> None:
    case = _signed(db, world, TODAY - dt.timedelta(days=2), TODAY, TODAY + dt.timedelta(days=10))
    login(client, world.mediator.username)
    html = client.get("/ui/").get_data(as_text=True)
    panel = html[html.index('data-panel="payments"'):html.index("</section>", html.index('data-panel="payments"'))]
    assert "履行提醒</span> 2项" in panel and case.number in panel
    assert "第1期工资" in panel and "已逾期2天" in panel and "第2期工资" in panel and "今日到期" in panel
    assert "第3期工资" not in panel
    login(client, world.clerk.username)  # the committee's clerk sees them too
    assert case.number in client.get("/ui/").get_data(as_text=True)


def test_a_payment_from_a_stale_page_keeps_what_was_typed_and_says_who_changed_the_case(
        client: FlaskClient, db: Session, world: World) -> None:
    case = _signed(db, world, TODAY + dt.timedelta(days=5))
    ob = case.current_agreement.obligations[0]  # type: ignore[union-attr]
    token = login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    seen = re.search(r'name="seen_seq" value="(\d+)"', html)
    assert seen
    fields = {"obligation_id": str(ob.id), "performed_on": TODAY.isoformat(), "payer": "财务室", "proof": "回单001",
              "seen_seq": seen[1]}
    r = client.post(f"/ui/cases/{case.id}/payments", content_type="multipart/form-data",
                    data=_form(html, token, amount="1000", **fields))
    assert r.status_code == 302  # recorded in one tab
    r = client.post(f"/ui/cases/{case.id}/payments", content_type="multipart/form-data",
                    data=_form(html, token, amount="1500", **fields))  # the other tab, opened before
    page = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "您已在另一个窗口或标签页中办理了：登记履行情况" in text_of(page) and "他人" not in text_of(page)
    assert re.search(r'id="f-record_performance-amount"[^>]*value="1500"', page)
    assert db.scalar(select(func.count()).select_from(PerformanceRecord)) == 1
