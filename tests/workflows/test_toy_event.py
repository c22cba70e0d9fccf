"""Adding an event is one place: a test-only definition version with one transition, its spec (schema, date rule,
effect, risk-free) and a guard with a reason — and the real service path validates it, guards it, logs it and lists
it with its reason. A spec with an unknown key, or a definition event without a spec, fails when it is built."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Case, CaseEvent
from mediation.domain.errors import Blocker, GuardFailed, ValidationFailed
from tests.factories import World, new_case
from tests.helpers import TODAY
from workflows.binding import Workflows
from workflows.definitions import ALL_HUMANS, State, Transition, WorkflowDefinition
from workflows.events import EventSpec, SpecError
from workflows.guards import GUARDS, Guard, GuardContext
from workflows.operation import Operation
from workflows.schema import NoteSchema

# --- the toy event, in one place -----------------------------------------------------------------------------

TOY = WorkflowDefinition(
    version="toy",
    initial_states=("draft",),
    states=(State("draft", "草稿"), State("filed", "已归档", open=False)),
    transitions=(Transition("file", "归档", ("draft",), "filed", guards=("enough_workers",), roles=ALL_HUMANS,
                            description="玩具事件"),),
)


class FileSchema(NoteSchema):
    pages = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))
    filed_on = fields.Date(load_default=None, allow_none=True)


def enough_workers(ctx: GuardContext) -> Blocker | None:
    if (ctx.case.workers_count or 0) >= 2:
        return None
    return Blocker("enough_workers", "至少须有两名劳动者才能归档")


def not_in_future(_case: Any, data: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    filed = data.get("filed_on")
    return {"filed_on": ["归档日期不能晚于今天"]} if filed is not None and filed > today else {}


def file_effect(op: Operation) -> dict[str, Any]:
    op.case.facts = f"{op.case.facts}（已归档{op.data['pages']}页）"
    return {"archived_pages": op.data["pages"]}


TOY_SPEC = EventSpec("file", schema=FileSchema, dates=(not_in_future,), effect=file_effect)
TOY_GUARDS = {**GUARDS, "enough_workers": Guard("enough_workers", enough_workers)}

# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def toy() -> Workflows:
    return Workflows([TOY], [TOY_SPEC], guards=TOY_GUARDS)


@pytest.fixture
def draft(db: Session, world: World) -> Case:
    case = new_case(db, world, TODAY)
    case.workflow_version, case.status, case.workers_count = "toy", "draft", 1
    db.commit()
    return case


def _fire(db: Session, world: World, case: Case, toy: Workflows, payload: dict[str, Any]) -> Case:
    return svc.fire_event(db, case_id=case.id, event="file", actor=world.actor(world.mediator), payload=payload,
                          env=world.env, today=TODAY, workflows=toy)


def test_the_toy_event_is_listed_with_its_reason(db: Session, world: World, toy: Workflows, draft: Case) -> None:
    [option] = svc.available_events(db, case=draft, actor=world.actor(world.mediator), env=world.env, today=TODAY,
                                    workflows=toy)
    assert (option.event, option.label, option.dest, option.allowed) == ("file", "归档", "filed", False)
    assert [(b.guard, b.reason) for b in option.blockers] == [("enough_workers", "至少须有两名劳动者才能归档")]


def test_the_toy_event_is_validated_then_date_checked_then_guarded_then_logged(
        db: Session, world: World, toy: Workflows, draft: Case) -> None:
    version = draft.version
    with pytest.raises(ValidationFailed) as shape:  # the payload's shape, before the guard
        _fire(db, world, draft, toy, {"pages": "many"})
    assert "pages" in shape.value.errors
    with pytest.raises(ValidationFailed) as dates:  # then the spec's date rule
        _fire(db, world, draft, toy, {"pages": 3, "filed_on": (TODAY + dt.timedelta(days=1)).isoformat()})
    assert dates.value.errors == {"filed_on": ["归档日期不能晚于今天"]}
    with pytest.raises(GuardFailed) as guarded:  # then the guard, with its reason
        _fire(db, world, draft, toy, {"pages": 3})
    assert [b.reason for b in guarded.value.blockers] == ["至少须有两名劳动者才能归档"]
    db.expire_all()
    assert db.get(Case, draft.id).version == version  # type: ignore[union-attr]  (nothing written)

    draft.workers_count = 2
    db.commit()
    case = _fire(db, world, draft, toy, {"pages": 3, "note": "整理完毕"})
    assert case.status == "filed" and case.facts.endswith("（已归档3页）")
    ev = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())).first()
    assert ev is not None and (ev.event, ev.from_state, ev.to_state) == ("file", "draft", "filed")
    assert ev.payload == {"pages": 3, "filed_on": None, "note": "整理完毕", "archived_pages": 3}
    assert svc.available_events(db, case=case, actor=world.actor(world.mediator), env=world.env, workflows=toy) == []


def test_a_spec_with_an_unknown_key_fails_where_it_is_written() -> None:
    with pytest.raises(TypeError, match="efect"):
        EventSpec("file", schema=FileSchema, efect=file_effect)  # type: ignore[call-arg]
    with pytest.raises(SpecError, match="unknown deadline kind"):
        EventSpec("file", opens=("acceptence",))


def test_a_definition_event_without_a_spec_or_a_spec_without_an_event_fails_at_build() -> None:
    with pytest.raises(SpecError, match="events without a spec: file"):
        Workflows([TOY], [], guards=TOY_GUARDS)
    with pytest.raises(SpecError, match="no workflow definition has: archive"):
        Workflows([TOY], [TOY_SPEC, dataclasses.replace(TOY_SPEC, event="archive")], guards=TOY_GUARDS)
    with pytest.raises(KeyError, match="unknown guards"):
        Workflows([TOY], [TOY_SPEC])  # the definition names a guard the engine does not have
