"""Every role × endpoint × own/other organisation: exact status codes, no leaks, masking.

World: city federation → 南湖 county → 东栅 township (clerk, mediator, mediator2); city → 秀洲 county
(outsider mediator). ``own`` is a case of the 东栅 township; ``other`` a case of 秀洲.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Case
from tests.factories import World, application
from tests.fixtures import Api

ROLES = ["clerk", "mediator", "outsider", "supervisor", "city_supervisor", "admin", "anonymous"]

# expected status per role for (endpoint, which case)
READ_OWN = {"clerk": 200, "mediator": 200, "outsider": 404, "supervisor": 200, "city_supervisor": 200, "admin": 200,
            "anonymous": 401}
READ_OTHER = {"clerk": 404, "mediator": 404, "outsider": 200, "supervisor": 404, "city_supervisor": 200,
              "admin": 200, "anonymous": 401}
# The committee's own acts (withdrawing, accepting…): its clerks and mediators; supervisors and administrators of
# the county and the city above it see the case but may not act for the committee (403 naming why).
ACT_OWN = {"clerk": 200, "mediator": 200, "outsider": 404, "supervisor": 403, "city_supervisor": 403,
           "admin": 403, "anonymous": 401}
ACT_OTHER = {**READ_OTHER, "city_supervisor": 403, "admin": 403}
# The early report of a collective dispute: the committee's clerk and mediator, and the supervisors above it.
ESCALATE_OWN = {"clerk": 200, "mediator": 200, "outsider": 404, "supervisor": 200, "city_supervisor": 200,
                "admin": 200, "anonymous": 401}
ASSIGN_OWN = {"clerk": 403, "mediator": 403, "outsider": 404, "supervisor": 200, "city_supervisor": 200,
              "admin": 200, "anonymous": 401}
SUGGEST_OWN = ASSIGN_OWN
USERS = {"clerk": 403, "mediator": 403, "outsider": 403, "supervisor": 403, "city_supervisor": 403, "admin": 200,
         "anonymous": 401}
ANY_USER = {r: (401 if r == "anonymous" else 200) for r in ROLES}
UNMASKED = {"clerk": True, "mediator": True, "supervisor": False, "city_supervisor": False, "admin": False,
            "outsider": True}


@pytest.fixture
def cases(db: Session, world: World) -> dict[str, Case]:
    own = svc.create_case(db, actor=world.actor(world.clerk), data=application(world), env=world.env)
    other = svc.create_case(db, actor=world.actor(world.outsider),
                            data=application(world, organisation_id=world.other_county.id), env=world.env)
    return {"own": own, "other": other}


def _user(world: World, role: str) -> Any:
    return None if role == "anonymous" else getattr(world, role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("which", "expected"), [("own", READ_OWN), ("other", READ_OTHER)])
@pytest.mark.parametrize("suffix", ["", "/events", "/parties", "/sessions"])
def test_case_reads(api: Api, world: World, cases: dict[str, Case], role: str, which: str,
                    expected: dict[str, int], suffix: str) -> None:
    case = cases[which]
    r = api.as_(_user(world, role)).get(f"/api/v1/cases/{case.id}{suffix}")
    assert r.status_code == expected[role], (role, which, suffix, r.json)
    if r.status_code == 404:
        assert case.number not in r.get_data(as_text=True)  # no existence leak
    if r.status_code == 200 and suffix in ("", "/parties"):
        parties = r.json["parties"] if suffix == "" else r.json
        worker = next(p for p in parties if p["role"] == "worker")
        assert worker["masked"] is not UNMASKED[role]
        assert (worker["id_number"] == "330402199003070015") is UNMASKED[role]


@pytest.mark.parametrize("role", ROLES)
def test_case_list_scope(api: Api, world: World, cases: dict[str, Case], role: str) -> None:
    r = api.as_(_user(world, role)).get("/api/v1/cases/")
    assert r.status_code == ANY_USER[role]
    if r.status_code == 200:
        ids = {c["id"] for c in r.json["items"]}
        assert (cases["own"].id in ids) is (READ_OWN[role] == 200)
        assert (cases["other"].id in ids) is (READ_OTHER[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_transition_on_own_case(api: Api, db: Session, world: World, cases: dict[str, Case], role: str) -> None:
    case = cases["own"]
    r = api.as_(_user(world, role)).post(f"/api/v1/cases/{case.id}/transitions",
                                         json={"event": "withdraw", "payload": {"reason": "撤回"},
                                               "version": case.version})
    assert r.status_code == ACT_OWN[role], (role, r.json)
    if r.status_code == 403:
        assert r.mimetype == "application/problem+json" and r.json["code"] == "role_not_allowed"
        assert "撤回申请" in r.json["detail"] and "所属调解组织" in r.json["detail"]
        db.expire_all()
        assert db.get(Case, case.id).status == "applied"  # type: ignore[union-attr]


@pytest.mark.parametrize("role", ROLES)
def test_committee_acts_agree_everywhere(api: Api, world: World, cases: dict[str, Case], role: str) -> None:
    """受理 through the REST API as the case page offers it: "what can I do now" lists it for the committee's
    mediator only, and firing it answers as that list says."""
    case = cases["own"]
    who = api.as_(_user(world, role))
    r = who.get(f"/api/v1/cases/{case.id}")
    if r.status_code != 200:
        assert r.status_code == READ_OWN[role]
        return
    accept = next(o for o in r.json["available_events"] if o["event"] == "accept")
    assert accept["role_allowed"] is (role == "mediator"), (role, accept)
    if role in ("supervisor", "city_supervisor", "admin"):
        assert any("所属调解组织" in b["reason"] for b in accept["blockers"])
    r = who.post(f"/api/v1/cases/{case.id}/transitions",
                 json={"event": "accept", "payload": {"respondent_consents": True}, "version": case.version})
    assert r.status_code == (200 if role == "mediator" else 403), (role, r.json)


@pytest.mark.parametrize("role", ROLES)
def test_escalating_a_collective_dispute(api: Api, db: Session, world: World, role: str) -> None:
    case = svc.create_case(db, actor=world.actor(world.clerk), data=application(world, workers_count=12,
                                                                                 is_collective=True), env=world.env)
    r = api.as_(_user(world, role)).post(f"/api/v1/cases/{case.id}/transitions",
                                         json={"event": "escalate", "payload": {}, "version": case.version})
    assert r.status_code == ESCALATE_OWN[role], (role, r.json)


@pytest.mark.parametrize("role", ROLES)
def test_transition_on_other_case(api: Api, world: World, cases: dict[str, Case], role: str) -> None:
    case = cases["other"]
    r = api.as_(_user(world, role)).post(f"/api/v1/cases/{case.id}/transitions",
                                         json={"event": "withdraw", "payload": {"reason": "撤回"},
                                               "version": case.version})
    assert r.status_code == ACT_OTHER[role], (role, r.json)


@pytest.mark.parametrize("role", ROLES)
def test_assignment(api: Api, world: World, cases: dict[str, Case], role: str) -> None:
    case = cases["own"]
    who = api.as_(_user(world, role))
    assert who.get(f"/api/v1/cases/{case.id}/mediator-suggestions").status_code == SUGGEST_OWN[role]
    r = who.post(f"/api/v1/cases/{case.id}/assignment", json={"mediator_id": world.mediator.id,
                                                               "version": case.version})
    assert r.status_code == ASSIGN_OWN[role], (role, r.json)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("url", "expected"), [
    ("/api/v1/users", USERS), ("/api/v1/me", ANY_USER), ("/api/v1/organisations", ANY_USER),
    ("/api/v1/enterprises", ANY_USER), ("/api/v1/workflows", ANY_USER), ("/api/v1/workflows/1", ANY_USER),
])
def test_reference_endpoints(api: Api, world: World, role: str, url: str, expected: dict[str, int]) -> None:
    assert api.as_(_user(world, role)).get(url).status_code == expected[role]


@pytest.mark.parametrize("role", ROLES)
def test_user_creation_is_admin_only(api: Api, world: World, role: str) -> None:
    body = {"username": f"new_{role}", "display_name": "新用户", "role": "mediator",
            "organisation_id": world.township.id, "password": "long-enough-pw"}
    r = api.as_(_user(world, role)).post("/api/v1/users", json=body)
    assert r.status_code == {**USERS, "admin": 201}[role], r.json
    if role == "admin":
        assert "password" not in r.json and "password_hash" not in r.json


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "suffix", "body", "ok"), [
    ("get", "", None, 200),
    ("patch", "", {"display_name": "改名"}, 200),
    ("post", "/deactivate", None, 200),
    ("post", "/reactivate", None, 200),
    ("post", "/password", {"password": "a-new-password"}, 204),
    ("get", "/events", None, 200),
])
def test_user_administration_is_admin_only(api: Api, world: World, role: str, method: str, suffix: str,
                                           body: Any, ok: int) -> None:
    who = api.as_(_user(world, role))
    url = f"/api/v1/users/{world.mediator2.id}{suffix}"
    r = who.get(url) if method == "get" else getattr(who, method)(url, json=body)
    assert r.status_code == {**USERS, "admin": ok}[role], (role, method, suffix, r.get_data(as_text=True))
    if role == "admin" and method != "get" and suffix != "/reactivate":  # reactivating an active user: no change
        events = who.get(f"/api/v1/users/{world.mediator2.id}/events").json
        assert events and events[-1]["actor_id"] == world.admin.id


@pytest.mark.parametrize("role", ROLES)
def test_own_password_change_needs_a_login_and_the_current_password(api: Api, world: World, role: str) -> None:
    r = api.as_(_user(world, role)).post("/api/v1/me/password", json={"current_password": "wrong-password",
                                                                      "new_password": "a-new-password"})
    assert r.status_code == (401 if role == "anonymous" else 422), r.json


# Parties after intake: the roles that may read personal data write it (policy "edit_parties");
# supervisors and administrators may read the case but not change its parties.
EDIT_PARTIES_OWN = {"clerk": 201, "mediator": 201, "outsider": 404, "supervisor": 403, "city_supervisor": 403,
                    "admin": 403, "anonymous": 401}
EDIT_PARTIES_OTHER = {"clerk": 404, "mediator": 404, "outsider": 201, "supervisor": 404, "city_supervisor": 403,
                      "admin": 403, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("which", "expected"), [("own", EDIT_PARTIES_OWN), ("other", EDIT_PARTIES_OTHER)])
def test_party_writes(api: Api, db: Session, world: World, cases: dict[str, Case], role: str, which: str,
                      expected: dict[str, int]) -> None:
    from mediation.cases import parties as party_svc

    case = cases[which]
    editor = world.clerk if which == "own" else world.outsider
    case, extra = party_svc.add_party(db, case_id=case.id, actor=world.actor(editor), expected_version=case.version,
                                      data={"role": "worker", "name": "王五"}, env=world.env)
    who = api.as_(_user(world, role))
    base = f"/api/v1/cases/{case.id}/parties"
    r = who.post(base, json={"role": "worker", "name": "赵六", "version": case.version})
    assert r.status_code == expected[role], (role, which, r.json)
    version = r.json["case_version"] if r.status_code == 201 else case.version
    ok = {k: (200 if v == 201 else v) for k, v in expected.items()}
    r = who.patch(f"{base}/{extra.id}", json={"name": "王小五", "version": version})
    assert r.status_code == ok[role], (role, which, r.json)
    version = r.json["case_version"] if r.status_code == 200 else version
    r = who.delete(f"{base}/{extra.id}?version={version}")
    assert r.status_code == {k: (204 if v == 201 else v) for k, v in expected.items()}[role], (role, which)


def test_organisations_are_scoped(api: Api, world: World) -> None:
    names = {o["name"] for o in api.as_(world.supervisor).get("/api/v1/organisations").json}
    assert world.township.name in names and world.other_county.name not in names
    names = {o["name"] for o in api.as_(world.mediator).get("/api/v1/organisations").json}
    assert names == {world.township.name}


# --- administrators act in their subtree; global objects need a national-level administrator -----------------
# ``admin`` sits at the city federation, the root of the world's only tree (national level); ``county_admin`` at
# 南湖 (the township's county); ``other_admin`` at 秀洲 (the outsider's county).
ADMIN_ROLES = [*ROLES, "county_admin", "other_admin"]


@pytest.fixture
def admins(db: Session, world: World) -> dict[str, Any]:
    from mediation.accounts.users import create_user
    from tests.factories import PASSWORD, PASSWORD_HASH

    def admin(name: str, org: Any) -> Any:
        return create_user(db, username=name, password=PASSWORD, password_hash=PASSWORD_HASH, display_name=name,
                           role="admin", organisation_id=org.id)

    return {"county_admin": admin("county_admin", world.county),
            "other_admin": admin("other_admin", world.other_county)}


def _anyone(world: World, admins: dict[str, Any], role: str) -> Any:
    return admins[role] if role in admins else _user(world, role)


REVOKE_TOWNSHIP_TOKEN = {"clerk": 404, "mediator": 404, "outsider": 404, "supervisor": 404, "city_supervisor": 404,
                         "admin": 204, "anonymous": 401, "county_admin": 204, "other_admin": 404}


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_token_revocation_is_own_or_in_the_admins_subtree(api: Api, db: Session, world: World,
                                                          admins: dict[str, Any], role: str) -> None:
    from mediation.accounts.tokens import issue_token

    row, plain = issue_token(db, user=world.mediator2, name="脚本")
    r = api.as_(_anyone(world, admins, role)).delete(f"/api/v1/auth/tokens/{row.id}")
    assert r.status_code == REVOKE_TOWNSHIP_TOKEN[role], (role, r.get_data(as_text=True))
    still = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code
    assert still == (401 if r.status_code == 204 else 200)
    if role != "anonymous":  # everyone revokes their own
        own, _ = issue_token(db, user=_anyone(world, admins, role), name="自己的")
        assert api.as_(_anyone(world, admins, role)).delete(f"/api/v1/auth/tokens/{own.id}").status_code == 204


USER_ADMIN_IN_TOWNSHIP = {**{r: 403 for r in ROLES}, "anonymous": 401, "admin": 200, "county_admin": 200,
                          "other_admin": 404}


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_user_administration_stays_in_the_subtree(api: Api, world: World, admins: dict[str, Any], role: str) -> None:
    who = api.as_(_anyone(world, admins, role))
    r = who.patch(f"/api/v1/users/{world.mediator2.id}", json={"display_name": "改名"})
    assert r.status_code == USER_ADMIN_IN_TOWNSHIP[role], (role, r.json)
    r = who.post(f"/api/v1/users/{world.mediator2.id}/password", json={"password": "reset-by-an-admin"})
    assert r.status_code == {**USER_ADMIN_IN_TOWNSHIP, "admin": 204, "county_admin": 204}[role], (role, r.json)
    body = {"username": f"made_by_{role}", "display_name": "新用户", "role": "mediator",
            "organisation_id": world.township.id, "password": "long-enough-pw"}
    r = who.post("/api/v1/users", json=body)
    assert r.status_code == {**USER_ADMIN_IN_TOWNSHIP, "admin": 201, "county_admin": 201, "other_admin": 422}[role]


RULES_WRITE = {**{r: 403 for r in ADMIN_ROLES}, "anonymous": 401, "admin": 201}


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_risk_rule_sets_need_a_national_admin(api: Api, world: World, admins: dict[str, Any], role: str) -> None:
    from mediation.risk.rules import DEFAULT_RULES_JSON

    r = api.as_(_anyone(world, admins, role)).post("/api/v1/risk/rules", json={
        "rules": DEFAULT_RULES_JSON, "note": "复核", "activate": True})
    assert r.status_code == RULES_WRITE[role], (role, r.get_data(as_text=True))
    if r.status_code == 403:
        assert r.mimetype == "application/problem+json" and "全国" in r.json["detail"]


def test_a_root_admin_beside_another_tree_is_not_national(api: Api, db: Session, world: World) -> None:
    """Two provinces side by side: the administrator of one may not change the rules the other works under."""
    from mediation.accounts.organisations import create_organisation
    from mediation.risk.rules import DEFAULT_RULES_JSON

    create_organisation(db, name="江苏省总工会", kind="federation", level="province", region_code="320000")
    db.commit()
    r = api.as_(world.admin).post("/api/v1/risk/rules", json={"rules": DEFAULT_RULES_JSON, "note": "复核"})
    assert r.status_code == 403, r.json
