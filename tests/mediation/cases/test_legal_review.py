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


# --- 2: ELDNMP art. 31 — a failed or lapsed mediation at an enterprise committee restarts the limitation --------

def enterprise_committee(db: Session, world: World) -> None:
    world.township.kind = "enterprise_committee"
    db.commit()


def test_termination_at_an_enterprise_committee_restarts_the_limitation_from_that_day(
        db: Session, world: World) -> None:
    enterprise_committee(db, world)
    case = new_case(db, world, D(2025, 9, 28))
    case = drive(db, world, case, D(2025, 9, 29), "accept")  # the period runs to 10-14
    case = drive(db, world, case, D(2025, 10, 10), "terminate")  # failed within it: from that day
    [lim] = rows(case, "limitation")
    assert lim.anchor_on == D(2025, 10, 10) and lim.due_on == D(2026, 10, 10)
    assert "《企业劳动争议协商调解规定》第三十一条" in lim.basis  # which rule applied is recorded


def test_a_termination_recorded_after_the_period_restarts_from_the_periods_end(db: Session, world: World) -> None:
    enterprise_committee(db, world)
    case = drive(db, world, new_case(db, world, D(2025, 9, 28)), D(2025, 9, 29), "accept")
    case = drive(db, world, case, D(2025, 10, 20), "terminate")  # no agreement within the period (to 10-14)
    [lim] = rows(case, "limitation")
    assert lim.anchor_on == D(2025, 10, 14) and lim.due_on == D(2026, 10, 14)


def test_a_lapse_restarts_from_the_last_day_of_the_period_not_the_sweeps_day(db: Session, world: World) -> None:
    from mediation.domain.policy import Actor

    enterprise_committee(db, world)
    # received 2025-09-28, accepted 09-29: 15 days end 10-14 (a Tuesday); the sweep lapses it days later
    case = drive(db, world, new_case(db, world, D(2025, 9, 28)), D(2025, 9, 29), "accept")
    case = svc.fire_event(db, case_id=case.id, event="lapse", actor=Actor.system(), today=D(2025, 10, 17),
                          env=world.env)
    [lim] = rows(case, "limitation")
    assert lim.anchor_on == D(2025, 10, 14) and lim.due_on == D(2026, 10, 14)
    # the termination that follows the lapse is the same failure: no second restart
    case = fire(db, world, case, "terminate", D(2025, 10, 20), {"end_reason": "lapsed", "reason": "期满"})
    [lim] = rows(case, "limitation")
    assert lim.anchor_on == D(2025, 10, 14)


def test_at_a_township_body_the_applications_interruption_stands(db: Session, world: World) -> None:
    case = new_case(db, world, D(2025, 9, 28))  # a township (street) body: ELDNMP art. 31 is not its regime
    case = drive(db, world, case, D(2025, 9, 29), "accept")
    case = drive(db, world, case, D(2025, 10, 20), "terminate")
    [lim] = rows(case, "limitation")
    assert lim.anchor_on == D(2025, 9, 28) and lim.due_on == D(2026, 9, 28)
    assert "《劳动人事争议仲裁办案规则》第二十七条第一项" in lim.basis


def test_an_enterprise_committees_refusal_restarts_the_limitation(db: Session, world: World) -> None:
    enterprise_committee(db, world)
    case = new_case(db, world, D(2025, 9, 28))
    case = fire(db, world, case, "reject", D(2025, 9, 30), {"reason_code": "respondent_refuses", "reason": "拒绝"})
    [lim] = rows(case, "limitation")
    assert lim.anchor_on == D(2025, 9, 30) and "第三十一条" in lim.basis
    # out of scope is no refusal to mediate: the application's interruption stands
    other = fire(db, world, new_case(db, world, D(2025, 9, 28)), "reject", D(2025, 9, 30),
                 {"reason_code": "out_of_scope", "reason": "不属于受理范围"})
    [lim] = rows(other, "limitation")
    assert lim.anchor_on == D(2025, 9, 28)


