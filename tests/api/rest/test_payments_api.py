"""The payments API: the ledger, a payment recorded with its proof files (multipart), the proofs downloaded as
attachments of their checked type; bad files and bad fields are 422 problems naming them; nothing written."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.db.models import Case, PaymentProof, PerformanceRecord
from tests.factories import World
from tests.fixtures import Api
from tests.helpers import TODAY

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _form(case: Case, **fields: Any) -> dict[str, Any]:
    ob = case.current_agreement.obligations[0]  # type: ignore[union-attr]
    return {"obligation_id": str(ob.id), "performed_on": TODAY.isoformat(), "amount": "6000",
            "version": str(case.version), **fields}


def _post(api: Api, user: Any, case: Case, data: dict[str, Any]) -> Any:
    return api.as_(user).post(f"/api/v1/cases/{case.id}/payments", data=data, content_type="multipart/form-data")


def test_record_two_payments_with_proofs_and_read_the_ledger(api: Api, world: World, agreed: Case) -> None:
    r = _post(api, world.mediator, agreed, _form(agreed, proof_files=[(io.BytesIO(PDF), "回单.pdf")]))
    assert r.status_code == 201, r.get_data(as_text=True)
    [ob] = r.json["obligations"]
    assert (ob["paid"], ob["balance"]) == ("6000.00", "18000.00")
    [pay] = ob["payments"]
    assert pay["amount"] == "6000.00" and pay["payee"] == "张三" and pay["proof"] == "回单.pdf"
    assert pay["recorded_by"] == world.mediator.display_name
    r = _post(api, world.mediator, agreed, _form(agreed, version=str(r.json["version"]), amount="1,000.50",
                                                 payer="总承包公司", proof_files=[(io.BytesIO(PNG), "截图.png")]))
    assert r.status_code == 422 and "amount" in r.json["errors"], r.json  # amounts in figures, no separators
    ledger = api.as_(world.mediator).get(f"/api/v1/cases/{agreed.id}/payments").json
    r = _post(api, world.mediator, agreed, _form(agreed, version=str(ledger["version"]), amount="1000.50",
                                                 payer="总承包公司", proof_files=[(io.BytesIO(PNG), "截图.png")]))
    assert r.status_code == 201, r.json
    [ob] = r.json["obligations"]
    assert ob["balance"] == "16999.50" and [p["payer"] for p in ob["payments"]][1] == "总承包公司"
    url = ob["payments"][1]["files"][0]["url"]
    # the proof comes back as an attachment of its checked type, sandboxed
    got = api.as_(world.mediator).get(url)
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E6%88%AA%E5%9B%BE.png" in got.headers["Content-Disposition"]
    assert got.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in got.headers["Content-Security-Policy"]
    # a supervisor reads the ledger, without the proof files (personal data), and may not download them
    sup = api.as_(world.supervisor).get(f"/api/v1/cases/{agreed.id}/payments").json
    assert sup["obligations"][0]["balance"] == "16999.50" and sup["obligations"][0]["payments"][1]["files"] == []
    forbidden = api.as_(world.supervisor).get(url)
    assert forbidden.status_code == 403 and forbidden.mimetype == "application/problem+json"
    assert api.as_(world.outsider).get(url).status_code == 404


def test_bad_files_and_fields_are_named_and_nothing_is_written(api: Api, db: Session, world: World,
                                                              agreed: Case) -> None:
    r = _post(api, world.mediator, agreed, _form(agreed, proof_files=[(io.BytesIO(b"<svg onload=alert(1)>"),
                                                                       "回单.pdf")]))
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert "回单.pdf" in r.json["errors"]["proof_ids"][0] and "PDF、JPEG或PNG" in r.json["errors"]["proof_ids"][0]
    r = _post(api, world.mediator, agreed, _form(agreed, performed_on="昨天", amount=""))
    assert r.status_code == 422 and {"performed_on", "amount"} <= set(r.json["errors"]), r.json
    r = _post(api, world.mediator, agreed, _form(agreed, obligation_id="abc", extra="x"))
    assert r.status_code == 422, r.json
    r = _post(api, world.mediator, agreed, _form(agreed, version="0"))
    assert r.status_code == 409, r.json
    assert db.scalar(select(func.count()).select_from(PerformanceRecord)) == 0
    assert db.scalar(select(func.count()).select_from(PaymentProof)) == 0


def test_a_proof_over_10_mb_is_refused(api: Api, world: World, agreed: Case) -> None:
    big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
    r = _post(api, world.mediator, agreed, _form(agreed, proof_files=[(io.BytesIO(big), "大文件.pdf")]))
    assert r.status_code == 422 and "超过10 MB" in r.json["errors"]["proof_ids"][0], r.get_data(as_text=True)[:300]


def test_a_supervisor_above_the_committee_does_not_record_payments(api: Api, world: World, agreed: Case) -> None:
    r = _post(api, world.city_supervisor, agreed, _form(agreed, proof_files=[(io.BytesIO(PDF), "回单.pdf")]))
    assert r.status_code == 403 and r.json["code"] == "role_not_allowed", r.json
    assert "所属调解组织" in r.json["detail"]
    stored = Path(api.client.application.config["BLOB_STORE"][4:]).rglob("*")
    assert not [p for p in stored if p.is_file()]  # refused before any file is stored
