"""Findings of the legal review (/tmp/qa-legal-report.md) on the workflow and the deadlines, one test each
(numbers are the review's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mediation.db.models import Case, Deadline
from mediation.domain.errors import GuardFailed, ValidationFailed
from mediation.services import cases as svc
from tests.factories import World, agreement_payload, application, build_world, drive, new_case

D = dt.date


@pytest.fixture
def world(db: Session) -> World:
    return build_world(db)


def rows(case: Case, kind: str, status: str | None = "open") -> list[Deadline]:
    return [d for d in case.deadlines if d.kind == kind and (status is None or d.status == status)]


def fire(db: Session, world: World, case: Case, event: str, today: dt.date, payload: dict[str, Any] | None = None,
         user: Any = None) -> Case:
    return svc.fire_event(db, case_id=case.id, event=event, actor=world.actor(user or world.mediator),
                          payload=payload or {}, today=today)


# --- 1: the limitation restarts from the event's effective date -------------------------------------------------

def test_application_restarts_the_limitation_from_its_receipt_not_its_entry(db: Session, world: World) -> None:
    # Probe F: received 2025-09-02, entered 2025-09-20.
    case = svc.create_case(db, actor=world.actor(world.clerk), today=D(2025, 9, 20), data=application(
        world, source="screening", initial_state="reported", dispute_arose_on="2025-06-01"))
    case = fire(db, world, case, "begin_triage", D(2025, 9, 20))
    case = fire(db, world, case, "register_application", D(2025, 9, 20), {"received_on": "2025-09-02"})
    [lim] = rows(case, "limitation")
    assert lim.anchor_on == D(2025, 9, 2) and lim.due_on == D(2026, 9, 2)


def test_an_application_or_agreement_dated_in_the_future_is_refused(db: Session, world: World) -> None:
    case = svc.create_case(db, actor=world.actor(world.clerk), today=D(2025, 9, 20), data=application(
        world, source="screening", initial_state="reported"))
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
                                                     today=D(2025, 10, 20))}
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
