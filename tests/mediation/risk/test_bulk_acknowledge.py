"""Bulk acknowledgement of risk alerts with one note: the single acknowledgement's scope and status rules, alert
by alert."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models_risk import RiskAlert
from mediation.domain.clock import china_today
from mediation.domain.errors import PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor
from mediation.risk import alerts
from tests.factories import World, new_case


def test_bulk_acknowledge_with_a_note_and_per_alert_refusals(db: Session, world: World) -> None:
    for n in (12, 15):
        new_case(db, world, china_today(), workers_count=n, title=f"{n}名职工追索工资")
    ids = list(db.scalars(select(RiskAlert.id).order_by(RiskAlert.id)).all())
    assert len(ids) >= 2
    sup = world.actor(world.supervisor)
    alerts.acknowledge(db, actor=sup, alert_id=ids[0], data={"note": "先行签收"})
    results = alerts.bulk_acknowledge(db, actor=sup, alert_ids=[*ids, 987654], note="已电话联系企业，跟进处置")
    by_id = {r["alert_id"]: r for r in results}
    assert not by_id[ids[0]]["ok"] and "已签收" in by_id[ids[0]]["reason"]
    assert all(by_id[i]["ok"] for i in ids[1:])
    assert not by_id[987654]["ok"] and by_id[987654]["code"] == "not_found"
    for i in ids[1:]:
        a = db.get(RiskAlert, i)
        assert a.status == "acknowledged" and a.actions == "已电话联系企业，跟进处置"
        assert a.acknowledged_by_id == world.supervisor.id


def test_bulk_acknowledge_scope_role_and_note(db: Session, world: World) -> None:
    new_case(db, world, china_today(), workers_count=12)
    ids = list(db.scalars(select(RiskAlert.id)).all())
    other = Actor(world.outsider.id, "supervisor", world.other_county.id, world.other_county.path)
    [r] = alerts.bulk_acknowledge(db, actor=other, alert_ids=ids, note="越权")
    assert not r["ok"] and r["code"] == "not_found"
    assert db.get(RiskAlert, ids[0]).status == "open"
    with pytest.raises(PermissionDenied):
        alerts.bulk_acknowledge(db, actor=world.actor(world.mediator), alert_ids=ids, note="x")
    with pytest.raises(ValidationFailed) as exc:
        alerts.bulk_acknowledge(db, actor=world.actor(world.supervisor), alert_ids=ids, note="  ")
    assert "note" in exc.value.extra["errors"]
