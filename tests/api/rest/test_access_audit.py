"""Token revocations (by the holder and by an administrator), browser sessions ended by their user, password
resets and changes, role changes and deactivations are written to the audit log — who, whom, when, from which
client — and an administrator reads the records of their own organisation subtree only."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.accounts.tokens import issue_token
from mediation.accounts.users import create_user, operator_reset_password
from mediation.db.models import User
from mediation.db.models_access import UserAdminEvent
from tests.factories import PASSWORD, World
from tests.fixtures import Api
from tests.helpers import browser_login

ADMIN_IP = "198.51.100.20"
USER_IP = "203.0.113.40"


def _admin(db: Session, name: str, org_id: int) -> User:
    return create_user(db, username=name, password=PASSWORD, display_name=name, role="admin", organisation_id=org_id)


def _events(db: Session, user: User) -> list[UserAdminEvent]:
    db.expire_all()
    return list(db.scalars(select(UserAdminEvent).where(UserAdminEvent.user_id == user.id)
                           .order_by(UserAdminEvent.id)).all())


def _last(db: Session, user: User, action: str) -> UserAdminEvent:
    found = [e for e in _events(db, user) if e.action == action]
    assert found, [e.action for e in _events(db, user)]
    return found[-1]


def _recent(at: dt.datetime) -> bool:
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return abs(dt.datetime.now(dt.UTC) - at) < dt.timedelta(minutes=5)


def test_token_revocations_by_the_holder_and_by_an_administrator_are_audited(api: Api, db: Session,
                                                                               world: World) -> None:
    own, _ = issue_token(db, user=world.clerk, name="扫描仪")
    other, _ = issue_token(db, user=world.clerk, name="报表")
    r = api.as_(world.clerk).delete(f"/api/v1/auth/tokens/{own.id}", environ_base={"REMOTE_ADDR": USER_IP})
    assert r.status_code == 204
    e = _last(db, world.clerk, "revoke_token")
    assert (e.actor_id, e.client, e.details["token_id"], e.details["by"]) == (world.clerk.id, USER_IP, own.id, "holder")
    assert e.details["name"] == "扫描仪" and _recent(e.at)

    r = api.as_(world.admin).delete(f"/api/v1/auth/tokens/{other.id}", environ_base={"REMOTE_ADDR": ADMIN_IP})
    assert r.status_code == 204
    e = _last(db, world.clerk, "revoke_token")
    assert (e.actor_id, e.client, e.details["token_id"], e.details["by"]) == \
        (world.admin.id, ADMIN_IP, other.id, "administrator")
    # revoking again changes nothing and records nothing more
    n = len(_events(db, world.clerk))
    assert api.as_(world.admin).delete(f"/api/v1/auth/tokens/{other.id}").status_code == 204
    assert len(_events(db, world.clerk)) == n
    # someone else's token: 404, nothing recorded
    assert api.as_(world.outsider).delete(f"/api/v1/auth/tokens/{own.id}").status_code == 404
    assert len(_events(db, world.clerk)) == n


def test_the_command_line_revocation_is_audited_as_the_operator(db: Session, world: World) -> None:
    from mediation.accounts.tokens import revoke_token_as_operator

    row, _ = issue_token(db, user=world.mediator, name="cli")
    revoke_token_as_operator(db, token_id=row.id)
    e = _last(db, world.mediator, "revoke_token")
    assert (e.actor_id, e.client, e.details["by"]) == (None, "cli", "operator")


def _csrf(browser: FlaskClient) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").get_data(as_text=True))
    assert m is not None
    return m.group(1)


def test_sessions_ended_by_their_user_are_audited(app: Flask, db: Session, world: World) -> None:
    laptop, phone, tablet = app.test_client(), app.test_client(), app.test_client()
    for c in (laptop, phone, tablet):
        browser_login(c, world.clerk)
    listed = laptop.get("/api/v1/me/sessions").json
    phone_id = next(s["id"] for s in listed if not s["current"])
    headers = {"X-CSRFToken": _csrf(laptop)}
    r = laptop.delete(f"/api/v1/me/sessions/{phone_id}", headers=headers, environ_base={"REMOTE_ADDR": USER_IP})
    assert r.status_code == 204
    e = _last(db, world.clerk, "end_session")
    assert (e.actor_id, e.client, e.details["session_id"]) == (world.clerk.id, USER_IP, phone_id)
    r = laptop.delete("/api/v1/me/sessions", headers=headers, environ_base={"REMOTE_ADDR": USER_IP})
    assert r.status_code == 204
    e = _last(db, world.clerk, "end_other_sessions")
    assert (e.actor_id, e.client, e.details["sessions_ended"]) == (world.clerk.id, USER_IP, 1)
    # nothing left to end: nothing recorded
    n = len(_events(db, world.clerk))
    assert laptop.delete("/api/v1/me/sessions", headers=headers).status_code == 204
    assert len(_events(db, world.clerk)) == n


def test_resets_role_changes_and_deactivations_are_audited_with_the_client(api: Api, db: Session,
                                                                            world: World) -> None:
    admin = api.as_(world.admin)
    ip = {"REMOTE_ADDR": ADMIN_IP}
    assert admin.post(f"/api/v1/users/{world.mediator.id}/password", json={"password": "a-fresh-passphrase-9"},
                      environ_base=ip).status_code == 204
    assert admin.patch(f"/api/v1/users/{world.clerk.id}", json={"role": "mediator"}, environ_base=ip).status_code == 200
    assert admin.post(f"/api/v1/users/{world.mediator2.id}/deactivate", environ_base=ip).status_code == 200
    for user, action in ((world.mediator, "reset_password"), (world.clerk, "update"), (world.mediator2, "deactivate")):
        e = _last(db, user, action)
        assert (e.actor_id, e.client) == (world.admin.id, ADMIN_IP), action
        assert _recent(e.at)
    assert _last(db, world.clerk, "update").details == {"before": {"role": "clerk"}, "after": {"role": "mediator"}}
    # the user's own change, from their client
    me = api.as_(world.supervisor)
    assert me.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "another-passphrase-7"},
                   environ_base={"REMOTE_ADDR": USER_IP}).status_code == 204
    e = _last(db, world.supervisor, "change_password")
    assert (e.actor_id, e.client) == (world.supervisor.id, USER_IP)
    # and the command line
    operator_reset_password(db, username=world.city_supervisor.username, password="operator-passphrase-5")
    e = _last(db, world.city_supervisor, "reset_password")
    assert (e.actor_id, e.client) == (None, "cli")


def test_admins_read_the_audit_of_their_own_subtree_only(api: Api, db: Session, world: World) -> None:
    county_admin = _admin(db, "county_admin", world.county.id)
    other_admin = _admin(db, "other_admin", world.other_county.id)
    admin = api.as_(world.admin)
    assert admin.post(f"/api/v1/users/{world.mediator.id}/deactivate").status_code == 200
    assert admin.post(f"/api/v1/users/{world.outsider.id}/deactivate").status_code == 200

    def users_seen(who: User, **query: Any) -> set[int]:
        r = api.as_(who).get("/api/v1/users/events", query_string=query)
        assert r.status_code == 200, r.get_data(as_text=True)
        for row in r.json:
            assert {"user_id", "actor_id", "action", "action_label", "client", "at", "details"} <= set(row)
        return {row["user_id"] for row in r.json}

    # the city administrator sees both counties; each county's administrator only their own
    assert {world.mediator.id, world.outsider.id} <= users_seen(world.admin, action="deactivate")
    assert users_seen(county_admin, action="deactivate") == {world.mediator.id}
    assert users_seen(other_admin, action="deactivate") == {world.outsider.id}
    assert users_seen(other_admin, user_id=world.mediator.id) == set()
    # the per-user history: out of the subtree is 404, never the records
    assert api.as_(other_admin).get(f"/api/v1/users/{world.mediator.id}/events").status_code == 404
    r = api.as_(county_admin).get(f"/api/v1/users/{world.mediator.id}/events")
    assert r.status_code == 200 and r.json[-1]["action"] == "deactivate" and r.json[-1]["actor_id"] == world.admin.id
    # people who are not administrators read nothing
    r = api.as_(world.supervisor).get("/api/v1/users/events")
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    # paging and bad filters
    rows = api.as_(world.admin).get("/api/v1/users/events", query_string={"limit": 1}).json
    assert len(rows) == 1
    older = api.as_(world.admin).get("/api/v1/users/events", query_string={"before_id": rows[0]["id"]}).json
    assert older and all(row["id"] < rows[0]["id"] for row in older)
    for bad in ({"action": "drop_table"}, {"limit": 0}, {"limit": 10**30}, {"user_id": "x"}, {"since": "昨天"}):
        r = api.as_(world.admin).get("/api/v1/users/events", query_string=bad)
        assert r.status_code == 422, (bad, r.status_code)
        assert r.mimetype == "application/problem+json" and set(bad) <= set(r.json["errors"])
