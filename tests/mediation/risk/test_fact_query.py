"""The observer's one query (the stored fact and the fact computed now) agrees with the two it replaces."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models_risk import RiskCaseFacts
from mediation.risk import facts
from tests.factories import World, application

TODAY = dt.date(2025, 10, 20)


def _case(db: Session, world: World) -> tuple[int, int]:
    case = svc.create_case(db, actor=world.actor(world.clerk), data=application(world), today=TODAY, env=world.env)
    case = svc.fire_event(db, case_id=case.id, event="accept", actor=world.actor(world.mediator),
                          payload={"respondent_consents": True}, today=TODAY, env=world.env)
    return case.id, case.organisation_id


def test_a_case_with_its_stored_fact(db: Session, world: World) -> None:
    case_id, org_id = _case(db, world)
    stored = facts.load_fact(db, case_id)
    assert stored is not None
    old, new = facts.load_and_compute(db, case_id, org_id)
    assert old == stored
    assert new == facts.compute_fact(db, case_id, org_id) == stored  # the observer left it up to date
    # a change in a base table shows in the computed row only
    db.execute(update(RiskCaseFacts).where(RiskCaseFacts.case_id == case_id).values(workers=999))
    old, new = facts.load_and_compute(db, case_id, org_id)
    assert old is not None and old.workers == 999
    assert new == stored


def test_a_case_without_a_stored_fact_gets_its_scopes_from_the_organisation_tree(db: Session, world: World) -> None:
    case_id, org_id = _case(db, world)
    expected = facts.load_fact(db, case_id)
    db.execute(delete(RiskCaseFacts).where(RiskCaseFacts.case_id == case_id))
    old, new = facts.load_and_compute(db, case_id, org_id)
    assert old is None
    assert new == expected
    assert new is not None and (new.scope_p, new.scope_c) == facts.org_scopes(db, org_id)


def test_a_stored_fact_of_another_organisation_does_not_lend_its_scopes(db: Session, world: World) -> None:
    case_id, org_id = _case(db, world)
    expected = facts.load_fact(db, case_id)
    db.execute(update(RiskCaseFacts).where(RiskCaseFacts.case_id == case_id)
               .values(organisation_id=world.other_county.id, scope_p=-7, scope_c=-7))
    old, new = facts.load_and_compute(db, case_id, org_id)
    assert old is not None and old.organisation_id == world.other_county.id
    assert new == expected
    assert new is not None and new.scope_c != -7


def test_an_unknown_case(db: Session, world: World) -> None:
    assert facts.load_and_compute(db, 10**9, world.township.id) == (None, None)
