"""A role that may not fire an event gets 403 (role_not_allowed); an event the case's state does not allow stays
409 (event_not_allowed) — security item 8."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from mediation.db.models import Case
from tests.factories import World, application
from tests.fixtures import Api
from tests.helpers import events_count


def _fire(api: Api, user: Any, case: dict[str, Any], event: str, payload: dict[str, Any] | None = None) -> Any:
    return api.as_(user).post(f"/api/v1/cases/{case['id']}/transitions",
                              json={"event": event, "payload": payload or {}, "version": case["version"]})


def test_a_clerk_firing_accept_is_forbidden_not_a_conflict(api: Api, world: World, db: Session) -> None:
    case = api.as_(world.clerk).post("/api/v1/cases/", json=application(world)).json
    before = events_count(db, case["id"])
    r = _fire(api, world.clerk, case, "accept", {"respondent_consents": True})
    assert r.status_code == 403 and r.mimetype == "application/problem+json", r.json
    assert r.json["code"] == "role_not_allowed" and "角色" in r.json["detail"]
    assert events_count(db, case["id"]) == before
    db.expire_all()
    assert db.get(Case, case["id"]).status == "applied"  # type: ignore[union-attr]


def test_the_wrong_state_stays_a_conflict(api: Api, world: World) -> None:
    case = api.as_(world.clerk).post("/api/v1/cases/", json=application(world)).json
    r = _fire(api, world.mediator, case, "sign_agreement")
    assert r.status_code == 409 and r.json["code"] == "event_not_allowed"