# --- LDMAL art. 27(3): suspension and resumption ------------------------------------------------------------------

def test_suspension_moves_the_end_by_the_days_it_stood_still(db: Session, world: World) -> None:
    case = new_case(db, world, D(2025, 9, 28))  # limitation from the receipt: to 2026-09-28
    case = fire(db, world, case, "suspend_limitation", D(2025, 10, 20),
                {"suspended_on": "2025-10-10", "reason": "申请人因台风无法出行"})
    assert case.limitation_suspended_on == D(2025, 10, 10)
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "suspend_limitation", D(2025, 10, 20), {"reason": "再次中止"})
    assert "已自2025-10-10起中止" in exc.value.blockers[0].reason
    with pytest.raises(ValidationFailed) as bad:
        fire(db, world, case, "resume_limitation", D(2025, 10, 20), {"resumed_on": "2025-10-01"})
    assert "resumed_on" in bad.value.errors
    case = fire(db, world, case, "resume_limitation", D(2025, 10, 20), {"resumed_on": "2025-10-20"})
    [lim] = rows(case, "limitation")
    # ten days stood still: 2026-09-28 + 10 = 2026-10-08, the first working day after the 2026 National Day holiday
    assert case.limitation_suspended_days == 10 and lim.anchor_on == D(2025, 9, 28)
    assert lim.due_on == D(2026, 10, 8)
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "resume_limitation", D(2025, 10, 21))
    assert exc.value.blockers[0].reason == "仲裁时效未中止，无需恢复"


def test_a_suspension_needs_its_reason(db: Session, world: World) -> None:
    case = new_case(db, world, D(2025, 9, 28))
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "suspend_limitation", D(2025, 10, 20), {})
    assert "请填写理由" in exc.value.detail


# --- LDMAL art. 27(4): pay arrears during the employment --------------------------------------------------------

def test_pay_arrears_while_employed_run_no_limitation_until_the_employment_ends(db: Session, world: World) -> None:
    case = new_case(db, world, D(2025, 9, 28), employment_ongoing=True)
    assert rows(case, "limitation") == []
    from workflows.notes import limitation_line
    assert "不受一年仲裁时效期间的限制" in limitation_line(case) and "第二十七条第四款" in limitation_line(case)
    case = fire(db, world, case, "record_employment_end", D(2025, 11, 3), {"employment_ended_on": "2025-10-31"})
    [lim] = rows(case, "limitation")
    assert lim.anchor_on == D(2025, 10, 31) and lim.due_on == D(2026, 11, 2)  # 2026-10-31 is a Saturday
    assert "第二十七条第四款" in lim.basis
    with pytest.raises(ValidationFailed) as exc:
        fire(db, world, case, "record_employment_end", D(2025, 11, 3), {"employment_ended_on": "2025-11-04"})
    assert "employment_ended_on" in exc.value.errors


def test_an_employment_that_ended_before_intake_starts_the_year_for_pay_arrears(db: Session, world: World) -> None:
    case = svc.create_case(db, actor=world.actor(world.clerk), today=D(2025, 9, 20), data=application(
        world, source="screening", initial_state="reported", dispute_arose_on="2025-03-01",
        employment_ended_on="2025-08-15"), env=world.env)
    [lim] = rows(case, "limitation")
    assert lim.anchor_on == D(2025, 8, 15) and "第二十七条第四款" in lim.basis


# --- 4, 18: collective disputes ---------------------------------------------------------------------------------

def test_a_twelve_worker_case_can_be_reported_at_once(db: Session, world: World) -> None:
    # Probe E: 12 workers with a common claim, no representatives yet: the report must be possible; acceptance
    # waits for them.
    case = new_case(db, world, D(2025, 10, 20), workers_count=12)
    opts = {o.event: o for o in svc.available_events(db, case=case, actor=world.actor(world.mediator),
                                                     today=D(2025, 10, 20), env=world.env)}
    assert opts["escalate"].allowed
    assert [b.guard for b in opts["accept"].blockers] == ["collective_has_representatives"]
    assert "劳动者可以推举代表" in opts["accept"].blockers[0].reason


