"""The hand-off API (make a package, download its ZIP and merged PDF, record dispatch and outcome) and the
supervisors' bulk actions over REST."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.cases import service as case_svc
from mediation.db.models_access import PersonalDataAccess
from mediation.db.models_risk import RiskAlert
from mediation.domain.clock import china_today
from tests.factories import World, agreement_payload, application, session_payload
from tests.fixtures import Api


def _fire(api: Api, world: World, case: dict[str, Any], event: str, payload: dict[str, Any]) -> dict[str, Any]:
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case['id']}/transitions",
                                     json={"event": event, "payload": payload, "version": case["version"]})
    assert r.status_code == 200, r.json
    return r.json


def _case(api: Api, world: World, *events: str, **overrides: Any) -> dict[str, Any]:
    r = api.as_(world.clerk).post("/api/v1/cases/", json=application(world, **overrides))
    assert r.status_code == 201, r.json
    case = r.json
    payloads = {"accept": {"respondent_consents": True, "mediator_id": world.mediator.id},
                "record_session": session_payload(), "sign_agreement": agreement_payload(china_today()),
                "terminate": {"end_reason": "failed", "reason": "双方分歧较大，调解不成"}}
    for ev in events:
        case = _fire(api, world, case, ev, payloads[ev])
    return case


def test_referral_package_over_rest_downloads_match_and_dispatch_refers(api: Api, world: World, db: Session) -> None:
    case = _case(api, world, "accept", "record_session", "terminate")
    med = api.as_(world.mediator)
    r = med.get(f"/api/v1/cases/{case['id']}/handoff")
    assert r.status_code == 200
    options = {o["kind"]: o for o in r.json["options"]}
    assert options["referral"]["allowed"] and not options["arbitration_review"]["allowed"]
    r = med.post(f"/api/v1/cases/{case['id']}/handoff/packages",
                 json={"kind": "referral", "addressee": "嘉兴市南湖区劳动人事争议仲裁委员会"})
    assert r.status_code == 201, r.json
    pkg = r.json
    assert pkg["status"] == "ready" and pkg["files"][0]["title"] == "移交材料清单"
    z = med.get(pkg["zip_url"])
    assert z.status_code == 200 and z.mimetype == "application/zip"
    assert hashlib.sha256(z.data).hexdigest() == pkg["zip"]["sha256"] == z.headers["X-Content-SHA256"]
    assert "filename*=UTF-8''" in z.headers["Content-Disposition"]
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(z.data)).read("manifest.json"))
    assert [f["sha256"] for f in manifest["files"]] == [f["sha256"] for f in pkg["files"]]
    p = med.get(pkg["pdf_url"])
    assert p.status_code == 200 and len(PdfReader(io.BytesIO(p.data)).pages) == pkg["pdf"]["pages"]
    reads = db.scalars(select(PersonalDataAccess.endpoint).where(PersonalDataAccess.case_id == case["id"])).all()
    assert {"handoff_zip", "handoff_pdf"} <= set(reads)
    # the supervisor above does not handle the parties: no download
    assert api.as_(world.supervisor).get(pkg["zip_url"]).status_code == 403
    # bad input: each error a problem naming its field
    r = med.post(f"{pkg['zip_url'][:-4]}/dispatch", json={"dispatched_to": "", "method": "carrier pigeon"})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    r = med.post(f"{pkg['zip_url'][:-4]}/dispatch",
                 json={"dispatched_to": "南湖区劳动人事争议仲裁委员会", "method": "post", "tracking_number": "EMS99"})
    assert r.status_code == 200, r.json
    assert r.json["dispatch"]["tracking_number"] == "EMS99"
    assert med.get(f"/api/v1/cases/{case['id']}").json["status"] == "referred"


def test_review_package_outcome_closes_and_refusals(api: Api, world: World) -> None:
    case = _case(api, world, "accept", "record_session", "sign_agreement")
    med = api.as_(world.mediator)
    r = med.post(f"/api/v1/cases/{case['id']}/handoff/packages", json={"kind": "referral"})
    assert r.status_code == 422 and r.mimetype == "application/problem+json" and "kind" in r.json["errors"]
    r = med.post(f"/api/v1/cases/{case['id']}/handoff/packages", json={"kind": "judicial_confirmation",
                                                                        "addressee": "嘉兴市南湖区人民法院"})
    assert r.status_code == 201, r.json
    pkg = r.json
    assert pkg["deadline_on"]
    base = pkg["zip_url"][:-4]
    r = med.post(f"{base}/outcome", json={"outcome": "granted", "decision_number": "（2026）浙0402民特1号"})
    assert r.status_code == 422 and "outcome" in r.json["errors"]  # not sent yet
    assert med.post(f"{base}/dispatch", json={"dispatched_to": "嘉兴市南湖区人民法院",
                                              "method": "in_person"}).status_code == 200
    r = med.post(f"{base}/outcome", json={"outcome": "granted", "decision_number": "（2026）浙0402民特1号"})
    assert r.status_code == 200, r.json
    assert r.json["outcome"]["decision_number"] == "（2026）浙0402民特1号"
    assert med.get(f"/api/v1/cases/{case['id']}").json["status"] == "closed"
    again = med.post(f"{base}/outcome", json={"outcome": "refused", "decision_number": "x"})
    assert again.status_code == 409
    # another organisation's user sees nothing of it
    assert api.as_(world.outsider).get(f"/api/v1/cases/{case['id']}/handoff").status_code == 404


def test_bulk_reassign_and_acknowledge_over_rest(api: Api, world: World, db: Session) -> None:
    a = _case(api, world, "accept")
    b = _case(api, world, "accept")
    _case(api, world, workers_count=12, title="十二名职工追索工资")  # a collective dispute: an alert
    sup = api.as_(world.supervisor)
    r = sup.post("/api/v1/cases/bulk/reassign",
                 json={"from_mediator_id": world.mediator.id, "mediator_id": world.mediator2.id, "reason": "调岗"})
    assert r.status_code == 200, r.json
    assert r.json["done"] == 2 and {x["case_id"] for x in r.json["results"]} == {a["id"], b["id"]}
    # another organisation's case (秀洲, outside the supervisor's 南湖 subtree) is refused like a missing one
    other = case_svc.create_case(db, actor=world.actor(world.outsider), env=world.env,
                                 data=application(world, organisation_id=world.other_county.id, title="秀洲区的案件"))
    r = sup.post("/api/v1/cases/bulk/reassign", json={"case_ids": [a["id"], other.id, 2_000_000], "mediator_id":
                                                       world.mediator.id})
    assert r.json["done"] == 1 and [x["code"] for x in r.json["results"][1:]] == ["not_found", "not_found"]
    assert r.json["results"][1]["number"] == ""  # nothing of the other organisation's case leaks
    assert api.as_(world.mediator).post("/api/v1/cases/bulk/reassign", json={
        "case_ids": [a["id"]], "mediator_id": world.mediator2.id}).status_code == 403
    r = sup.post("/api/v1/cases/bulk/reassign", json={"case_ids": ["x"], "mediator_id": world.mediator2.id})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    ids = list(db.scalars(select(RiskAlert.id)).all())
    assert ids
    r = sup.post("/api/v1/risk/alerts/bulk/acknowledge", json={"alert_ids": ids, "note": "统一签收，逐一跟进"})
    assert r.status_code == 200 and r.json["done"] == len(ids)
    r = sup.post("/api/v1/risk/alerts/bulk/acknowledge", json={"alert_ids": ids, "note": ""})
    assert r.status_code == 422 and "note" in r.json["errors"]
    r = sup.post("/api/v1/risk/alerts/bulk/acknowledge", json={"alert_ids": ids, "note": "再次"})
    assert r.json["done"] == 0 and all("已签收" in x["reason"] for x in r.json["results"])


def test_a_package_still_being_built_answers_409_not_500(api: Api, world: World, db: Session) -> None:
    """schemathesis (mediator): downloading or dispatching a package that is not ready was a 500 (the refusal
    carried a ``status`` of its own that clashed with the problem's). Now a 409 problem naming the package's state."""
    from mediation.db.models_handoff import HandoffPackage

    case = _case(api, world, "accept", "record_session", "terminate")
    med = api.as_(world.mediator)
    r = med.post(f"/api/v1/cases/{case['id']}/handoff/packages",
                 json={"kind": "referral", "addressee": "嘉兴市南湖区劳动人事争议仲裁委员会"})
    assert r.status_code == 201, r.json
    pkg = db.get(HandoffPackage, r.json["id"])
    pkg.status = "pending"  # as while a worker builds it
    db.commit()
    base = f"/api/v1/cases/{case['id']}/handoff/packages/{pkg.id}"
    for resp in (med.get(f"{base}/zip"), med.get(f"{base}/pdf"),
                 med.post(f"{base}/dispatch", json={"dispatched_to": "嘉兴市南湖区劳动人事争议仲裁委员会",
                                                    "method": "courier"})):
        assert resp.status_code == 409 and resp.mimetype == "application/problem+json", resp.get_data(as_text=True)
        assert resp.json["code"] == "package_not_ready" and resp.json["package_status"] == "pending"
