"""The documents API: list, generate, download (application/pdf, UTF-8 filename, audited), verify."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.db.models_access import PersonalDataAccess
from mediation.domain.clock import china_today
from tests.factories import World, agreement_payload, application, session_payload
from tests.fixtures import Api
from tests.helpers import pdf_text

pytestmark = pytest.mark.usefixtures("producer")


def _agreed(api: Api, world: World) -> dict[str, Any]:
    r = api.as_(world.clerk).post("/api/v1/cases/", json=application(world))
    assert r.status_code == 201, r.json
    case = r.json
    for event, payload in (("accept", {"respondent_consents": True, "mediator_id": world.mediator.id}),
                           ("record_session", session_payload()),
                           ("sign_agreement", agreement_payload(china_today()))):
        r = api.as_(world.mediator).post(f"/api/v1/cases/{case['id']}/transitions",
                                         json={"event": event, "payload": payload, "version": case["version"]})
        assert r.status_code == 200, r.json
        case = r.json
    return case


def test_list_download_and_verify(api: Api, world: World, db: Session) -> None:
    case = _agreed(api, world)
    r = api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}/documents")
    assert r.status_code == 200
    kinds = [d["kind"] for d in r.json]
    assert kinds == ["application", "acceptance_notice", "session_record", "mediation_agreement"]
    agreement = r.json[-1]
    assert agreement["version"] == 1 and agreement["number"].endswith("劳调协字第1号")

    before = db.scalar(select(func.count()).select_from(PersonalDataAccess))
    r = api.as_(world.mediator).get(agreement["download_url"])
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert hashlib.sha256(r.data).hexdigest() == agreement["sha256"] == r.headers["X-Content-SHA256"]
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("UTF-8''")[1]) == f"劳动争议调解协议书-{agreement['number']}-v1.pdf"
    assert "劳动争议调解协议书" in pdf_text(r.data)
    assert db.scalar(select(func.count()).select_from(PersonalDataAccess)) == before + 1

    url = f"/api/v1/cases/{case['id']}/documents/{agreement['id']}/verify"
    ok = api.as_(world.mediator).post(url, data=r.data, headers={"Content-Type": "application/pdf"})
    assert ok.status_code == 200 and ok.json["match"] is True
    forged = api.as_(world.mediator).post(url, data=r.data.replace(b"%%EOF", b"%%EOF\n%x"),
                                          headers={"Content-Type": "application/pdf"})
    assert forged.status_code == 200 and forged.json["match"] is False
    by_hash = api.as_(world.supervisor).post(url, json={"sha256": agreement["sha256"].upper()})
    assert by_hash.status_code == 200 and by_hash.json["match"] is True
    bad = api.as_(world.mediator).post(url, json={"sha256": "nothex"})
    assert bad.status_code == 422 and "sha256" in bad.json["errors"]


def test_generate_on_demand_and_versions(api: Api, world: World) -> None:
    case = _agreed(api, world)
    url = f"/api/v1/cases/{case['id']}/documents"
    r = api.as_(world.mediator).post(url, json={"kind": "mediation_agreement"})
    assert r.status_code == 201, r.json
    assert r.json["version"] == 2 and r.json["number"].endswith("劳调协字第1号")
    r = api.as_(world.mediator).post(url, json={"kind": "supervision_opinion", "facts": "拖欠工资"})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert {"legal_basis", "correction"} <= set(r.json["errors"])
    r = api.as_(world.mediator).post(url, json={"kind": "nope"})
    assert r.status_code == 422 and "kind" in r.json["errors"]
    r = api.as_(world.mediator).post(url, json={"kind": "service_receipt", "served_document_id": 2**31 - 1})
    assert r.status_code == 422 and "served_document_id" in r.json["errors"]
    r = api.as_(world.mediator).post(url, json={"kind": "mediation_agreement", "bogus": 1})
    assert r.status_code == 422 and "bogus" in r.json["errors"]
    history = api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}/events").json
    generated = [e for e in history if e["event"] == "document_generated"]
    assert generated[-1]["payload"]["version"] == 2 and generated[-1]["event_label"] == "生成文书"
    kinds = api.as_(world.clerk).get("/api/v1/document-kinds").json
    assert {k["kind"] for k in kinds} >= {"mediation_agreement", "service_receipt", "early_warning_report"}


def test_scope_and_personal_data(api: Api, world: World) -> None:
    case = _agreed(api, world)
    docs = api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}/documents").json
    pdf = docs[-1]["download_url"]
    # out of scope: 404 (no existence leak), for listing, download and generation alike
    assert api.as_(world.outsider).get(f"/api/v1/cases/{case['id']}/documents").status_code == 404
    assert api.as_(world.outsider).get(pdf).status_code == 404
    r = api.as_(world.outsider).post(f"/api/v1/cases/{case['id']}/documents", json={"kind": "mediation_agreement"})
    assert r.status_code == 404
    # a supervisor sees the register but the PDF holds full ID numbers: refused, with the reason
    assert api.as_(world.supervisor).get(f"/api/v1/cases/{case['id']}/documents").status_code == 200
    r = api.as_(world.supervisor).get(pdf)
    assert r.status_code == 403 and "个人信息" in r.json["detail"]
    assert api.as_(world.clerk).get(pdf).status_code == 200
    assert api.as_(None).get(pdf).status_code == 401
    # a document of another case is not reachable through this case
    other = _agreed(api, world)
    other_doc = api.as_(world.mediator).get(f"/api/v1/cases/{other['id']}/documents").json[0]
    assert api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}/documents/{other_doc['id']}").status_code == 404


def test_documents_on_transition_can_be_turned_off(db: Session, world: World) -> None:
    from api.app import create_app

    conn = db.connection()
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DOCUMENTS_ON_TRANSITION": False},
                     session_factory=lambda: Session(bind=conn, join_transaction_mode="create_savepoint",
                                                     expire_on_commit=False))
    api = Api(app.test_client(), db)
    r = api.as_(world.clerk).post("/api/v1/cases/", json=application(world))
    assert r.status_code == 201
    assert api.as_(world.clerk).get(f"/api/v1/cases/{r.json['id']}/documents").json == []
    r = api.as_(world.clerk).post(f"/api/v1/cases/{r.json['id']}/documents", json={"kind": "application"})
    assert r.status_code == 201 and r.json["number"].endswith("劳调申字第1号")  # still available on demand