# --- LDMAL art. 7: ten or more workers *with a common claim* ----------------------------------------------------

def test_ten_workers_without_a_common_claim_are_no_collective_dispute(db: Session, world: World) -> None:
    from workflows.notes import collective_note

    case = new_case(db, world, D(2025, 10, 20), workers_count=12, common_claim="")
    assert not case.is_collective
    note = collective_note(case, world.env.rules.collective_threshold)
    assert note.startswith("涉及12名劳动者，但未登记共同请求，不属于调解仲裁法第七条规定的集体争议")
    with pytest.raises(ValidationFailed) as exc:
        new_case(db, world, D(2025, 10, 20), workers_count=12, is_collective=True, common_claim="  ")
    assert exc.value.errors == {
        "common_claim": ["集体争议须填写劳动者的共同请求（调解仲裁法第七条：十人以上并有共同请求）"]}


def test_the_mediator_corrects_the_collective_flag_with_a_reason(db: Session, world: World) -> None:
    case = new_case(db, world, D(2025, 10, 20), workers_count=12, common_claim="")
    with pytest.raises(GuardFailed) as exc:  # a reason is required
        fire(db, world, case, "correct_collective", D(2025, 10, 21), {"is_collective": True, "common_claim": "x"})
    assert "请填写理由" in exc.value.detail
    with pytest.raises(GuardFailed) as exc:  # collective needs the common claim
        fire(db, world, case, "correct_collective", D(2025, 10, 21), {"is_collective": True, "reason": "核实"})
    assert exc.value.blockers[0].missing == ("common_claim",)
    assert "缺少“共同请求”" in exc.value.blockers[0].reason
    case = fire(db, world, case, "correct_collective", D(2025, 10, 21),
                {"is_collective": True, "common_claim": "支付拖欠的工资", "reason": "经核实12人请求一致"})
    assert case.is_collective and case.common_claim == "支付拖欠的工资"
    [report] = rows(case, "collective_report")
    assert report.anchor_on == D(2025, 10, 21)
    event = case.events[-1]
    assert event.event == "correct_collective" and event.reason == "经核实12人请求一致"
    assert event.payload["was_collective"] is False
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "correct_collective", D(2025, 10, 21), {"is_collective": True, "reason": "again"})
    assert "已是集体争议" in exc.value.blockers[0].reason
    case = fire(db, world, case, "correct_collective", D(2025, 10, 22), {"is_collective": False, "reason": "撤回"})
    assert not case.is_collective and rows(case, "collective_report") == []


def _representatives(db: Session, world: World, case: Case, n: int) -> Case:
    from mediation.cases import parties

    for i in range(n):
        case, _ = parties.add_party(db, case_id=case.id, actor=world.actor(world.clerk),
                                    data={"role": "representative", "name": f"代表{i + 1}"},
                                    expected_version=case.version, env=world.env)
    return case


def test_three_to_five_representatives_is_the_committees_adopted_practice(db: Session, world: World) -> None:
    case = _representatives(db, world, new_case(db, world, D(2025, 10, 20), workers_count=12), 2)
    consent = {"respondent_consents": True}
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "accept", D(2025, 10, 20), consent)
    reason = exc.value.blockers[0].reason
    assert reason.startswith("集体争议须由劳动者推举3至5名代表参加调解，现登记2名（本会采用的工作惯例，参照"
                             "劳动人事争议仲裁办案规则第五条、第六十二条、第六十三条")
    world.township.collective_reps_practice = False  # the committee does not adopt it: one representative is enough
    db.commit()
    case = fire(db, world, case, "accept", D(2025, 10, 20), consent)
    assert case.status == "mediating"


def test_more_than_five_representatives_are_refused_under_the_practice(db: Session, world: World) -> None:
    case = _representatives(db, world, new_case(db, world, D(2025, 10, 20), workers_count=40), 6)
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "accept", D(2025, 10, 20), {"respondent_consents": True})
    assert "现登记6名" in exc.value.blockers[0].reason


