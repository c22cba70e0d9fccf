"""Signals → scores → level changes → alerts, and signal → case in one step (on the real database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.cases import service as case_service
from mediation.db.models import Case, Deadline, Enterprise
from mediation.db.models_risk import EnterpriseRisk, EnterpriseRiskChange, RiskAlert, RiskCaseFacts, RiskSignal
from mediation.domain.clock import china_today
from mediation.domain.errors import NotFound, PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor
from mediation.risk import alerts, signals
from mediation.risk.scoring import china_date
from tests.factories import World, application, drive, new_case
from tests.helpers import signal_data


def _changes(db: Session, enterprise_id: int) -> list[tuple[str, str, str]]:
    rows = db.scalars(select(EnterpriseRiskChange).where(EnterpriseRiskChange.enterprise_id == enterprise_id)
                      .order_by(EnterpriseRiskChange.id)).all()
    return [(r.from_level, r.to_level, r.reason) for r in rows]


def _alerts(db: Session, **where: object) -> list[RiskAlert]:
    stmt = select(RiskAlert).order_by(RiskAlert.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(RiskAlert, k) == v)
    return list(db.scalars(stmt).all())


def test_a_signal_raises_the_level_records_the_change_and_alerts_the_supervisors(db: Session, world: World) -> None:
    at = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    s, result = signals.record_signal(db, actor=world.actor(world.clerk), data=signal_data(world), at=at)
    assert s.status == "open" and s.organisation_id == world.township.id and s.recorded_by_id == world.clerk.id
    # 30 (arrears ≥ 1 month) + 25 (≥ 30 workers) + 5 (≥ 50,000 yuan owed) + 5 (no union) = 65
    assert (result.old_level, result.level, result.score) == ("none", "orange", 65)
    risk = db.get(EnterpriseRisk, world.enterprise.id)
    assert risk is not None and risk.level == "orange" and risk.score == 65
    assert risk.indicators == {"wage_arrears_months": 1.5, "wage_arrears_amount": 450000, "workers_affected": 30,
                               "no_union": True}
    assert [h["indicator"] for h in risk.explanation["hits"]] == [
        "wage_arrears_months", "workers_affected", "wage_arrears_amount", "no_union"]
    assert _changes(db, world.enterprise.id) == [("none", "orange", "signal")]
    [alert] = _alerts(db, enterprise_id=world.enterprise.id)
    assert (alert.kind, alert.level, alert.previous_level, alert.status) == ("level_raised", "orange", "none", "open")
    assert alert.organisation_id == world.township.id and alert.signal_id == s.id
    # orange: report within 3 days (local practice, kept in the rules)
    assert alert.report_due_on == china_date(at) + dt.timedelta(days=3)
    assert alert.snapshot["explanation"]["level"] == "orange"

    # A worse signal: orange → red is a further rise, with a 1-day reporting deadline.
    _, r2 = signals.record_signal(db, actor=world.actor(world.mediator),
                                   data=signal_data(world, source="hotline_12351", wage_arrears_months="3",
                                                    workers_affected=45),
                                   at=at + dt.timedelta(days=1))
    assert (r2.old_level, r2.level) == ("orange", "red")
    assert _changes(db, world.enterprise.id) == [("none", "orange", "signal"), ("orange", "red", "signal")]
    red = _alerts(db, enterprise_id=world.enterprise.id)[-1]
    assert (red.level, red.previous_level, red.report_due_on) == ("red", "orange", china_date(at) + dt.timedelta(2))

    # A third signal at the same level changes nothing and raises nothing.
    signals.record_signal(db, actor=world.actor(world.clerk),
                          data=signal_data(world, wage_arrears_months="2.5"), at=at + dt.timedelta(days=2))
    assert len(_alerts(db, enterprise_id=world.enterprise.id)) == 2
    assert len(_changes(db, world.enterprise.id)) == 2

    # Resolving the signals brings the level down again; falls are recorded but raise no alert.
    for sig in db.scalars(select(RiskSignal).where(RiskSignal.enterprise_id == world.enterprise.id)).all():
        signals.resolve(db, actor=world.actor(world.supervisor), signal_id=sig.id,
                        data={"outcome": "resolved", "note": "企业已补发工资"}, at=at + dt.timedelta(days=5))
    assert db.get(EnterpriseRisk, world.enterprise.id).level == "none"  # type: ignore[union-attr]
    assert _changes(db, world.enterprise.id)[-1] == ("red", "none", "signal_resolved")
    assert len(_alerts(db, enterprise_id=world.enterprise.id)) == 2


def test_signals_older_than_the_window_stop_counting(db: Session, world: World) -> None:
    at = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    signals.record_signal(db, actor=world.actor(world.clerk),
                          data=signal_data(world, observed_at="2025-06-01T08:00:00+08:00"), at=at)
    # observed 218 days before: outside the 180-day window, so it does not count
    assert db.get(EnterpriseRisk, world.enterprise.id).level == "none"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"source": "gossip"}, "source"),
        ({"enterprise_id": None}, "enterprise_id"),
        ({"workers_affected": -1}, "workers_affected"),
        ({"wage_arrears_months": "abc"}, "wage_arrears_months"),
        ({"reporter_phone": "12"}, "reporter_phone"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"observed_at": "2030-01-01T00:00:00+08:00"}, "observed_at"),
        ({"enterprise_id": 999_999}, "enterprise_id"),
        ({"organisation_id": 999_999}, "organisation_id"),
    ],
)
def test_signal_intake_is_validated(db: Session, world: World, overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        signals.record_signal(db, actor=world.actor(world.clerk), data=signal_data(world, **overrides))
    assert field in exc.value.errors
    assert db.scalar(select(func.count()).select_from(RiskSignal)) == 0


def test_signal_intake_outside_ones_organisation_is_forbidden(db: Session, world: World) -> None:
    with pytest.raises(PermissionDenied):
        signals.record_signal(db, actor=world.actor(world.outsider), data=signal_data(world))
    with pytest.raises(PermissionDenied):  # a mediator's own organisation only, not the county above
        signals.record_signal(db, actor=world.actor(world.mediator),
                              data=signal_data(world, organisation_id=world.county.id))
    # the county supervisor may record for the township below
    s, _ = signals.record_signal(db, actor=world.actor(world.supervisor), data=signal_data(world))
    assert s.organisation_id == world.township.id


def test_signal_becomes_a_case_in_one_step_with_its_lineage(db: Session, world: World) -> None:
    at = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    s1, _ = signals.record_signal(db, actor=world.actor(world.clerk), data=signal_data(world), at=at)
    s2, _ = signals.record_signal(db, actor=world.actor(world.clerk),
                                  data=signal_data(world, source="petition", workers_affected=42,
                                                   description="四十余名职工到街道信访"),
                                  at=at + dt.timedelta(hours=3))
    case = signals.convert_to_case(db, actor=world.actor(world.mediator), signal_id=s1.id,
                                   data={"also_signal_ids": [s2.id], "common_claim": "补发拖欠的工资"},
                                   env=world.env)
    assert case.status == "reported" and case.source == "screening"
    assert case.enterprise_id == world.enterprise.id and case.organisation_id == world.township.id
    assert case.workers_count == 42 and case.is_collective
    assert case.category == "remuneration"
    assert "拖欠工资月数1.5月" in case.facts and "证据：" in case.facts
    assert case.parties[0].role == "employer" and case.parties[0].name == world.enterprise.name
    db.expire_all()
    for sid in (s1.id, s2.id):
        s = db.get(RiskSignal, sid)
        assert s is not None and (s.status, s.case_id) == ("converted", case.id)
    fact = db.get(RiskCaseFacts, case.id)
    assert fact is not None and fact.first_signal_at == at
    # a collective dispute alert with the case's collective-report deadline
    [coll] = _alerts(db, kind="collective_dispute")
    due = db.scalar(select(Deadline.due_on).where(Deadline.case_id == case.id, Deadline.kind == "collective_report"))
    assert coll.case_id == case.id and coll.workers == 42 and coll.report_due_on == due

    # converting again is refused, and so is an unknown signal
    with pytest.raises(ValidationFailed):
        signals.convert_to_case(db, actor=world.actor(world.mediator), signal_id=s1.id, env=world.env)
    with pytest.raises(NotFound):
        signals.convert_to_case(db, actor=world.actor(world.mediator), signal_id=999_999, env=world.env)
    # a later signal attaches to the same case
    s3, _ = signals.record_signal(db, actor=world.actor(world.clerk), data=signal_data(world), at=at)
    signals.attach_to_case(db, actor=world.actor(world.clerk), signal_id=s3.id, data={"case_id": case.id})
    assert db.scalar(select(func.count()).select_from(RiskSignal).where(RiskSignal.case_id == case.id)) == 3


def test_a_failed_conversion_leaves_nothing_behind(db: Session, world: World) -> None:
    s, _ = signals.record_signal(db, actor=world.actor(world.clerk), data=signal_data(world))
    cases_before = db.scalar(select(func.count()).select_from(Case))
    with pytest.raises(ValidationFailed):
        signals.convert_to_case(db, actor=world.actor(world.mediator), signal_id=s.id,
                                data={"category": "not-a-category"}, env=world.env)
    with pytest.raises(ValidationFailed):  # a mediator of another organisation
        signals.convert_to_case(db, actor=world.actor(world.supervisor), signal_id=s.id,
                                data={"lead_mediator_id": world.outsider.id}, env=world.env)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Case)) == cases_before
    assert db.get(RiskSignal, s.id).status == "open"  # type: ignore[union-attr]
    assert signals.PENDING_LINKS not in db.info


def test_signals_are_visible_only_in_scope(db: Session, world: World) -> None:
    s, _ = signals.record_signal(db, actor=world.actor(world.clerk), data=signal_data(world))
    assert signals.get_signal(db, actor=world.actor(world.city_supervisor), signal_id=s.id).id == s.id
    assert signals.get_signal(db, actor=world.actor(world.supervisor), signal_id=s.id).id == s.id
    with pytest.raises(NotFound):
        signals.get_signal(db, actor=world.actor(world.outsider), signal_id=s.id)
    items, total = signals.list_signals(db, actor=world.actor(world.outsider))
    assert (items, total) == ([], 0)
    items, total = signals.list_signals(db, actor=world.actor(world.city_supervisor))
    assert total == 1 and items[0].id == s.id


def test_a_collective_dispute_raises_an_alert_and_the_open_dispute_raises_the_score(db: Session,
                                                                                    world: World) -> None:
    case = new_case(db, world, china_today(), workers_count=15, title="十五名职工追索加班费")
    assert case.is_collective
    [alert] = _alerts(db, case_id=case.id)
    assert (alert.kind, alert.workers, alert.organisation_id) == ("collective_dispute", 15, world.township.id)
    risk = db.get(EnterpriseRisk, world.enterprise.id)
    assert risk is not None
    # 30 (an open collective dispute) + 5 (no union) = 35: yellow, below the alert levels
    assert (risk.level, risk.score) == ("yellow", 35)
    assert _changes(db, world.enterprise.id) == [("none", "yellow", "case_event")]
    # a small dispute is not collective: no alert
    small = new_case(db, world, china_today(), workers_count=3)
    assert _alerts(db, case_id=small.id) == []
    # withdrawing the collective dispute lowers the level again
    drive(db, world, case, china_today(), "withdraw")
    assert db.get(EnterpriseRisk, world.enterprise.id).level == "none"  # type: ignore[union-attr]


def test_the_collective_threshold_is_configurable(db: Session, world: World) -> None:
    from mediation.risk import rulesets
    from mediation.risk.rules import DEFAULT_RULES_JSON

    rules = {**DEFAULT_RULES_JSON, "collective_threshold": 30}
    rulesets.save_version(db, actor=world.actor(world.admin), data={"rules": rules, "note": "集体争议按30人"})
    # the case is flagged collective by the core (LDMAL art. 7, ten workers) and alerted as such
    case = new_case(db, world, china_today(), workers_count=12)
    assert len(_alerts(db, case_id=case.id, kind="collective_dispute")) == 1
    # a case not flagged collective but reaching the risk rules' threshold is alerted too
    big = new_case(db, world, china_today(), workers_count=35, is_collective=False)
    assert len(_alerts(db, case_id=big.id, kind="collective_dispute")) == 1


def test_alert_acknowledge_and_report_by_supervisors_only(db: Session, world: World) -> None:
    signals.record_signal(db, actor=world.actor(world.clerk), data=signal_data(world))
    [alert] = _alerts(db)
    with pytest.raises(PermissionDenied):
        alerts.acknowledge(db, actor=world.actor(world.mediator), alert_id=alert.id)
    with pytest.raises(NotFound):
        alerts.acknowledge(db, actor=Actor(world.outsider.id, "supervisor", world.other_county.id,
                                           world.other_county.path), alert_id=alert.id)
    a = alerts.acknowledge(db, actor=world.actor(world.supervisor), alert_id=alert.id, data={"note": "已联系企业"})
    assert a.status == "acknowledged" and a.acknowledged_by_id == world.supervisor.id
    with pytest.raises(ValidationFailed):
        alerts.report(db, actor=world.actor(world.supervisor), alert_id=alert.id, data={"actions": ""})
    a = alerts.report(db, actor=world.actor(world.supervisor), alert_id=alert.id,
                      data={"actions": "约谈企业负责人，督促一周内补发工资；已报告区总工会"})
    assert a.status == "reported" and a.reported_by_id == world.supervisor.id
    ctx = alerts.report_context(db, actor=world.actor(world.city_supervisor), alert_id=alert.id)
    assert ctx["enterprise"]["name"] == world.enterprise.name
    assert ctx["location"]["park"]["name"] == world.park.name
    assert "南湖区" in ctx["location"]["region"]
    assert ctx["level"] == "orange" and ctx["workers_involved"] == 30
    assert {i["indicator"] for i in ctx["indicators"]} >= {"wage_arrears_months", "workers_affected"}
    assert ctx["actions"].startswith("约谈") and ctx["reporter"]["name"] == "supervisor"


def test_enterprise_without_a_union_is_scored_from_registration(db: Session, world: World) -> None:
    ent = db.get(Enterprise, world.enterprise.id)
    assert ent is not None and ent.has_union is False
    s, r = signals.record_signal(db, actor=world.actor(world.clerk),
                                 data=signal_data(world, workers_affected=0, wage_arrears_months=None,
                                                  wage_arrears_amount=None, excessive_overtime=True))
    assert r.score == 15 and r.level == "blue"  # 10 overtime + 5 no union
    assert {h.indicator for h in r.assessment.hits} == {"excessive_overtime", "no_union"}
    assert s.wage_arrears_months is None


def test_case_creation_rolls_back_when_the_observer_fails(db: Session, world: World,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from mediation.risk import facts

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("rollup write failed")

    monkeypatch.setattr(facts, "apply_fact_change", boom)
    before = db.scalar(select(func.count()).select_from(Case))
    with pytest.raises(RuntimeError):
        case_service.create_case(db, actor=world.actor(world.clerk), data=application(world), env=world.env)
    assert db.scalar(select(func.count()).select_from(Case)) == before


def test_amounts_in_facts_are_exact_cents(db: Session, world: World) -> None:
    case = new_case(db, world, china_today(),
                    claims=[{"claim_type": "wages", "amount": "1234.56"}, {"claim_type": "overtime",
                                                                            "amount": "0.07"}])
    fact = db.get(RiskCaseFacts, case.id)
    assert fact is not None and fact.claimed_cents == 123463
    assert Decimal(fact.claimed_cents) / 100 == Decimal("1234.63")
