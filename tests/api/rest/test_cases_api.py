"""The case API over HTTP: intake, list, detail, transitions, errors, masking, assignment."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.db.models import Case
from mediation.db.models_access import PersonalDataAccess
from mediation.domain.clock import china_today
from tests.factories import World, agreement_payload, application, session_payload
from tests.fixtures import Api


def _create(api: Api, world: World, **over: Any) -> dict[str, Any]:
    r = api.as_(world.clerk).post("/api/v1/cases/", json=application(world, **over))
    assert r.status_code == 201, r.json
    assert r.mimetype == "application/json" and r.headers["ETag"] == f'"{r.json["version"]}"'
    return r.json


def _fire(api: Api, user: Any, case: dict[str, Any], event: str, payload: dict[str, Any] | None = None) -> Any:
    return api.as_(user).post(f"/api/v1/cases/{case['id']}/transitions",
                              json={"event": event, "payload": payload or {}},
                              headers={"If-Match": f'"{case["version"]}"'})


def test_intake_to_agreement_over_http(api: Api, world: World) -> None:
    case = _create(api, world)
    assert case["status"] == "applied" and case["status_label"] == "已申请待受理"
    kinds = {d["kind"] for d in case["deadlines"]}
    assert {"acceptance", "arbitration_right", "limitation"} <= kinds
    r = _fire(api, world.mediator, case, "accept", {"respondent_consents": True})
    assert r.status_code == 200, r.json
    case = r.json
    assert case["status"] == "mediating" and r.headers["ETag"] == f'"{case["version"]}"'
    case = _fire(api, world.mediator, case, "record_session", session_payload()).json
    today = china_today()
    r = _fire(api, world.mediator, case, "sign_agreement", agreement_payload(today))
    assert r.status_code == 200 and r.json["status"] == "agreed"
    assert r.json["agreements"][0]["total_amount"] == "24000.00"
    events = api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}/events").json
    assert [e["event"] for e in events] == [
        "register", "document_generated", "accept", "document_generated", "record_session", "document_generated",
        "sign_agreement", "document_generated"]
    assert [e["payload"]["kind"] for e in events if e["event"] == "document_generated"] == [
        "application", "acceptance_notice", "session_record", "mediation_agreement"]
    assert events[-2]["event_label"] == "签署调解协议" and events[-1]["event_label"] == "生成文书"
    sessions = api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}/sessions").json
    assert sessions[0]["place"] == "东栅街道调解室"


def test_guard_and_state_errors_are_problems_with_reasons(api: Api, world: World) -> None:
    case = _create(api, world)
    r = _fire(api, world.mediator, case, "accept")
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert r.json["code"] == "guard_failed" and r.json["blockers"][0]["guard"] == "respondent_consents"
    # the refusal names the box to tick, with the article as a short citation (never an internal marker)
    assert "未勾选“被申请人同意调解”" in r.json["detail"] and "待核实" not in r.json["detail"]
    r = _fire(api, world.mediator, case, "sign_agreement")
    assert r.status_code == 409 and r.json["code"] == "event_not_allowed"
    assert set(r.json["allowed_events"]) == {"accept", "reject", "withdraw", "escalate", "suspend_limitation",
                                             "resume_limitation", "record_employment_end", "correct_collective"}
    r = _fire(api, world.mediator, case, "fly")
    assert r.status_code == 422 and r.json["code"] == "unknown_event"
    r = _fire(api, world.mediator, case, "accept", {"respondent_consents": "perhaps", "extra": 1})
    assert r.status_code == 422 and {"respondent_consents", "extra"} <= set(r.json["errors"])


def test_versions_if_match_and_conditional_get(api: Api, world: World) -> None:
    case = _create(api, world)
    url = f"/api/v1/cases/{case['id']}/transitions"
    r = api.as_(world.mediator).post(url, json={"event": "withdraw", "payload": {"reason": "x"}})
    assert r.status_code == 428 and r.json["code"] == "precondition_required"
    ok = _fire(api, world.mediator, case, "accept", {"respondent_consents": True})
    assert ok.status_code == 200
    stale = _fire(api, world.mediator2, case, "withdraw", {"reason": "撤回"})
    assert stale.status_code == 409 and stale.json["current_version"] == ok.json["version"]
    r = api.as_(world.mediator).post(url, json={"event": "withdraw", "payload": {"reason": "x"},
                                                "version": ok.json["version"]})
    assert r.status_code == 200 and r.json["status"] == "withdrawn"
    etag = r.headers["ETag"]
    r = api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}", headers={"If-None-Match": etag})
    assert r.status_code == 304


def test_idempotency_key(api: Api, world: World, db: Session) -> None:
    body = application(world)
    headers = {"Idempotency-Key": "intake-42"}
    a = api.as_(world.clerk).post("/api/v1/cases/", json=body, headers=headers)
    b = api.as_(world.clerk).post("/api/v1/cases/", json=body, headers=headers)
    assert a.status_code == b.status_code == 201 and a.json["id"] == b.json["id"]
    assert db.scalar(select(func.count()).select_from(Case)) == 1
    c = api.as_(world.clerk).post("/api/v1/cases/", json={**body, "title": "另一件"}, headers=headers)
    assert c.status_code == 422 and c.json["code"] == "idempotency_key_reused"
    # a failed creation releases the key
    bad = api.as_(world.clerk).post("/api/v1/cases/", json={**body, "organisation_id": 999999},
                                    headers={"Idempotency-Key": "k2"})
    assert bad.status_code == 422
    again = api.as_(world.clerk).post("/api/v1/cases/", json=body, headers={"Idempotency-Key": "k2"})
    assert again.status_code == 201


def test_bad_input_is_always_4xx_and_writes_nothing(api: Api, world: World, db: Session) -> None:
    clerk = api.as_(world.clerk)
    assert clerk.post("/api/v1/cases/", data="{nope", headers={"Content-Type": "application/json"}).status_code == 400
    r = clerk.post("/api/v1/cases/", json={**application(world), "unknown_field": 1, "workers_count": "many"})
    assert r.status_code == 422 and {"unknown_field", "workers_count"} <= set(r.json["errors"])
    big = {**application(world), "facts": "x" * 1_100_000}
    assert clerk.post("/api/v1/cases/", json=big).status_code == 413
    assert clerk.get("/api/v1/cases/123456789").status_code == 404
    assert clerk.get("/api/v1/cases/?per_page=1000").status_code == 422
    assert clerk.get("/api/v1/cases/?sort=drop_table").status_code == 422
    r = clerk.delete("/api/v1/cases/")
    assert r.status_code == 405 and "GET" in r.headers["Allow"] and r.json["code"] == "method_not_allowed"
    assert api.as_(None).get("/api/v1/cases/").status_code == 401
    assert db.scalar(select(func.count()).select_from(Case)) == 0


def test_list_filters_and_pagination(api: Api, world: World) -> None:
    for i in range(3):
        _create(api, world, title=f"案件{i}")
    collective = _create(api, world, title="集体讨薪", workers_count=30,
                         parties=[{"role": "representative", "name": "代表甲"},
                                  {"role": "employer", "name": world.enterprise.name}])
    sup = api.as_(world.supervisor)
    r = sup.get("/api/v1/cases/?per_page=2&page=2&sort=number")
    assert r.json["total"] == 4 and len(r.json["items"]) == 2
    assert [c["id"] for c in sup.get("/api/v1/cases/?collective=true").json["items"]] == [collective["id"]]
    assert sup.get("/api/v1/cases/?region=330402").json["total"] == 4
    assert sup.get("/api/v1/cases/?region=320500").json["total"] == 0
    assert sup.get(f"/api/v1/cases/?park_id={world.park.id}").json["total"] == 4
    assert sup.get("/api/v1/cases/?status=mediating").json["total"] == 0
    assert sup.get("/api/v1/cases/?q=集体").json["total"] == 1
    assert sup.get(f"/api/v1/cases/?organisation_id={world.township.id}").json["total"] == 4
    assert sup.get("/api/v1/cases/?overdue=false").json["total"] == 4


def test_personal_data_masked_by_role_and_reads_recorded(api: Api, world: World, db: Session) -> None:
    case = _create(api, world)
    worker = lambda j: next(p for p in j["parties"] if p["role"] == "worker")  # noqa: E731
    med = api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}").json
    assert worker(med)["id_number"] == "330402199003070015" and not worker(med)["masked"]
    sup = api.as_(world.supervisor).get(f"/api/v1/cases/{case['id']}").json
    assert worker(sup)["id_number"] == "3304**********0015" and worker(sup)["masked"]
    assert worker(sup)["phone"] == "138****5678"
    parties = api.as_(world.city_supervisor).get(f"/api/v1/cases/{case['id']}/parties").json
    assert all(p["masked"] for p in parties if p["role"] == "worker")
    reads = db.scalars(select(PersonalDataAccess).where(PersonalDataAccess.case_id == case["id"])).all()
    # the clerk's creation response and the mediator's read were unmasked; supervisors' were not
    assert {r.user_id for r in reads} == {world.clerk.id, world.mediator.id}
    assert set(reads[-1].fields) == {"id_number", "phone", "address"}


def test_assignment_suggestions_and_recusal(api: Api, world: World, db: Session) -> None:
    case = _create(api, world)
    r = api.as_(world.mediator2).post("/api/v1/me/conflicts",
                                      json={"enterprise_id": world.enterprise.id, "reason": "亲属在该企业任职"})
    assert r.status_code == 201
    sugg = api.as_(world.supervisor).get(f"/api/v1/cases/{case['id']}/mediator-suggestions").json
    assert [s["user_id"] for s in sugg] == [world.mediator.id, world.mediator2.id]
    assert sugg[1]["conflict"] and "亲属" in sugg[1]["conflict"]
    url = f"/api/v1/cases/{case['id']}/assignment"
    refused = api.as_(world.supervisor).post(url, json={"mediator_id": world.mediator2.id,
                                                        "version": case["version"]})
    assert refused.status_code == 409 and refused.json["code"] == "recusal_required"
    events = api.as_(world.supervisor).get(f"/api/v1/cases/{case['id']}/events").json
    assert events[-1]["event"] == "assignment_refused" and "亲属" in events[-1]["reason"]
    ok = api.as_(world.supervisor).post(url, json={"mediator_id": world.mediator.id,
                                                   "version": refused.json["current_version"]})
    assert ok.status_code == 200 and ok.json["lead_mediator"]["id"] == world.mediator.id
    assert api.as_(world.mediator).post(url, json={"mediator_id": world.mediator.id,
                                                   "version": ok.json["version"]}).status_code == 403


def test_auth_login_token_revoke_and_throttle(api: Api, world: World, client: Any) -> None:
    r = client.post("/api/v1/auth/tokens", json={"username": world.mediator.username, "password": "wrong"})
    assert r.status_code == 401 and r.json["detail"] == "用户名或密码错误"
    from tests.factories import PASSWORD

    r = client.post("/api/v1/auth/tokens", json={"username": world.mediator.username, "password": PASSWORD,
                                                 "name": "脚本"})
    assert r.status_code == 201 and r.json["token"].startswith("lm_")
    token, tid = r.json["token"], r.json["id"]
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=h).json["username"] == world.mediator.username
    assert client.delete(f"/api/v1/auth/tokens/{tid}", headers=h).status_code == 204
    assert client.get("/api/v1/me", headers=h).status_code == 401
    for _ in range(5):
        client.post("/api/v1/auth/login", json={"username": "clerk", "password": "bad"})
    r = client.post("/api/v1/auth/login", json={"username": "clerk", "password": PASSWORD})
    assert r.status_code == 429 and r.headers["Retry-After"] and r.json["code"] == "too_many_attempts"


def test_browser_session_requires_csrf(world: World, client: Any) -> None:
    from tests.factories import PASSWORD

    r = client.post("/api/v1/auth/login", json={"username": world.mediator.username, "password": PASSWORD})
    assert r.status_code == 200
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/api/v1/me").status_code == 200
    r = client.post("/api/v1/cases/", json=application(world))
    assert r.status_code == 400 and r.json["code"] == "csrf_failed"
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200 and "工作台" in page.get_data(as_text=True)


def test_web_login_form(world: World, client: Any) -> None:
    assert client.get("/").status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert client.post("/login", data={"username": "x", "password": "y"}).status_code == 400  # no CSRF token


def test_prefer_return_minimal(api: Api, world: World) -> None:
    case = _create(api, world)
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case['id']}/transitions",
                                     json={"event": "accept", "payload": {"respondent_consents": True}},
                                     headers={"If-Match": f'"{case["version"]}"', "Prefer": "return=minimal"})
    assert r.status_code == 204 and r.data == b"" and r.headers["Preference-Applied"] == "return=minimal"
    assert r.headers["ETag"] == f'"{case["version"] + 1}"'
    detail = api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}").json
    assert detail["status"] == "mediating" and detail["version"] == case["version"] + 1


def test_nul_characters_are_refused_before_reaching_the_database(api: Api, world: World, db: Session) -> None:
    before = db.scalar(select(func.count()).select_from(Case))
    r = api.as_(world.clerk).post("/api/v1/cases/", json=application(world, title="张三\u0000"))
    assert r.status_code == 422 and r.mimetype == "application/problem+json" and "body" in r.json["errors"]
    r = api.as_(world.clerk).get("/api/v1/cases/?q=%00")
    assert r.status_code == 422 and "query" in r.json["errors"]
    assert db.scalar(select(func.count()).select_from(Case)) == before
