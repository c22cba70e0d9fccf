"""QA #14: user administration — unique case-insensitive usernames, clean display names and phones,
deactivation (no login, sessions and tokens stop working), role/organisation changes, password reset
and change; admin-only, audited, problem+json errors, and the command line."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mediation.accounts import users as svc
from mediation.accounts.organisations import create_organisation
from mediation.accounts.tokens import issue_token, user_for_token
from mediation.cli.main import main
from mediation.db.models import User
from mediation.db.models_access import ApiToken, UserAdminEvent
from mediation.domain.errors import DuplicateError, NotFound, PermissionDenied, ValidationFailed
from tests.factories import PASSWORD, World
from tests.fixtures import Api
from tests.helpers import browser_login


def _new(world: World, **kw: Any) -> dict[str, Any]:
    return {"username": "qa_user1", "display_name": "测试用户", "role": "mediator",
            "organisation_id": world.township.id, "password": "long-enough-pw", **kw}


def test_usernames_are_normalised_and_unique_whatever_their_case(api: Api, db: Session, world: World) -> None:
    admin = api.as_(world.admin)
    r = admin.post("/api/v1/users", json=_new(world, username="QA_User1"))
    assert r.status_code == 201, r.json
    assert r.json["username"] == "qa_user1"
    dup = admin.post("/api/v1/users", json=_new(world, username="QA_USER1"))
    assert dup.status_code == 409 and dup.mimetype == "application/problem+json"
    assert "不区分大小写" in dup.json["detail"]
    with pytest.raises(DuplicateError):
        svc.create_user(db, username="Qa_User1", password="long-enough-pw", display_name="x", role="clerk",
                        organisation_id=world.township.id)
    # login is case-insensitive too
    assert svc.authenticate(db, "QA_USER1", "long-enough-pw") is not None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("display_name", "   ", "姓名不能为空"),
    ("phone", "not-a-phone", "电话号码格式不正确"),
])
def test_blank_names_and_bad_phones_are_refused(api: Api, db: Session, world: World, field: str, value: str,
                                                message: str) -> None:
    r = api.as_(world.admin).post("/api/v1/users", json=_new(world, **{field: value}))
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert message in str(r.json["errors"][field])
    assert db.scalar(select(User).where(User.username == "qa_user1")) is None


def test_display_name_is_stripped(db: Session, world: World) -> None:
    u = svc.create_user(db, username="wang", password="long-enough-pw", display_name="  王  调解 ", role="clerk",
                        organisation_id=world.township.id, phone=" 138 1234 5678 ")
    assert (u.display_name, u.phone) == ("王 调解", "13812345678")


def test_deactivated_users_cannot_log_in_and_their_tokens_stop(api: Api, db: Session, world: World,
                                                                client: Any) -> None:
    _, token = issue_token(db, user=world.mediator2, name="机器")
    me = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=me).status_code == 200
    r = api.as_(world.admin).post(f"/api/v1/users/{world.mediator2.id}/deactivate")
    assert r.status_code == 200 and r.json["active"] is False
    assert client.get("/api/v1/me", headers=me).status_code == 401
    db.expire_all()  # changed through the app's own session
    assert user_for_token(db, token) is None
    assert svc.authenticate(db, "mediator2", PASSWORD) is None
    login = client.post("/api/v1/auth/login", json={"username": "mediator2", "password": PASSWORD})
    assert login.status_code == 401
    r = api.as_(world.admin).post(f"/api/v1/users/{world.mediator2.id}/reactivate")
    assert r.status_code == 200 and r.json["active"] is True
    assert client.get("/api/v1/me", headers=me).status_code == 200
    db.expire_all()
    actions = [e.action for e in db.scalars(select(UserAdminEvent).where(
        UserAdminEvent.user_id == world.mediator2.id).order_by(UserAdminEvent.id))]
    assert actions == ["create", "deactivate", "reactivate"]


def test_a_deactivated_users_browser_session_stops(api: Api, world: World, app: Any) -> None:
    browser = app.test_client()  # the mediator's browser (the admin uses the api client)
    browser_login(browser, world.mediator2)
    assert browser.get("/api/v1/me").status_code == 200
    r = api.as_(world.admin).post(f"/api/v1/users/{world.mediator2.id}/deactivate")
    assert r.status_code == 200, r.json
    assert browser.get("/api/v1/me").status_code == 401
    # reactivation does not revive the sessions the deactivation ended
    assert api.as_(world.admin).post(f"/api/v1/users/{world.mediator2.id}/reactivate").status_code == 200
    assert browser.get("/api/v1/me").status_code == 401


def test_role_organisation_and_name_changes_are_audited(api: Api, db: Session, world: World) -> None:
    admin = api.as_(world.admin)
    r = admin.patch(f"/api/v1/users/{world.mediator2.id}",
                    json={"role": "supervisor", "organisation_id": world.county.id, "display_name": " 李督导 "})
    assert r.status_code == 200, r.json
    assert (r.json["role"], r.json["organisation_id"], r.json["display_name"]) == ("supervisor", world.county.id,
                                                                                   "李督导")
    events = admin.get(f"/api/v1/users/{world.mediator2.id}/events").json
    last = events[-1]
    assert last["action"] == "update" and last["actor_id"] == world.admin.id
    assert last["details"]["before"]["role"] == "mediator" and last["details"]["after"]["role"] == "supervisor"
    # refusals: an empty change, a role nobody may have, an organisation outside the admin's subtree
    assert admin.patch(f"/api/v1/users/{world.mediator2.id}", json={}).status_code == 422
    assert admin.patch(f"/api/v1/users/{world.mediator2.id}", json={"role": "system"}).status_code == 422
    assert admin.patch(f"/api/v1/users/{world.mediator2.id}", json={"display_name": "  "}).status_code == 422


def test_admins_cannot_lock_themselves_out(db: Session, world: World) -> None:
    actor = world.actor(world.admin)
    for changes, field in (({"active": False}, "active"), ({"role": "clerk"}, "role")):
        with pytest.raises(ValidationFailed) as exc:
            svc.update_user(db, actor=actor, user_id=world.admin.id, changes=changes)
        assert field in exc.value.errors
    db.refresh(world.admin)
    assert world.admin.active and world.admin.role == "admin"


def test_scope_and_policy(db: Session, world: World) -> None:
    county_admin = svc.create_user(db, username="county_admin", password="long-enough-pw", display_name="区管理员",
                                   role="admin", organisation_id=world.county.id)
    actor = svc.actor_for(county_admin)
    with pytest.raises(NotFound):  # the city's users are above this administrator
        svc.set_active(db, actor=actor, user_id=world.city_supervisor.id, active=False)
    with pytest.raises(ValidationFailed):
        svc.update_user(db, actor=actor, user_id=world.mediator2.id, changes={"organisation_id": world.city.id})
    with pytest.raises(PermissionDenied):
        svc.set_active(db, actor=world.actor(world.supervisor), user_id=world.mediator2.id, active=False)


def test_password_reset_and_own_change(api: Api, db: Session, world: World, client: Any) -> None:
    _, token = issue_token(db, user=world.mediator2, name="机器")
    r = api.as_(world.admin).post(f"/api/v1/users/{world.mediator2.id}/password", json={"password": "short"})
    assert r.status_code == 422
    r = api.as_(world.admin).post(f"/api/v1/users/{world.mediator2.id}/password",
                                  json={"password": "reset-by-admin-1"})
    assert r.status_code == 204
    db.expire_all()  # changed through the app's own session
    assert svc.authenticate(db, "mediator2", PASSWORD) is None
    assert svc.authenticate(db, "mediator2", "reset-by-admin-1") is not None
    assert user_for_token(db, token) is None  # tokens revoked with the reset
    assert db.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == world.mediator2.id)) is not None

    me = api.as_(world.mediator)
    wrong = me.post("/api/v1/me/password", json={"current_password": "nope-nope", "new_password": "another-pass-1"})
    assert wrong.status_code == 422 and "当前密码不正确" in str(wrong.json["errors"])
    ok = me.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "another-pass-1"})
    assert ok.status_code == 204
    db.expire_all()
    assert svc.authenticate(db, "mediator", "another-pass-1") is not None
    assert db.scalar(select(UserAdminEvent.action).where(UserAdminEvent.user_id == world.mediator.id)
                     .order_by(UserAdminEvent.id.desc()).limit(1)) == "change_password"


def test_cli_deactivate_reactivate_and_reset(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    with Session(committing_engine) as s:
        org = create_organisation(s, name="命令行总工会", kind="federation", level="city", region_code="330400")
        s.commit()
        svc.create_user(s, username="cli_user", password="long-enough-pw", display_name="命令行",
                        role="mediator", organisation_id=org.id)
    runner = CliRunner()
    r = runner.invoke(main, ["user", "deactivate", "--username", "CLI_USER"], catch_exceptions=False)
    assert r.exit_code == 0 and "已停用" in r.output, r.output
    with Session(committing_engine) as s:
        assert svc.authenticate(s, "cli_user", "long-enough-pw") is None
    r = runner.invoke(main, ["user", "reactivate", "--username", "cli_user"], catch_exceptions=False)
    assert r.exit_code == 0
    r = runner.invoke(main, ["user", "reset-password", "--username", "cli_user", "--password", "from-the-cli-1"],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with Session(committing_engine) as s:
        assert svc.authenticate(s, "cli_user", "from-the-cli-1") is not None
        user = svc.find_user(s, "cli_user")
        assert user is not None
        actions = [(e.action, e.actor_id) for e in s.scalars(select(UserAdminEvent).where(
            UserAdminEvent.user_id == user.id).order_by(UserAdminEvent.id))]
        assert actions == [("create", None), ("deactivate", None), ("reactivate", None), ("reset_password", None)]
    r = runner.invoke(main, ["user", "deactivate", "--username", "nobody"], catch_exceptions=False)
    assert r.exit_code != 0 and "不存在" in r.output


def test_a_password_reset_ends_the_users_browser_sessions(api: Api, world: World, app: Any) -> None:
    browser = app.test_client()
    r = browser.post("/api/v1/auth/login", json={"username": "mediator2", "password": PASSWORD})
    assert r.status_code == 200, r.json
    assert browser.get("/api/v1/me").status_code == 200
    r = api.as_(world.admin).post(f"/api/v1/users/{world.mediator2.id}/password",
                                  json={"password": "reset-by-admin-2"})
    assert r.status_code == 204
    assert browser.get("/api/v1/me").status_code == 401
    r = browser.post("/api/v1/auth/login", json={"username": "MEDIATOR2", "password": "reset-by-admin-2"})
    assert r.status_code == 200
    assert browser.get("/api/v1/me").status_code == 200
