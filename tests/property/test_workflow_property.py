"""Property-based test of the lifecycle: random events against an independent reference table.

The reference table below is written out by hand from docs/domain.md#lifecycle, not derived from the definition, so a
change to either one shows up here. Invariants after every step: the case's status equals the last
event's target; events form an unbroken chain; the terminal state accepts no event; at most one open
deadline of each kind (per obligation for performance and, after an agreement, limitation deadlines);
an open deadline is never due before its anchor; a case in a closed state has no open procedural clocks.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Case, CaseEvent
from mediation.domain.errors import EventNotAllowed, GuardFailed, ValidationFailed
from tests.factories import World, agreement_payload, application, build_world, session_payload

OPEN = ("reported", "triage", "negotiating", "applied", "mediating", "lapsed")
REFERENCE: dict[tuple[str, str], str] = {
    ("reported", "begin_triage"): "triage",
    ("triage", "start_negotiation"): "negotiating",
    ("triage", "register_application"): "applied",
    ("negotiating", "register_application"): "applied",
    ("negotiating", "settle"): "agreed",
    ("applied", "accept"): "mediating",
    ("applied", "reject"): "not_accepted",
    ("mediating", "record_session"): "mediating",
    ("mediating", "extend"): "mediating",
    ("lapsed", "extend"): "mediating",  # V2: both parties agree to extend after the period lapsed
    ("mediating", "sign_agreement"): "agreed",
    ("mediating", "lapse"): "lapsed",
    ("mediating", "terminate"): "terminated",
    ("lapsed", "terminate"): "terminated",
    ("agreed", "record_performance"): "performing",
    ("performing", "record_performance"): "performing",
    ("non_performed", "record_late_performance"): "non_performed",
    ("agreed", "request_review"): "agreed",
    ("performing", "request_review"): "performing",
    ("non_performed", "request_review"): "non_performed",  # V2: joint application within the window
    ("agreed", "confirm_performed"): "performed",
    ("performing", "confirm_performed"): "performed",
    ("non_performed", "confirm_performed"): "performed",
    ("agreed", "report_non_performance"): "non_performed",
    ("performing", "report_non_performance"): "non_performed",
    **{(s, "refer"): "referred" for s in ("not_accepted", "lapsed", "terminated", "non_performed")},
    **{(s, "withdraw"): "withdrawn" for s in OPEN},
    **{(s, "escalate"): s for s in OPEN},
    ("reported", "dismiss"): "closed",
    ("triage", "dismiss"): "closed",
    **{(s, "close"): "closed" for s in ("performed", "referred", "not_accepted", "terminated", "withdrawn")},
    # v3: the outcome of a joint review/confirmation request (hand-off packages)
    **{(s, "review_granted"): "closed" for s in ("agreed", "performing", "non_performed")},
    **{(s, "review_refused"): s for s in ("agreed", "performing", "non_performed")},
}
NOT_CLOSED = ("reported", "triage", "negotiating", "applied", "not_accepted", "mediating", "lapsed", "agreed",
              "performing", "non_performed", "performed", "terminated", "referred", "withdrawn")
#: V3 also adds the legal-record events (LDMAL art. 27(3), 27(4), art. 7), which never change the state.
V3_LEGAL: dict[tuple[str, str], str] = {
    **{(s, e): s for s in NOT_CLOSED for e in ("suspend_limitation", "resume_limitation", "record_employment_end")},
    **{(s, "correct_collective"): s for s in OPEN},
}
REFERENCE.update(V3_LEGAL)
#: Added by V3 (new cases): the outcomes of a joint review or confirmation request, and the legal-record events.
V3_ONLY = {(s, e) for s in ("agreed", "performing", "non_performed") for e in ("review_granted", "review_refused")} \
    | set(V3_LEGAL)
EVENTS = sorted({e for _, e in REFERENCE})
TERMINAL = {"closed"}
CLOCKS = {"acceptance", "arbitration_right", "mediation_end", "negotiation_reply"}


def payload_for(event: str, case: Case, today: dt.date, good: bool) -> dict[str, Any]:
    if not good:
        return {}
    agreement = case.current_agreement
    pending = [o for o in (agreement.obligations if agreement else []) if o.status != "performed"]
    return {
        "accept": {"respondent_consents": True},
        "reject": {"reason_code": "respondent_refuses", "reason": "对方拒绝调解"},
        "record_session": session_payload(),
        "extend": {"worker_agrees": True, "employer_agrees": True, "days": 3},
        "sign_agreement": agreement_payload(today),
        "settle": agreement_payload(today),
        "terminate": {"end_reason": "failed", "reason": "调解不成"},
        "record_late_performance": (
            {"obligation_id": pending[0].id, "performed_on": today.isoformat(), "amount": str(pending[0].amount),
             "proof": "回单"} if pending else {}
        ),
        "record_performance": (
            {"obligation_id": pending[0].id, "performed_on": today.isoformat(), "amount": str(pending[0].amount),
             "proof": "回单"} if pending else {}
        ),
        "request_review": {"review_kind": "judicial_confirmation"},
        "review_granted": {"decision_number": "（2025）浙0402民特1号"},
        "review_refused": {"decision_number": "（2025）浙0402民特2号"},
        "withdraw": {"reason": "撤回"},
        "dismiss": {"reason": "已化解"},
        "suspend_limitation": {"reason": "不可抗力"},
        "record_employment_end": {"employment_ended_on": today.isoformat()},
        "correct_collective": {"is_collective": not case.is_collective, "common_claim": "支付拖欠的工资",
                               "reason": "经核实更正"},
    }.get(event, {})


class Lifecycle(RuleBasedStateMachine):
    db: Session
    world: World

    def __init__(self) -> None:
        super().__init__()
        self.today = dt.date(2025, 9, 1)
        self.case_id = 0
        self.state = ""

    @initialize(start=st.sampled_from(["reported", "applied", "negotiating"]), workers=st.sampled_from([1, 12]))
    def register(self, start: str, workers: int) -> None:
        parties = application(self.world)["parties"]
        if workers >= 10:  # 3–5 representatives with the workers' special authorisation (committee practice)
            parties = [*parties, *({"role": "representative", "name": f"代表{n}", "authorised_to_sign": True,
                                    "authorisation_scope": "代为达成、签署调解协议"} for n in "甲乙丙")]
        data = application(self.world, initial_state=start, workers_count=workers, parties=parties,
                           source="screening" if start == "reported" else "walk_in_written")
        case = svc.create_case(self.db, actor=self.world.actor(self.world.clerk), data=data, today=self.today,
                               env=self.world.env)
        self.case_id, self.state = case.id, case.status
        assert self.state == start

    def _case(self) -> Case:
        case = self.db.get(Case, self.case_id)
        assert case is not None
        return case

    @rule(event=st.sampled_from(EVENTS), days=st.integers(0, 25), good=st.booleans(),
          system=st.booleans())
    def fire(self, event: str, days: int, good: bool, system: bool) -> None:
        self.today += dt.timedelta(days=days)
        case = self._case()
        before = (case.status, case.version, len(case.events))
        actor = self.world.actor(self.world.mediator)
        if system or event == "lapse":
            from mediation.domain.policy import Actor

            actor = Actor.system() if event == "lapse" else actor
        expected = REFERENCE.get((case.status, event))
        try:
            case = svc.fire_event(self.db, case_id=self.case_id, event=event, actor=actor,
                                  payload=payload_for(event, case, self.today, good), today=self.today,
                                  env=self.world.env)
        except EventNotAllowed:
            assert expected is None, f"{before[0]} --{event}--> should reach {expected}"
            self._unchanged(before)
            return
        except (GuardFailed, ValidationFailed):
            assert expected is not None, f"{event} from {before[0]} must be refused as not allowed"
            self._unchanged(before)
            return
        assert expected is not None, f"{event} from {before[0]} must not be possible"
        assert case.status == expected
        self.state = case.status

    def _unchanged(self, before: tuple[str, int, int]) -> None:
        self.db.expire_all()
        case = self._case()
        assert (case.status, case.version, len(case.events)) == before

    @invariant()
    def status_is_last_event_target(self) -> None:
        if not self.case_id:
            return
        events = self.db.scalars(
            select(CaseEvent).where(CaseEvent.case_id == self.case_id).order_by(CaseEvent.seq)
        ).all()
        case = self._case()
        assert events[-1].to_state == case.status
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        for a, b in itertools.pairwise(events):
            assert b.from_state == a.to_state

    @invariant()
    def deadlines_consistent(self) -> None:
        if not self.case_id:
            return
        case = self._case()
        open_ = [d for d in case.deadlines if d.status == "open"]
        kinds = Counter(d.kind for d in open_ if d.obligation_id is None)
        assert all(n == 1 for n in kinds.values()), kinds
        assert all(d.kind in ("performance", "limitation") for d in open_ if d.obligation_id is not None)
        per_obligation = Counter((d.kind, d.obligation_id) for d in open_ if d.obligation_id is not None)
        assert all(n == 1 for n in per_obligation.values())
        if case.current_agreement is not None:  # an agreement replaces the dispute's limitation by one per obligation
            assert kinds["limitation"] == 0
        assert all(d.due_on >= d.anchor_on for d in open_)
        if case.status in ("closed", "withdrawn", "not_accepted", "terminated", "referred"):
            assert not (kinds.keys() & CLOCKS), (case.status, kinds)
        if case.status == "mediating":
            assert kinds["mediation_end"] == 1

    @invariant()
    def terminal_accepts_nothing(self) -> None:
        if self.state in TERMINAL:
            case = self._case()
            opts = svc.available_events(self.db, case=case, actor=self.world.actor(self.world.supervisor),
                                        today=self.today, env=self.world.env)
            assert opts == []


def test_lifecycle_against_reference_table(db: Session) -> None:
    Lifecycle.db = db
    Lifecycle.world = build_world(db)
    run_state_machine_as_test(
        Lifecycle,
        settings=settings(max_examples=40, stateful_step_count=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow]),
    )


#: V2 (cases opened before V3 keep it): V3 without the review outcomes.
REFERENCE_V2 = {k: v for k, v in REFERENCE.items() if k not in V3_ONLY}
#: V1 (cases opened before V2 keep it): V2 without its two added transitions.
REFERENCE_V1 = {k: v for k, v in REFERENCE_V2.items()
                if k not in {("lapsed", "extend"), ("non_performed", "request_review")}}


def test_reference_table_matches_definition() -> None:
    from workflows.definitions import CURRENT_VERSION, V1, V2, V3

    assert CURRENT_VERSION == V3.version  # the lifecycle test runs on new cases, i.e. on V3
    for definition, reference in ((V3, REFERENCE), (V2, REFERENCE_V2), (V1, REFERENCE_V1)):
        derived = {(s, t.event): definition.target(t.event, s) for t in definition.transitions for s in t.sources}
        assert derived == reference, definition.version
        for s in definition.terminal_states():
            assert definition.events_from(s) == ()


@pytest.mark.parametrize("state", sorted({s for s, _ in REFERENCE}))
def test_every_nonterminal_state_can_reach_closed(state: str) -> None:
    reach = {state}
    frontier = [state]
    while frontier:
        s = frontier.pop()
        for (src, _e), dst in REFERENCE.items():
            if src == s and dst not in reach:
                reach.add(dst)
                frontier.append(dst)
    assert "closed" in reach
