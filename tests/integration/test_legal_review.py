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
