"""Supervisors' bulk reassignment: each case through the assignment service (recusal checked per case, one history
entry per case, all-or-nothing per case, not per batch), within the supervisor's subtree."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.accounts.users import create_user
from mediation.cases import assignment
from mediation.db.models import Case, CaseEvent
from mediation.db.models_access import MediatorConflict
from mediation.domain.errors import PermissionDenied, ValidationFailed
from tests.factories import World, application, drive, new_case
from tests.helpers import TODAY


def _events(db: Session, case_id: int, event: str) -> list[CaseEvent]:
    return list(db.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.event == event)).all())


def test_bulk_reassign_moves_each_case_and_lists_the_refused_with_their_reason(db: Session, world: World) -> None:
    a = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    b = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    # mediator2 must recuse from c's worker
    parties = application(world)["parties"]
    parties[0] = {**parties[0], "name": "李四"}
    c = drive(db, world, new_case(db, world, TODAY, parties=parties), TODAY, "accept")
    db.add(MediatorConflict(user_id=world.mediator2.id, party_name="李四", reason="亲属关系"))
    db.commit()
    sup = world.actor(world.supervisor)
    results = assignment.bulk_reassign(db, actor=sup, case_ids=[a.id, b.id, c.id, 999999],
                                       mediator_id=world.mediator2.id, reason="原调解员离职")
    by_id = {r.case_id: r for r in results}
    assert by_id[a.id].ok and by_id[b.id].ok
    assert not by_id[c.id].ok and by_id[c.id].code == "recusal_required" and "亲属关系" in by_id[c.id].reason
    assert not by_id[999999].ok and by_id[999999].code == "not_found"
    for case in (a, b):
        db.refresh(case)
        assert case.lead_mediator_id == world.mediator2.id
        [ev] = _events(db, case.id, "assign_mediator")
        assert ev.payload == {"from": world.mediator.id, "to": world.mediator2.id} and ev.reason == "原调解员离职"
    db.refresh(c)
    assert c.lead_mediator_id == world.mediator.id  # refused: unchanged
    assert len(_events(db, c.id, "assignment_refused")) == 1 and not _events(db, c.id, "assign_mediator")


def test_bulk_reassign_by_mediator_and_its_refusals(db: Session, world: World) -> None:
    cases = [drive(db, world, new_case(db, world, TODAY), TODAY, "accept") for _ in range(2)]
    closed = drive(db, world, new_case(db, world, TODAY), TODAY, "withdraw", "close")
    sup = world.actor(world.supervisor)
    ids = assignment.cases_of_mediator(db, actor=sup, mediator_id=world.mediator.id)
    assert ids == [c.id for c in cases] and closed.id not in ids
    # another county's supervisor sees none of them
    other = create_user(db, username="sup_other", password="Xy7!kq2#LmP9", display_name="外区督导",
                        role="supervisor", organisation_id=world.other_county.id)
    assert assignment.cases_of_mediator(db, actor=world.actor(other), mediator_id=world.mediator.id) == []
    same = assignment.bulk_reassign(db, actor=sup, case_ids=ids, mediator_id=world.mediator.id)
    assert [r.code for r in same] == ["unchanged", "unchanged"]
    with pytest.raises(PermissionDenied):
        assignment.bulk_reassign(db, actor=world.actor(world.mediator), case_ids=ids, mediator_id=world.mediator2.id)
    with pytest.raises(ValidationFailed) as exc:
        assignment.bulk_reassign(db, actor=sup, case_ids=[], mediator_id=world.mediator2.id)
    assert "case_ids" in exc.value.extra["errors"]
    # a mediator of another organisation is refused per case, nothing written
    results = assignment.bulk_reassign(db, actor=sup, case_ids=ids, mediator_id=world.outsider.id)
    assert all(not r.ok and r.code == "validation_failed" for r in results)
    assert {db.get(Case, i).lead_mediator_id for i in ids} == {world.mediator.id}
