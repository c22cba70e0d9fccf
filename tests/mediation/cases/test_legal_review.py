"""Legal rules of the workflow and the deadlines, one test each; the rules and their articles are in
docs/domain.md (#limitation, #time-limits, #collective-disputes, #agreements-and-remedies)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Case, Deadline
from mediation.domain.errors import GuardFailed, ValidationFailed
from mediation.runtime.env import ServiceEnv
from tests.factories import World, agreement_payload, application, build_world, drive, new_case
from workflows.definitions import CURRENT_VERSION

D = dt.date


@pytest.fixture
def world(db: Session, env: ServiceEnv) -> World:
    return build_world(db, env=env)


def rows(case: Case, kind: str, status: str | None = "open") -> list[Deadline]:
    return [d for d in case.deadlines if d.kind == kind and (status is None or d.status == status)]


def fire(db: Session, world: World, case: Case, event: str, today: dt.date, payload: dict[str, Any] | None = None,
         user: Any = None) -> Case:
    return svc.fire_event(db, case_id=case.id, event=event, actor=world.actor(user or world.mediator),
                          payload=payload or {}, today=today, env=world.env)


# --- 1: the limitation restarts from the event's effective date -------------------------------------------------

def test_application_restarts_the_limitation_from_its_receipt_not_its_entry(db: Session, world: World) -> None:
    # Probe F: received 2025-09-02, entered 2025-09-20.
    case = svc.create_case(db, actor=world.actor(world.clerk), today=D(2025, 9, 20), data=application(
        world, source="screening", initial_state="reported", dispute_arose_on="2025-06-01"), env=world.env)
    case = fire(db, world, case, "begin_triage", D(2025, 9, 20))
    case = fire(db, world, case, "register_application", D(2025, 9, 20), {"received_on": "2025-09-02"})
    [lim] = rows(case, "limitation")
    assert lim.anchor_on == D(2025, 9, 2) and lim.due_on == D(2026, 9, 2)


def test_an_application_or_agreement_dated_in_the_future_is_refused(db: Session, world: World) -> None:
    case = svc.create_case(db, actor=world.actor(world.clerk), today=D(2025, 9, 20), data=application(
        world, source="screening", initial_state="reported"), env=world.env)
    case = fire(db, world, case, "begin_triage", D(2025, 9, 20))
    with pytest.raises(ValidationFailed) as exc:
        fire(db, world, case, "register_application", D(2025, 9, 20), {"received_on": "2025-09-21"})
    assert "received_on" in exc.value.errors


# --- 2: termination is not an interruption ------------------------------------------------------------------------

def test_termination_keeps_the_limitation_from_the_application(db: Session, world: World) -> None:
    # Probe A: received 2025-09-28, terminated 2025-10-20: one year from the application, not from termination.
    case = new_case(db, world, D(2025, 9, 28))
    case = drive(db, world, case, D(2025, 9, 29), "accept")
    case = drive(db, world, case, D(2025, 10, 20), "terminate")
    assert case.status == "terminated"
    [lim] = rows(case, "limitation")
    assert lim.anchor_on == D(2025, 9, 28) and lim.due_on == D(2026, 9, 28)


# --- 4, 18: collective disputes ---------------------------------------------------------------------------------

def test_a_twelve_worker_case_can_be_reported_at_once(db: Session, world: World) -> None:
    # Probe E: 12 workers, no representatives yet: the report must be possible; acceptance waits for them.
    case = new_case(db, world, D(2025, 10, 20), workers_count=12)
    opts = {o.event: o for o in svc.available_events(db, case=case, actor=world.actor(world.mediator),
                                                     today=D(2025, 10, 20), env=world.env)}
    assert opts["escalate"].allowed
    assert [b.guard for b in opts["accept"].blockers] == ["collective_has_representatives"]
    assert "劳动者可以推举代表" in opts["accept"].blockers[0].reason


def test_the_reporting_reason_does_not_cite_art_7(db: Session, world: World) -> None:
    case = new_case(db, world, D(2025, 10, 20))
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "escalate", D(2025, 10, 20))
    reason = exc.value.blockers[0].reason
    assert "第七条" not in reason and "10人以上" in reason and "本会" in reason


# --- 7: the basis for not mediating a refusing party depends on the organisation -------------------------------

def test_refusal_basis_is_pml_17_only_for_peoples_mediation_committees(db: Session, world: World) -> None:
    case = new_case(db, world, D(2025, 10, 20))  # a township (street) labour-dispute mediation committee
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "accept", D(2025, 10, 20), {"respondent_consents": False})
    reason = exc.value.blockers[0].reason
    assert "人民调解法" not in reason and "《企业劳动争议协商调解规定》（条号待核实）" in reason
    world.township.kind = "peoples_mediation"
    db.commit()
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "accept", D(2025, 10, 20), {"respondent_consents": False})
    assert "《人民调解法》第十七条" in exc.value.blockers[0].reason


# --- 3: a negotiated settlement is not a mediation agreement ----------------------------------------------------

def settlement_case(db: Session, world: World, today: dt.date) -> Case:
    return svc.create_case(db, actor=world.actor(world.clerk), today=today,
                           data=application(world, source="walk_in_written", initial_state="negotiating"),
                           env=world.env)


def test_settlement_needs_the_parties_signatures_but_no_mediator_or_seal(db: Session, world: World) -> None:
    today = D(2025, 10, 20)
    case = settlement_case(db, world, today)
    payload = {**agreement_payload(today), "signed_by_mediator": False, "sealed": False}
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "settle", today, {**payload, "signed_by_parties": False})
    [blocker] = exc.value.blockers
    assert blocker.guard == "settlement_complete" and blocker.missing == ("signed_by_parties",)
    assert "调解员" in blocker.reason and "无需" in blocker.reason
    case = fire(db, world, case, "settle", today, payload)
    assert case.status == "agreed" and case.current_agreement is not None
    assert case.current_agreement.kind == "settlement"


def test_no_review_or_confirmation_for_a_settlement(db: Session, world: World) -> None:
    today = D(2025, 10, 20)
    case = fire(db, world, settlement_case(db, world, today), "settle", today, agreement_payload(today))
    opts = {o.event: o for o in svc.available_events(db, case=case, actor=world.actor(world.mediator), today=today,
                                                     env=world.env)}
    assert not opts["request_review"].allowed
    assert opts["request_review"].blockers[0].guard == "agreement_from_mediation"
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "request_review", today, {"review_kind": "judicial_confirmation"})
    reason = exc.value.blockers[0].reason
    assert "和解协议不能申请仲裁审查或司法确认" in reason and "第二百零五条" in reason and "第七十四条" in reason


def test_default_on_a_settlement_points_to_art_5(db: Session, world: World) -> None:
    today = D(2025, 10, 20)
    case = fire(db, world, settlement_case(db, world, today), "settle", today, agreement_payload(today))
    case = fire(db, world, case, "report_non_performance", D(2025, 11, 5))
    [route] = case.events[-1].payload["remedies"]
    assert route["basis"] == "《劳动争议调解仲裁法》第五条" and "申请调解" in route["label"]
    assert "仅供参考" in route["note"]


# --- 12: payment order and direct suit ---------------------------------------------------------------------------

def obligation(description: str, claim_type: str, amount: str, due_on: dt.date, obligor: str = "employer"
               ) -> dict[str, Any]:
    return {"description": description, "claim_type": claim_type, "amount": amount, "due_on": due_on.isoformat(),
            "obligor": obligor}


def agreed(db: Session, world: World, obligations: list[dict[str, Any]], today: dt.date = D(2025, 10, 20)) -> Case:
    case = drive(db, world, new_case(db, world, today), today, "accept")
    return fire(db, world, case, "sign_agreement", today, {**agreement_payload(today), "obligations": obligations})


def routes_after_default(db: Session, world: World, case: Case, on: dt.date) -> dict[str, dict[str, Any]]:
    case = fire(db, world, case, "report_non_performance", on)
    return {r["route"]: r for r in case.events[-1].payload["remedies"]}


def test_no_payment_order_when_only_the_worker_defaults(db: Session, world: World) -> None:
    due = D(2025, 10, 31)
    case = agreed(db, world, [obligation("支付工资", "wages", "24000.00", D(2025, 12, 31)),
                              obligation("返还笔记本电脑", "damages", "5000.00", due, obligor="worker")])
    routes = routes_after_default(db, world, case, D(2025, 11, 5))
    assert set(routes) == {"arbitration"}


def test_direct_suit_only_for_an_agreement_only_about_remuneration(db: Session, world: World) -> None:
    due = D(2025, 10, 31)
    # Probe B: wages and economic compensation; only the wages are missed — no SPC-I art. 51 suit.
    mixed = agreed(db, world, [obligation("支付工资", "wages", "24000.00", due),
                               obligation("支付经济补偿", "economic_compensation", "30000.00", D(2025, 12, 31))])
    routes = routes_after_default(db, world, mixed, D(2025, 11, 5))
    assert set(routes) == {"arbitration", "payment_order"}
    pay_only = agreed(db, world, [obligation("支付工资", "wages", "24000.00", due),
                                  obligation("支付加班费", "overtime", "3000.00", D(2025, 12, 31))])
    assert set(routes_after_default(db, world, pay_only, D(2025, 11, 5))) == {"arbitration", "payment_order",
                                                                              "lawsuit"}


def test_double_wages_in_a_payment_order_carry_a_note(db: Session, world: World) -> None:
    case = agreed(db, world, [obligation("支付未签合同二倍工资", "double_wages", "12000.00", D(2025, 10, 31))])
    routes = routes_after_default(db, world, case, D(2025, 11, 5))
    assert "由人民法院认定" in routes["payment_order"]["note"]


# --- 22: "lapsed" as a termination reason only after the period has passed --------------------------------------

def test_terminating_as_lapsed_needs_the_period_to_have_passed(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, D(2025, 10, 20)), D(2025, 10, 20), "accept")
    [end] = rows(case, "mediation_end")
    assert end.due_on == D(2025, 11, 4)
    lapsed = {"end_reason": "lapsed", "reason": "期满未达成协议"}
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "terminate", D(2025, 11, 4), lapsed)
    assert "调解期限尚未届满（期限至2025-11-04）" in exc.value.blockers[0].reason
    # The day after the due date, before the sweep has lapsed the case: allowed.
    case = fire(db, world, case, "terminate", D(2025, 11, 5), lapsed)
    assert case.status == "terminated" and case.end_reason == "lapsed"


# --- 13: agreements paid in instalments ------------------------------------------------------------------------

def instalments(db: Session, world: World) -> Case:
    # Probe B: signed 2025-10-22; instalments due 2025-11-30 and 2027-01-31.
    return agreed(db, world, [obligation("第一期工资", "wages", "12000.00", D(2025, 11, 30)),
                              obligation("第二期工资", "wages", "12000.00", D(2027, 1, 31))], today=D(2025, 10, 22))


def test_no_limitation_runs_out_while_performance_is_not_due(db: Session, world: World) -> None:
    from mediation.cases.sweep import run_sweep

    case = instalments(db, world)
    assert [d for d in case.deadlines if d.kind == "limitation" and d.obligation_id is None
            and d.status == "open"] == []
    per = {d.obligation.due_on: d for d in rows(case, "limitation")}
    assert set(per) == {D(2025, 11, 30), D(2027, 1, 31)}
    assert per[D(2025, 11, 30)].anchor_on == D(2025, 12, 1) and per[D(2025, 11, 30)].due_on == D(2026, 12, 1)
    assert per[D(2027, 1, 31)].anchor_on == D(2027, 2, 1) and per[D(2027, 1, 31)].due_on >= D(2028, 2, 1)
    # A year after signing, with the first instalment paid on time, nothing is overdue.
    first = next(o for o in case.current_agreement.obligations if o.due_on == D(2025, 11, 30))  # type: ignore[union-attr]
    case = fire(db, world, case, "record_performance", D(2025, 11, 28),
                {"obligation_id": first.id, "performed_on": "2025-11-28", "amount": "12000.00", "proof": "回单"})
    assert per[D(2025, 11, 30)].status == "cancelled"

    class _Same:
        def __enter__(self) -> Session:
            return db

        def __exit__(self, *exc: object) -> None:
            return None

    run_sweep(_Same, today=D(2026, 10, 23), env=world.env)
    db.expire_all()
    case = db.get(Case, case.id)  # type: ignore[assignment]
    assert [d for d in case.deadlines if d.kind == "limitation" and d.status == "overdue"] == []
    assert [d.obligation.due_on for d in rows(case, "limitation")] == [D(2027, 1, 31)]


def test_on_default_the_limitation_runs_per_missed_instalment_from_the_day_after(db: Session, world: World) -> None:
    case = instalments(db, world)
    routes = routes_after_default(db, world, case, D(2025, 12, 5))
    arbitration = routes["arbitration"]
    assert arbitration["limitation_from"] == "2025-12-01"
    assert arbitration["deadline"] == "2026-12-01"
    [only] = arbitration["limitations"]
    assert only["due_on"] == "2026-12-01"
    # The later instalment, not yet due, keeps its own row from 2027-02-01.
    db.expire_all()
    case = db.get(Case, case.id)  # type: ignore[assignment]
    assert sorted(d.anchor_on for d in rows(case, "limitation")) == [D(2025, 12, 1), D(2027, 2, 1)]


# --- 21 (V2): both parties may extend after the period lapsed ---------------------------------------------------

def _lapsed(db: Session, world: World) -> Case:
    from mediation.domain.policy import Actor

    case = drive(db, world, new_case(db, world, D(2025, 10, 20)), D(2025, 10, 20), "accept")  # period to 11-04
    return svc.fire_event(db, case_id=case.id, event="lapse", actor=Actor.system(), today=D(2025, 11, 5), env=world.env)


def test_extension_from_lapsed_resumes_mediation(db: Session, world: World) -> None:
    case = _lapsed(db, world)
    assert case.status == "lapsed" and case.workflow_version == CURRENT_VERSION != "1"
    agree = {"worker_agrees": True, "employer_agrees": True}
    with pytest.raises(GuardFailed) as exc:  # 11-04 + 1 day is still in the past on 11-10
        fire(db, world, case, "extend", D(2025, 11, 10), {**agree, "days": 1})
    assert exc.value.blockers[0].guard == "extension_reaches_today"
    with pytest.raises(GuardFailed) as exc:  # the cap (15 days in total) still applies
        fire(db, world, case, "extend", D(2025, 11, 10), {**agree, "days": 16})
    assert exc.value.blockers[0].guard == "extension_within_cap"
    case = fire(db, world, case, "extend", D(2025, 11, 10), {**agree, "days": 10})
    assert case.status == "mediating" and case.extension_days == 10
    [end] = rows(case, "mediation_end")
    assert end.due_on == D(2025, 11, 14)
    [old] = rows(case, "mediation_end", "cancelled")
    assert old.overdue_recorded_at is not None  # the lapse stays on record


def test_a_v1_case_keeps_its_state_machine(db: Session, world: World) -> None:
    from mediation.domain.errors import EventNotAllowed

    case = _lapsed(db, world)
    case.workflow_version = "1"
    db.commit()
    with pytest.raises(EventNotAllowed):
        fire(db, world, case, "extend", D(2025, 11, 10), {"worker_agrees": True, "employer_agrees": True, "days": 10})


# --- 26 (V2): joint review / confirmation still possible after a default, within its window -------------------

def test_judicial_confirmation_after_default_within_30_days(db: Session, world: World) -> None:
    today = D(2025, 10, 20)
    case = agreed(db, world, [obligation("支付工资", "wages", "24000.00", D(2025, 10, 25))], today=today)
    case = fire(db, world, case, "report_non_performance", D(2025, 10, 28))
    assert case.status == "non_performed"
    [window] = rows(case, "judicial_confirmation")
    assert window.due_on == D(2025, 11, 19)
    case = fire(db, world, case, "request_review", D(2025, 11, 3), {"review_kind": "judicial_confirmation"})
    assert case.status == "non_performed" and case.current_agreement.review_kind == "judicial_confirmation"  # type: ignore[union-attr]
    assert rows(case, "judicial_confirmation", "met")
    # The arbitration-review window (15 days, to 11-04) has passed by 11-10.
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "request_review", D(2025, 11, 10), {"review_kind": "arbitration_review"})
    assert "届满" in exc.value.blockers[0].reason


# --- QA: nothing left to record once every obligation is performed ------------------------------------------------

def test_no_performance_can_be_recorded_once_everything_is_performed(db: Session, world: World) -> None:
    case = agreed(db, world, [obligation("工资", "wages", "1000.00", D(2025, 11, 30))], today=D(2025, 10, 22))
    [only] = case.current_agreement.obligations  # type: ignore[union-attr]
    payment = {"obligation_id": only.id, "performed_on": "2025-11-20", "amount": "1000.00", "proof": "回单"}
    case = fire(db, world, case, "record_performance", D(2025, 11, 20), payment)
    options = {o.event: o for o in svc.available_events(db, case=case, actor=world.actor(world.mediator),
                                                          today=D(2025, 11, 21), env=world.env)}
    assert not options["record_performance"].allowed
    assert [b.guard for b in options["record_performance"].blockers] == ["obligation_outstanding"]
    assert options["confirm_performed"].allowed
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "record_performance", D(2025, 11, 21), {**payment, "amount": "1.00"})
    assert exc.value.blockers[0].guard == "obligation_outstanding"


# --- QA: the acceptance that names a mediator applies the recusal rule (回避) ---------------------------------------

def test_accepting_with_a_mediator_who_must_recuse_is_refused(db: Session, world: World) -> None:
    from mediation.cases.assignment import declare_conflict

    case = new_case(db, world, D(2025, 10, 20))
    declare_conflict(db, user=world.mediator2, reason="亲属在该公司任职", enterprise_id=world.enterprise.id)
    version = case.version
    with pytest.raises(ValidationFailed) as exc:
        fire(db, world, case, "accept", D(2025, 10, 20),
             {"respondent_consents": True, "mediator_id": world.mediator2.id})
    assert "应当回避" in exc.value.errors["mediator_id"][0] and "亲属在该公司任职" in exc.value.errors["mediator_id"][0]
    db.expire_all()
    fresh = db.get(Case, case.id)
    # nothing of the acceptance is written; the refusal is recorded with its reason, as for an assignment
    assert fresh is not None and fresh.status == "applied" and fresh.lead_mediator_id is None
    assert fresh.accepted_on is None and fresh.version == version + 1 == exc.value.extra["current_version"]
    last = fresh.events[-1]
    assert (last.event, last.from_state, last.to_state, last.payload) == (
        "assignment_refused", "applied", "applied", {"mediator_id": world.mediator2.id})
    assert "亲属在该公司任职" in last.reason
    case = fire(db, world, fresh, "accept", D(2025, 10, 20),
                {"respondent_consents": True, "mediator_id": world.mediator.id})
    assert case.status == "mediating" and case.lead_mediator_id == world.mediator.id
