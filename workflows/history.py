"""A case's history: appending an event row, and what follows every recorded event in its unit of work (the
observers, then the documents it produces).

Used by the transition pipeline (:mod:`workflows.pipeline`) and by the case services that record events
without moving the state (registration, parties, assignment). Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from mediation.db.models import Case, CaseEvent
from mediation.domain.policy import Actor
from mediation.runtime.env import ServiceEnv
from workflows.schema import to_jsonable


def append_event(
    session: Session,
    case: Case,
    *,
    event: str,
    from_state: str | None,
    to_state: str,
    actor: Actor,
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> CaseEvent:
    """Append the next event row. ``seq`` comes from the case row, which the caller holds locked."""
    case.last_event_seq = (case.last_event_seq or 0) + 1
    ev = CaseEvent(
        seq=case.last_event_seq,
        event=event,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.user_id,
        actor_role=actor.role,
        reason=reason,
        payload=to_jsonable(dict(payload or {})),
    )
    if at is not None:
        ev.at = at
    if case.id is None:
        case.events.append(ev)
    else:  # don't load the whole history just to append to it
        ev.case_id = case.id
        session.add(ev)
    return ev


def notify_observers(session: Session, case: Case, ev: CaseEvent, env: ServiceEnv) -> None:
    """Derived data (risk facts, rollups, levels), in the same unit of work as the event; an observer that
    raises rolls the whole unit back."""
    for observer in env.observers:
        observer(session, case, ev)


def produce_documents(
    session: Session, case: Case, ev: CaseEvent, env: ServiceEnv, actor: Actor, kinds: Iterable[str], today: dt.date
) -> None:
    """The official documents the event produces (none when the environment has no producer)."""
    if env.documents is not None:
        for kind in kinds:
            env.documents.produce(session, case, kind, actor=actor, event=ev, today=today)