def test_a_collective_settlement_also_needs_the_representatives_authorisation(db: Session, world: World) -> None:
    from mediation.cases import parties

    data = application(world, source="walk_in_written", initial_state="negotiating", workers_count=12)
    data["parties"] = [*data["parties"], {"role": "representative", "name": "赵一"}]
    case = svc.create_case(db, actor=world.actor(world.clerk), today=D(2025, 10, 20), data=data, env=world.env)
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "settle", D(2025, 10, 20), agreement_payload(D(2025, 10, 20)))
    assert [b.guard for b in exc.value.blockers] == ["representatives_authorised"]
    assert exc.value.blockers[0].reason.startswith("代表赵一未经劳动者特别授权")
    zhao = next(p for p in case.parties if p.name == "赵一")
    with pytest.raises(ValidationFailed) as bad:  # the authorisation says what it covers
        parties.update_party(db, case_id=case.id, party_id=zhao.id, actor=world.actor(world.mediator),
                             data={"authorised_to_sign": True}, expected_version=case.version)
    assert "authorisation_scope" in bad.value.errors
    case, _ = parties.update_party(db, case_id=case.id, party_id=zhao.id, actor=world.actor(world.mediator),
                                   data={"authorised_to_sign": True, "authorisation_scope": "代为签署和解协议"},
                                   expected_version=case.version)
    case = fire(db, world, case, "settle", D(2025, 10, 20), agreement_payload(D(2025, 10, 20)))
    assert case.status == "agreed"


def test_no_extension_cap_unless_the_committee_sets_one(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, D(2025, 10, 20)), D(2025, 10, 20), "accept")
    agree = {"worker_agrees": True, "employer_agrees": True}
    case = fire(db, world, case, "extend", D(2025, 10, 21), {**agree, "days": 20})
    case = fire(db, world, case, "extend", D(2025, 10, 22), {**agree, "days": 20})
    assert case.extension_days == 40  # ELDNMP art. 29 sets no cap
    [end] = rows(case, "mediation_end")
    assert end.due_on == D(2025, 12, 15) and end.basis == "《企业劳动争议协商调解规定》第二十九条"


def test_the_reporting_reason_does_not_cite_art_7(db: Session, world: World) -> None:
    case = new_case(db, world, D(2025, 10, 20))
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "escalate", D(2025, 10, 20))
    reason = exc.value.blockers[0].reason
    assert "第七条" not in reason and "10人以上" in reason and "本会" in reason


# --- 7: the basis for not mediating a refusing party depends on the organisation -------------------------------

def test_refusal_basis_follows_the_organisations_own_regime(db: Session, world: World) -> None:
    case = new_case(db, world, D(2025, 10, 20))  # a township (street) body without its own provision recorded
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "accept", D(2025, 10, 20), {"respondent_consents": False})
    reason = exc.value.blockers[0].reason
    assert "人民调解法" not in reason and "有关规定" not in reason and "待核实" not in reason
    world.township.own_rules_basis = "《东栅街道劳动争议调解工作规则》第十条"
    db.commit()
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "accept", D(2025, 10, 20), {"respondent_consents": False})
    assert "《东栅街道劳动争议调解工作规则》第十条" in exc.value.blockers[0].reason
    enterprise_committee(db, world)
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "accept", D(2025, 10, 20), {})
    assert exc.value.blockers[0].reason == (
        "未勾选“被申请人同意调解”：须先确认对方当事人同意调解（企业劳动争议协商调解规定第二十二条）")
    world.township.kind = "peoples_mediation"
    db.commit()
    with pytest.raises(GuardFailed) as exc:
        fire(db, world, case, "accept", D(2025, 10, 20), {"respondent_consents": False})
    assert "人民调解法第十七条" in exc.value.blockers[0].reason


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
    world.township.extension_cap_days = 15  # a committee that set its own cap: it applies after a lapse too
    db.commit()
    with pytest.raises(GuardFailed) as exc:
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
