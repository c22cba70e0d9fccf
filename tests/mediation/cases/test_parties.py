"""QA #1: parties after intake (API, service, case-page form), several workers/representatives at intake,
and a collective dispute registered without representatives getting them and then being accepted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.cases import parties as party_svc
from mediation.cases import service as svc
from mediation.db.models import Case, CaseEvent, Party
from mediation.db.models_access import PersonalDataAccess
from mediation.domain.clock import china_today
from mediation.domain.errors import ConflictError, PermissionDenied, ValidationFailed
from tests.factories import World, application, new_case
from tests.fixtures import Api
from tests.helpers import csrf_token, ui_get

TODAY = dt.date(2025, 10, 20)
REP_ID = "11010519491231002X"  # check character valid (GB 11643)


def _collective(db: Session, world: World, today: dt.date = TODAY) -> Case:
    return svc.create_case(db, actor=world.actor(world.clerk), today=today, data=application(
        world, workers_count=15, title="十五名职工追索工资",
        parties=[{"role": "worker", "name": "集体代表甲"}, {"role": "employer", "name": world.enterprise.name}]),
                           env=world.env)


def _accept_payload(world: World) -> dict[str, Any]:
    return {"respondent_consents": True, "mediator_id": world.mediator.id}


def test_service_adds_a_representative_records_it_and_bumps_the_version(db: Session, world: World) -> None:
    case = _collective(db, world)
    version, status, events = case.version, case.status, case.last_event_seq
    case, rep = party_svc.add_party(db, case_id=case.id, actor=world.actor(world.clerk), expected_version=version,
                                    data={"role": "representative", "name": " 李代表 ", "id_number": REP_ID.lower(),
                                          "phone": "13900001111"}, env=world.env)
    assert (rep.name, rep.id_number) == ("李代表", REP_ID)
    assert case.status == status and case.version == version + 1 and case.last_event_seq == events + 1
    ev = db.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc()).limit(1))
    assert ev is not None and (ev.event, ev.from_state, ev.to_state) == ("party_added", status, status)
    assert ev.payload == {"party_id": rep.id, "role": "representative", "name": "李代表"}  # no personal data
    # a stale version is a conflict, and nothing is written
    with pytest.raises(ConflictError):
        party_svc.add_party(db, case_id=case.id, actor=world.actor(world.clerk), expected_version=version,
                            data={"role": "worker", "name": "王五"}, env=world.env)
    assert db.scalar(select(func.count()).select_from(Party).where(Party.case_id == case.id)) == 3


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"role": "worker", "name": "王五", "id_number": "110105194912310021"}, "id_number", "校验位"),
    ({"role": "worker", "name": "王五", "phone": "12345"}, "phone", "电话号码格式不正确"),
    ({"role": "worker", "name": "   "}, "name", "不能为空"),
    ({"role": "agent", "name": "赵律师"}, "represents_id", "代理"),
    ({"role": "employer", "name": "另一家公司"}, "role", "已登记用人单位"),
])
def test_the_same_validation_as_intake(db: Session, world: World, data: dict[str, Any], field: str,
                                       message: str) -> None:
    case = _collective(db, world)
    with pytest.raises(ValidationFailed) as exc:
        party_svc.add_party(db, case_id=case.id, actor=world.actor(world.clerk), data=data,
                            expected_version=case.version, env=world.env)
    assert message in str(exc.value.errors[field])


def test_representatives_only_for_collective_disputes(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    with pytest.raises(ValidationFailed) as exc:
        party_svc.add_party(db, case_id=case.id, actor=world.actor(world.mediator), expected_version=case.version,
                            data={"role": "representative", "name": "李代表"}, env=world.env)
    assert "集体争议" in exc.value.errors["role"][0]


def test_agents_correction_and_removal(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    worker = case.parties_with_role("worker")[0]
    actor = world.actor(world.mediator)
    case, agent = party_svc.add_party(db, case_id=case.id, actor=actor, expected_version=case.version,
                                      data={"role": "agent", "name": "赵律师", "represents_id": worker.id,
                                            "agent_kind": "委托代理"}, env=world.env)
    assert agent.represents_id == worker.id
    case, agent = party_svc.update_party(db, case_id=case.id, party_id=agent.id, actor=actor,
                                         expected_version=case.version, data={"phone": "13700001234"})
    assert agent.phone == "13700001234" and agent.name == "赵律师"  # only the field sent changed
    with pytest.raises(ConflictError, match="代理人"):  # the worker has an agent
        party_svc.remove_party(db, case_id=case.id, party_id=worker.id, actor=actor, expected_version=case.version)
    case = party_svc.remove_party(db, case_id=case.id, party_id=agent.id, actor=actor, expected_version=case.version)
    with pytest.raises(ConflictError, match="唯一"):  # the only worker stays
        party_svc.remove_party(db, case_id=case.id, party_id=worker.id, actor=actor, expected_version=case.version)
    events = [e.event for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                          .order_by(CaseEvent.seq))]
    assert events[-3:] == ["party_added", "party_updated", "party_removed"]


def test_closed_cases_and_supervisors_cannot_change_parties(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    with pytest.raises(PermissionDenied):
        party_svc.add_party(db, case_id=case.id, actor=world.actor(world.supervisor), expected_version=case.version,
                            data={"role": "worker", "name": "王五"}, env=world.env)
    case = svc.fire_event(db, case_id=case.id, event="withdraw", actor=world.actor(world.clerk),
                          payload={"reason": "撤回"}, today=TODAY, env=world.env)
    with pytest.raises(ConflictError, match="不能再变更当事人"):
        party_svc.add_party(db, case_id=case.id, actor=world.actor(world.clerk), expected_version=case.version,
                            data={"role": "worker", "name": "王五"}, env=world.env)


# --- API ------------------------------------------------------------------------------------------------

def test_api_add_with_version_idempotency_masking_and_history(api: Api, db: Session, world: World) -> None:
    case = _collective(db, world)
    clerk = api.as_(world.clerk)
    url = f"/api/v1/cases/{case.id}/parties"
    body = {"role": "representative", "name": "李代表", "id_number": REP_ID, "phone": "13900001111"}
    assert clerk.post(url, json=body).status_code == 428  # no version
    stale = clerk.post(url, json={**body, "version": case.version + 5})
    assert stale.status_code == 409 and stale.mimetype == "application/problem+json"
    key = {"Idempotency-Key": "rep-1"}
    r = clerk.post(url, json={**body, "version": case.version}, headers=key)
    assert r.status_code == 201, r.json
    assert r.json["masked"] is True and r.json["id_number"] != REP_ID  # write responses are masked
    assert r.headers["ETag"] == f'"{case.version + 1}"' and r.json["case_version"] == case.version + 1
    assert r.headers["Location"].endswith(f"/parties/{r.json['id']}")
    again = clerk.post(url, json={**body, "version": case.version}, headers=key)
    assert again.status_code == 201 and again.json["id"] == r.json["id"]  # replayed, not added twice
    assert db.scalar(select(func.count()).select_from(Party).where(Party.role == "representative")) == 1
    bad = clerk.post(url, json={"role": "worker", "name": "王五", "phone": "12345", "version": case.version + 1})
    assert bad.status_code == 422 and "phone" in bad.json["errors"]
    # the full particulars are read (and recorded) through GET
    listed = clerk.get(url).json
    assert any(p["id_number"] == REP_ID for p in listed)
    assert db.scalar(select(func.count()).select_from(PersonalDataAccess)
                     .where(PersonalDataAccess.case_id == case.id)) >= 1
    assert "登记当事人" in clerk.get(f"/api/v1/cases/{case.id}/events").json[-1]["event_label"]


def test_api_patch_and_delete(api: Api, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    med = api.as_(world.mediator)
    r = med.post(f"/api/v1/cases/{case.id}/parties", json={"role": "worker", "name": "王五", "version": case.version})
    pid, version = r.json["id"], r.json["case_version"]
    r = med.patch(f"/api/v1/cases/{case.id}/parties/{pid}", json={"name": "王小五"},
                  headers={"If-Match": f'"{version}"'})
    assert r.status_code == 200 and r.json["name"] == "王小五"
    version = r.json["case_version"]
    assert med.patch(f"/api/v1/cases/{case.id}/parties/{pid}", json={"role": "agent", "version": version}
                     ).status_code == 422  # the role is not changed by a correction
    assert med.delete(f"/api/v1/cases/{case.id}/parties/{pid}?version={version - 1}").status_code == 409
    r = med.delete(f"/api/v1/cases/{case.id}/parties/{pid}?version={version}")
    assert r.status_code == 204 and r.headers["ETag"] == f'"{version + 1}"'
    assert med.delete(f"/api/v1/cases/{case.id}/parties/{pid}?version={version + 1}").status_code == 404


def test_collective_case_gets_representatives_then_is_accepted_end_to_end(api: Api, db: Session,
                                                                          world: World) -> None:
    clerk = api.as_(world.clerk)
    data = application(world, workers_count=15, title="十五名职工追索工资", dispute_arose_on=None,
                       parties=[{"role": "worker", "name": "集体代表甲"},
                                {"role": "employer", "name": world.enterprise.name}])
    case = clerk.post("/api/v1/cases/", json=data).json
    assert case["is_collective"]
    med = api.as_(world.mediator)
    before = med.get(f"/api/v1/cases/{case['id']}").json
    accept = next(o for o in before["available_events"] if o["event"] == "accept")
    assert not accept["allowed"]
    assert any("representatives" in b["guard"] for b in accept["blockers"]), accept["blockers"]
    for name in ("李代表", "张代表", "王代表"):
        r = clerk.post(f"/api/v1/cases/{case['id']}/parties",
                       json={"role": "representative", "name": name, "version": case["version"]})
        assert r.status_code == 201, r.json
        case["version"] = r.json["case_version"]
    detail = med.get(f"/api/v1/cases/{case['id']}").json
    accept = next(o for o in detail["available_events"] if o["event"] == "accept")
    assert accept["allowed"], accept
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case['id']}/transitions", json={
        "event": "accept", "payload": _accept_payload(world), "version": detail["version"]})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "mediating"
    assert [p["role"] for p in r.json["parties"]].count("representative") == 3


# --- web UI ---------------------------------------------------------------------------------------------

def test_intake_form_takes_several_workers_and_representatives(db: Session, world: World, client: Any) -> None:
    page = ui_get(client, world.clerk, "/ui/intake")
    assert 'name="extra_name"' in page.get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "source": "walk_in_written", "category": "remuneration",
            "worker_name": "集体代表甲", "new_ent_name": "某集体公司", "workers_unlisted": "11",
            "requests": "支付拖欠的工资（全体劳动者的共同请求）",
            "claim_type": "wages", "claim_amount": "150000",
            "extra_role": ["representative", "representative", "worker", "representative", "representative"],
            "extra_name": ["李代表", "张代表", "王五", "", ""],
            "extra_id_number": [REP_ID, "", "", "", ""], "extra_phone": ["13900001111", "", "", "", ""]}
    r = client.post("/ui/intake", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    case = db.scalar(select(Case).where(Case.title.like("集体代表甲%")))
    assert case is not None and case.is_collective
    roles = sorted((p.role, p.name) for p in case.parties)
    assert ("representative", "李代表") in roles and ("representative", "张代表") in roles
    assert ("worker", "王五") in roles and len(roles) == 5
    rep = next(p for p in case.parties if p.name == "李代表")
    assert (rep.id_number, rep.phone) == (REP_ID, "13900001111")


def test_case_page_form_adds_a_representative(db: Session, world: World, client: Any) -> None:
    case = _collective(db, world, china_today())
    page = ui_get(client, world.mediator, f"/ui/cases/{case.id}")
    text = page.get_data(as_text=True)
    assert "登记当事人" in text and 'name="party_role"' in text
    token = csrf_token(page)
    bad = client.post(f"/ui/cases/{case.id}/parties", data={
        "csrf_token": token, "version": str(case.version), "party_role": "representative", "party_name": "李代表",
        "party_id_number": "110105194912310021"})
    assert bad.status_code == 422 and "校验位" in bad.get_data(as_text=True)
    ok = client.post(f"/ui/cases/{case.id}/parties", data={
        "csrf_token": token, "version": str(case.version), "party_role": "representative", "party_name": "李代表",
        "party_id_number": REP_ID, "party_phone": "13900001111"})
    assert ok.status_code == 302
    stale = client.post(f"/ui/cases/{case.id}/parties", data={
        "csrf_token": token, "version": str(case.version), "party_role": "worker", "party_name": "王五"})
    assert stale.status_code == 409
    page = ui_get(client, world.mediator, f"/ui/cases/{case.id}")
    assert "李代表" in page.get_data(as_text=True) and "登记当事人" in page.get_data(as_text=True)


def test_case_page_hides_the_form_from_supervisors(db: Session, world: World, client: Any) -> None:
    case = _collective(db, world, china_today())
    text = ui_get(client, world.supervisor, f"/ui/cases/{case.id}").get_data(as_text=True)
    assert 'name="party_role"' not in text
