"""The shared ``transitions`` machine: one per version, never holding a model, safe across threads; the guards are
its conditions and every failing one is reported; refusals come in the documented order (not possible → payload
shape → dates → guards); "what can I do now" asks the same conditions. No database: the cases are transient and the
operations are refused before anything would be written."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest

from mediation.db.models import Case, Party
from mediation.domain.calendar import ChineseWorkdayCalendar
from mediation.domain.errors import EventNotAllowed, GuardFailed, RoleNotAllowed, UnknownEvent, ValidationFailed
from mediation.domain.policy import Actor
from mediation.runtime.env import ServiceEnv
from workflows import pipeline
from workflows.binding import WORKFLOWS, Workflow
from workflows.definitions import CURRENT_VERSION
from workflows.definitions import V3_ADDED as V3_TRANSITIONS

TODAY = dt.date(2025, 10, 20)
ENV = ServiceEnv(calendar=ChineseWorkdayCalendar())
MEDIATOR = Actor(user_id=1, role="mediator", organisation_id=1)


def applied(*, category: str = "remuneration", parties: bool = True, consents: bool | None = None) -> Case:
    case = Case(status="applied", workflow_version=CURRENT_VERSION, rules_version=ENV.rules.version,
                category=category, workers_count=1, is_collective=False, respondent_consents=consents,
                received_on=TODAY - dt.timedelta(days=1), requests="支付工资")
    if parties:
        case.parties = [Party(role="worker", name="张三"), Party(role="employer", name="某公司")]
    return case


def wf() -> Workflow:
    return WORKFLOWS.version(CURRENT_VERSION)


def fire(case: Case, event: str, payload: dict[str, Any] | None = None, actor: Actor = MEDIATOR) -> Any:
    return wf().fire(None, case, event, payload or {}, actor=actor, env=ENV, today=TODAY)  # type: ignore[arg-type]


def test_every_failing_guard_is_reported_not_only_the_first() -> None:
    with pytest.raises(GuardFailed) as exc:
        fire(applied(category="astrology", parties=False), "accept")
    assert [b.guard for b in exc.value.blockers] == ["category_in_scope", "parties_identified", "respondent_consents"]
    assert all(b.reason for b in exc.value.blockers)
    assert exc.value.detail.startswith("不能执行“受理”：") and exc.value.detail.count("；") == 2


#: The events workflow v3 adds (open in every state before closing).
V3_ADDED = [t.event for t in V3_TRANSITIONS]


def test_refusals_come_in_order_not_possible_then_payload_then_dates_then_guards() -> None:
    case = applied(category="astrology", parties=False)
    with pytest.raises(UnknownEvent) as unknown:
        fire(case, "teleport", {"bogus": 1})
    assert unknown.value.allowed == ["escalate", "accept", "reject", "withdraw", *V3_ADDED]
    with pytest.raises(EventNotAllowed) as not_here:
        fire(case, "sign_agreement", {"bogus": 1})
    assert not_here.value.detail == "案件当前状态为“已申请待受理”，不能执行“签署调解协议”"
    mediating = applied()
    mediating.status = "mediating"
    with pytest.raises(EventNotAllowed) as role:  # a system event: the role is checked before the payload
        fire(mediating, "lapse", {"bogus": 1})
    assert role.value.detail == "您的角色无权执行“调解期满”"
    with pytest.raises(ValidationFailed) as shape:  # the payload before the guards
        fire(case, "accept", {"bogus": 1})
    assert "bogus" in shape.value.errors
    with pytest.raises(ValidationFailed) as dates:  # the dates before the guards
        fire(case, "accept", {"accepted_on": (TODAY + dt.timedelta(days=1)).isoformat()})
    assert dates.value.errors == {"accepted_on": ["受理日期不能晚于今天"]}
    assert case.status == "applied"


def test_one_machine_per_version_shared_and_holding_no_model() -> None:
    w = wf()
    assert WORKFLOWS.version(CURRENT_VERSION).machine is w.machine
    for _ in range(50):
        with pytest.raises(GuardFailed):
            fire(applied(), "accept")
    assert w.machine.models == []
    for event in w.machine.events.values():
        for transitions in event.transitions.values():
            for t in transitions:
                assert (tuple(t.prepare), tuple(t.before), tuple(t.after)) == (
                    pipeline.PREPARE, pipeline.BEFORE, pipeline.AFTER)
    assert tuple(w.machine.finalize_event) == pipeline.FINALIZE


def test_concurrent_operations_on_the_shared_machine_keep_their_own_reasons() -> None:
    kinds = {
        "category": (dict(category="astrology"), ["category_in_scope", "respondent_consents"]),
        "parties": (dict(parties=False), ["parties_identified", "respondent_consents"]),
        "consent": (dict(consents=False), ["respondent_consents"]),
        "all": (dict(category="astrology", parties=False), ["category_in_scope", "parties_identified",
                                                           "respondent_consents"]),
    }
    wrong: list[str] = []
    barrier = threading.Barrier(8)

    def run(name: str) -> None:
        overrides, expected = kinds[name]
        barrier.wait()
        for _ in range(200):
            try:
                fire(applied(**overrides), "accept")
                wrong.append(f"{name}: accepted")
            except GuardFailed as exc:
                got = [b.guard for b in exc.blockers]
                if got != expected:
                    wrong.append(f"{name}: {got}")

    threads = [threading.Thread(target=run, args=(name,)) for name in list(kinds) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert wrong == []
    assert wf().machine.models == []


def test_binding_an_operation_stays_well_under_a_tenth_of_a_millisecond() -> None:
    case, w = applied(), wf()
    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        w.bind(None, case, actor=MEDIATOR, env=ENV, today=TODAY, event="accept", payload={})
    assert (time.perf_counter() - t0) / n < 0.0001


def test_what_can_be_done_now_comes_from_the_same_conditions() -> None:
    options = {o.event: o for o in wf().options(applied(category="astrology"), actor=MEDIATOR, today=TODAY, env=ENV)}
    assert list(options) == ["escalate", "accept", "reject", "withdraw", *V3_ADDED]
    accept = options["accept"]
    # decided now: the category; judged on the input: the respondent's consent (a field of the form)
    assert [b.guard for b in accept.blockers] == ["category_in_scope"] and not accept.allowed
    assert accept.inputs == ("respondent_consents",)
    assert options["reject"].requires_reason and options["reject"].inputs == ("reason",)
    assert options["reject"].allowed
    # the clerk reports a collective dispute too (its 1-day limit runs from intake); not accepting it
    clerk = Actor(user_id=2, role="clerk", organisation_id=1)
    case = applied()
    case.organisation_id = 1
    by_clerk = {o.event: o for o in wf().options(case, actor=clerk, today=TODAY, env=ENV)}
    assert by_clerk["escalate"].role_allowed and [b.guard for b in by_clerk["escalate"].blockers] == ["is_collective"]
    assert not by_clerk["accept"].role_allowed and by_clerk["accept"].blockers[0].guard == "role"
    # a supervisor of the county above the committee: the early report only, never the committee's own acts
    above = Actor(user_id=3, role="supervisor", organisation_id=7, org_path="/7/")
    by_above = {o.event: o for o in wf().options(case, actor=above, today=TODAY, env=ENV)}
    assert by_above["escalate"].role_allowed
    for event in ("accept", "reject", "withdraw"):
        assert not by_above[event].role_allowed and not by_above[event].allowed
        assert by_above[event].blockers[0].guard == "role" and "所属调解组织" in by_above[event].blockers[0].reason
    with pytest.raises(RoleNotAllowed, match=r"受理.*所属调解组织"):
        fire(case, "accept", {"respondent_consents": True}, actor=above)
    assert case.status == "applied"
    # a supervisor of the committee itself acts for it
    own = Actor(user_id=4, role="supervisor", organisation_id=1, org_path="/7/1/")
    assert {o.event: o for o in wf().options(case, actor=own, today=TODAY, env=ENV)}["accept"].role_allowed
