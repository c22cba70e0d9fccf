"""The case service end to end on the real database (SQLite or PostgreSQL, per the pass)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Case, CaseEvent, Deadline, MediationSession
from mediation.domain.errors import (
    ConflictError,
    EventNotAllowed,
    GuardFailed,
    NotFound,
    UnknownEvent,
    ValidationFailed,
)
from mediation.runtime.env import ServiceEnv
from tests.factories import World, agreement_payload, application, build_world, drive, new_case, session_payload

TODAY = dt.date(2025, 10, 20)


@pytest.fixture
def world(db: Session, env: ServiceEnv) -> World:
    return build_world(db, env=env)


def _event_count(db: Session, case_id: int) -> int:
    return db.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)) or 0


def _deadline(case: Case, kind: str, status: str = "open") -> Deadline:
    found = [d for d in case.deadlines if d.kind == kind and d.status == status]
    assert len(found) == 1, (kind, status, [(d.kind, d.status) for d in case.deadlines])
    return found[0]


def assert_invariants(db: Session, case: Case) -> None:
    db.expire_all()
    case = db.get(Case, case.id)
    assert case is not None
    events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[-1].to_state == case.status
    for prev, nxt in itertools.pairwise(events):
        assert nxt.from_state == prev.to_state


def test_written_application_opens_the_statutory_clocks(db: Session, world: World) -> None:
    case = new_case(db, world, dt.date(2025, 9, 30))
    assert case.status == "applied"
    assert case.number.startswith("（2025）东栅劳调字第")
    assert case.received_on == dt.date(2025, 9, 30)
    # 3 working days across National Day: 10-09, 10-10 and the make-up Saturday 10-11.
    assert _deadline(case, "acceptance").due_on == dt.date(2025, 10, 11)
    # LDMAL art. 14: 15 days from receipt.
    assert _deadline(case, "arbitration_right").due_on == dt.date(2025, 10, 15)
    # The application interrupts the limitation (LDMAL art. 27): one year from receipt.
    lim = _deadline(case, "limitation")
    assert lim.anchor_on == dt.date(2025, 9, 30)
    assert lim.due_on >= dt.date(2026, 9, 30)
    assert_invariants(db, case)


def test_full_path_to_archive(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    case = drive(db, world, case, TODAY, "accept")
    assert case.status == "mediating"
    assert case.lead_mediator_id == world.mediator.id
    assert _deadline(case, "acceptance", "met")
    assert _deadline(case, "mediation_end").due_on == dt.date(2025, 11, 4)
    case = drive(db, world, case, TODAY, "record_session", "sign_agreement")
    assert case.status == "agreed"
    agreement = case.current_agreement
    assert agreement is not None and agreement.total_amount == Decimal("24000.00")
    assert _deadline(case, "mediation_end", "met")
    assert _deadline(case, "judicial_confirmation").due_on == dt.date(2025, 11, 19)
    ob = agreement.obligations[0]
    actor = world.actor(world.mediator)
    case = svc.fire_event(db, case_id=case.id, event="record_performance", actor=actor, today=TODAY,
                          payload={"obligation_id": ob.id, "performed_on": TODAY.isoformat(), "amount": "10000",
                                   "proof": "银行回单0001"}, env=world.env)
    assert case.status == "performing" and ob.status == "partial"
    with pytest.raises(GuardFailed) as exc:
        svc.fire_event(db, case_id=case.id, event="confirm_performed", actor=actor, today=TODAY, env=world.env)
    assert "尚有1项" in exc.value.detail
    svc.fire_event(db, case_id=case.id, event="record_performance", actor=actor, today=TODAY,
                   payload={"obligation_id": ob.id, "performed_on": TODAY.isoformat(), "amount": "14000",
                            "proof": "银行回单0002"}, env=world.env)
    assert ob.status == "performed"
    case = drive(db, world, case, TODAY, "confirm_performed", "close")
    assert case.status == "closed" and case.closed_on == TODAY
    assert db.scalar(select(func.count()).select_from(MediationSession)
                     .where(MediationSession.case_id == case.id)) == 1
    assert_invariants(db, case)


def test_guard_failure_explains_and_writes_nothing(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    version, events = case.version, _event_count(db, case.id)
    with pytest.raises(GuardFailed) as exc:
        svc.fire_event(db, case_id=case.id, event="accept", actor=world.actor(world.mediator), today=TODAY,
                       env=world.env)
    err = exc.value
    assert err.state == "applied" and "accept" in err.allowed
    assert [b.guard for b in err.blockers] == ["respondent_consents"]
    assert "同意调解" in err.detail
    db.expire_all()
    assert db.get(Case, case.id).version == version  # type: ignore[union-attr]
    assert _event_count(db, case.id) == events


def test_agreement_needs_terms_amounts_deadline_and_signatures(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    payload = agreement_payload(TODAY)
    payload["sealed"] = False
    payload["terms"] = ""
    with pytest.raises(GuardFailed) as exc:
        svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator),
                       payload=payload, today=TODAY, env=world.env)
    missing = exc.value.blockers[0].missing
    assert "terms" in missing and "sealed" in missing
    db.expire_all()
    assert db.get(Case, case.id).agreements == []  # type: ignore[union-attr]


def test_event_not_allowed_names_state_and_allowed_events(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    with pytest.raises(EventNotAllowed) as exc:
        svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator),
                       payload=agreement_payload(TODAY), today=TODAY, env=world.env)
    assert exc.value.state == "applied"
    assert set(exc.value.allowed) == {"accept", "reject", "withdraw", "escalate", "suspend_limitation",
                                      "resume_limitation", "record_employment_end", "correct_collective"}
    with pytest.raises(UnknownEvent):
        svc.fire_event(db, case_id=case.id, event="teleport", actor=world.actor(world.mediator), today=TODAY,
                       env=world.env)


def test_system_only_event_refused_to_people(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    with pytest.raises(EventNotAllowed):
        svc.fire_event(db, case_id=case.id, event="lapse", actor=world.actor(world.supervisor),
                       today=TODAY + dt.timedelta(days=30), env=world.env)


def test_bad_payload_is_a_validation_error(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    bad = session_payload() | {"started_at": "not a time", "unexpected": 1}
    with pytest.raises(ValidationFailed) as exc:
        svc.fire_event(db, case_id=case.id, event="record_session", actor=world.actor(world.mediator),
                       payload=bad, today=TODAY, env=world.env)
    assert "started_at" in exc.value.errors and "unexpected" in exc.value.errors


def test_bad_intake_is_rejected_with_field_errors(db: Session, world: World) -> None:
    data = {"title": "", "category": "weather", "source": "walk_in_written", "organisation_id": world.township.id,
            "parties": [{"role": "worker", "name": "李四", "id_number": "330402199003070011"}]}
    with pytest.raises(ValidationFailed) as exc:
        svc.create_case(db, actor=world.actor(world.clerk), data=data, today=TODAY, env=world.env)
    errs = exc.value.errors
    assert "title" in errs and "category" in errs
    assert "校验位" in str(errs["parties"])


def test_stale_version_conflicts(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    seen = case.version
    drive(db, world, case, TODAY, "accept")
    with pytest.raises(ConflictError):
        svc.fire_event(db, case_id=case.id, event="withdraw", actor=world.actor(world.mediator2),
                       payload={"reason": "撤回"}, expected_version=seen, today=TODAY, env=world.env)


def test_out_of_scope_case_is_not_found(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    with pytest.raises(NotFound):
        svc.fire_event(db, case_id=case.id, event="withdraw", actor=world.actor(world.outsider),
                       payload={"reason": "x"}, today=TODAY, env=world.env)
    # the county supervisor above the township sees it
    assert svc.get_case(db, case_id=case.id, actor=world.actor(world.supervisor)).id == case.id


def test_extension_moves_mediation_end_within_the_committees_cap(db: Session, world: World) -> None:
    world.township.extension_cap_days = 15  # the committee's own policy (ELDNMP art. 29 sets no cap)
    db.commit()
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept", "extend")
    assert case.extension_days == 10
    assert _deadline(case, "mediation_end").due_on == dt.date(2025, 11, 14)
    with pytest.raises(GuardFailed) as exc:
        svc.fire_event(db, case_id=case.id, event="extend", actor=world.actor(world.mediator), today=TODAY,
                       payload={"worker_agrees": True, "employer_agrees": True, "days": 10}, env=world.env)
    assert "尚可延长5日" in exc.value.detail and "按本会规定" in exc.value.detail
    assert "法律未规定延长上限" in exc.value.detail


def test_non_performance_offers_arbitration_and_payment_order(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept", "sign_agreement")
    later = TODAY + dt.timedelta(days=20)
    case = svc.fire_event(db, case_id=case.id, event="report_non_performance", actor=world.actor(world.mediator),
                          today=later, env=world.env)
    assert case.status == "non_performed"
    last = case.events[-1]
    routes = {r["route"] for r in last.payload["remedies"]}
    assert routes == {"arbitration", "payment_order", "lawsuit"}
    case = drive(db, world, case, later, "refer", "close")
    assert case.status == "closed"
    assert_invariants(db, case)


def test_collective_dispute_escalates_without_representatives_but_needs_them_to_accept(
    db: Session, world: World
) -> None:
    case = new_case(db, world, TODAY, workers_count=35, title="35名职工集体讨薪")
    assert case.is_collective
    assert _deadline(case, "collective_report")
    opts = {o.event: o for o in svc.available_events(db, case=case, actor=world.actor(world.mediator), today=TODAY,
                                                     env=world.env)}
    # The early report (早报告) never waits for the workers to elect representatives (LDMAL art. 7: 可以).
    assert opts["escalate"].allowed
    assert not opts["accept"].allowed
    with pytest.raises(GuardFailed) as exc:
        svc.fire_event(db, case_id=case.id, event="accept", actor=world.actor(world.mediator), today=TODAY,
                       payload={"respondent_consents": True}, env=world.env)
    [blocker] = exc.value.blockers
    assert blocker.guard == "collective_has_representatives"
    assert "可以推举代表" in blocker.reason
    case = svc.fire_event(db, case_id=case.id, event="escalate", actor=world.actor(world.mediator), today=TODAY,
                          env=world.env)
    assert case.escalated_at is not None
    assert _deadline(case, "collective_report", "met")


def test_collective_with_representatives_escalates_and_meets_report_deadline(db: Session, world: World) -> None:
    reps = [{"role": "representative", "name": n} for n in ("赵一", "钱二", "孙三")]
    data_parties = [*reps, {"role": "employer", "name": world.enterprise.name}]
    case = new_case(db, world, TODAY, workers_count=35, parties=data_parties)
    case = svc.fire_event(db, case_id=case.id, event="escalate", actor=world.actor(world.mediator), today=TODAY,
                          env=world.env)
    assert case.status == "applied" and case.escalated_at is not None
    assert _deadline(case, "collective_report", "met")
    with pytest.raises(GuardFailed):
        svc.fire_event(db, case_id=case.id, event="escalate", actor=world.actor(world.mediator), today=TODAY,
                       env=world.env)
    assert_invariants(db, case)


def test_available_events_lists_inputs_and_blockers(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    opts = {o.event: o for o in svc.available_events(db, case=case, actor=world.actor(world.mediator), today=TODAY,
                                                     env=world.env)}
    assert set(opts) == {"record_session", "extend", "sign_agreement", "lapse", "terminate", "withdraw", "escalate",
                         "suspend_limitation", "resume_limitation", "record_employment_end", "correct_collective"}
    assert opts["sign_agreement"].allowed and "obligations" in opts["sign_agreement"].inputs
    assert not opts["lapse"].allowed and not opts["lapse"].role_allowed
    assert opts["terminate"].requires_reason
    clerk = {o.event: o for o in svc.available_events(db, case=case, actor=world.actor(world.clerk), today=TODAY,
                                                      env=world.env)}
    assert not clerk["sign_agreement"].allowed


def test_events_are_append_only(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    ev = case.events[0]
    ev.reason = "tampered"
    with pytest.raises(RuntimeError, match="append-only"):
        db.flush()
    db.rollback()


def test_non_performance_limitation_runs_from_the_day_after_the_missed_date(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept", "sign_agreement")
    due = case.current_agreement.obligations[0].due_on  # type: ignore[union-attr]
    case = svc.fire_event(db, case_id=case.id, event="report_non_performance", actor=world.actor(world.mediator),
                          today=due + dt.timedelta(days=3), env=world.env)
    lim = _deadline(case, "limitation")
    assert lim.anchor_on == due + dt.timedelta(days=1) and lim.due_on >= lim.anchor_on.replace(year=due.year + 1)
    arbitration = next(r for r in case.events[-1].payload["remedies"] if r["route"] == "arbitration")
    assert arbitration["deadline"] == lim.due_on.isoformat()


def test_failing_observer_rolls_back_the_whole_transition(db: Session, world: World) -> None:
    from mediation.runtime.env import ServiceEnv, load_calendar

    case = new_case(db, world, TODAY)
    version, events = case.version, _event_count(db, case.id)

    def broken(_s: Session, _c: Case, _e: CaseEvent) -> None:
        raise RuntimeError("rollup store unavailable")

    env = ServiceEnv(calendar=load_calendar(db), observers=(broken,))
    with pytest.raises(RuntimeError):
        svc.fire_event(db, case_id=case.id, event="accept", actor=world.actor(world.mediator), env=env,
                       payload={"respondent_consents": True}, today=TODAY)
    db.expire_all()
    fresh = db.get(Case, case.id)
    assert fresh is not None and fresh.status == "applied" and fresh.version == version
    assert _event_count(db, case.id) == events
    assert not [d for d in fresh.deadlines if d.kind == "mediation_end"]


def test_new_workflow_version_does_not_change_open_cases(db: Session, world: World) -> None:
    import dataclasses

    from workflows import definitions as defs
    from workflows.binding import Workflows
    from workflows.events import SPECS

    case = new_case(db, world, TODAY)
    current = defs.CURRENT_VERSION
    assert case.workflow_version == current
    # v99 drops the possibility to reject; new cases get v99, the open case keeps its rules.
    v99 = dataclasses.replace(defs.get_definition(current), version="99",
                              transitions=tuple(t for t in defs.get_definition(current).transitions
                                                if t.event != "reject"))
    published = Workflows((*defs.DEFINITIONS.values(), v99), SPECS.values(), current="99")
    mediator = world.actor(world.mediator)
    newer = svc.create_case(db, actor=world.actor(world.clerk), data=application(world), env=world.env, today=TODAY,
                            workflows=published)
    assert newer.workflow_version == "99"
    reject = {"reason_code": "out_of_scope", "reason": "不属于受理范围"}
    with pytest.raises(UnknownEvent):
        svc.fire_event(db, case_id=newer.id, event="reject", actor=mediator, payload=reject, env=world.env,
                       today=TODAY, workflows=published)
    case = svc.fire_event(db, case_id=case.id, event="reject", actor=mediator, payload=reject, env=world.env,
                          today=TODAY, workflows=published)
    assert case.status == "not_accepted" and case.workflow_version == current


def test_changed_statutory_default_recomputes_with_audit(db: Session, world: World) -> None:
    from mediation.cases.sweep import recompute_deadlines
    from mediation.db.models import DeadlineChange
    from mediation.domain.deadline_rules import default_rules, with_overrides

    case = new_case(db, world, dt.date(2025, 9, 30))
    before = _deadline(case, "acceptance").due_on
    rules = with_overrides(default_rules(), "2026.1", {"acceptance": 5})
    report = recompute_deadlines(db, reason="受理期限调整为5个工作日", rules=rules, env=world.env)
    db.expire_all()
    case = db.get(Case, case.id)  # type: ignore[assignment]
    after = _deadline(case, "acceptance")
    assert before == dt.date(2025, 10, 11) and after.due_on == dt.date(2025, 10, 14)
    assert after.rules_version == "2026.1" and case.rules_version == "2026.1"
    change = db.scalars(select(DeadlineChange).where(DeadlineChange.batch == report.batch,
                                                     DeadlineChange.deadline_id == after.id)).one()
    assert (change.old_due_on, change.new_due_on) == (before, after.due_on)
