"""The model the shared ``transitions`` machine drives for one operation.

One :class:`Operation` is made per request (a few attribute assignments, well under 0.1 ms) and handed to the
machine's event (``machine.events[name].trigger(op)``); it is never added to the machine, so the machine keeps
no list of models and nothing about one request outlives it. Its ``state`` *is* the case's ``status``: the
machine's state change writes the case row's column, nothing else.

The pipeline's callbacks (:mod:`workflows.pipeline`), the guards (through :attr:`guard_context`) and the
events' effects (:mod:`workflows.events`) read what they need from it and leave what they produce on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from mediation.db.models import Case, CaseEvent
from mediation.domain.deadline_rules import RuleSet
from mediation.domain.errors import Blocker
from mediation.domain.policy import Actor
from mediation.runtime.env import ServiceEnv
from workflows.guards import GuardContext

if TYPE_CHECKING:
    from workflows.definitions import WorkflowDefinition


class Operation:
    """One operation on one case: who, with what environment, on which day, with which payload."""

    __slots__ = (
        "_autoflush",
        "_guard_context",
        "actor",
        "at",
        "blockers",
        "case",
        "data",
        "definition",
        "dest",
        "env",
        "event",
        "event_row",
        "extra",
        "inputs",
        "listing",
        "payload",
        "rules",
        "session",
        "source",
        "today",
    )

    def __init__(
        self,
        session: Session | None,
        case: Case,
        *,
        definition: WorkflowDefinition,
        actor: Actor,
        env: ServiceEnv,
        today: dt.date,
        rules: RuleSet,
        event: str = "",
        payload: Mapping[str, Any] | None = None,
        at: dt.datetime | None = None,
        listing: bool = False,
    ) -> None:
        self.session = session
        self.case = case
        self.definition = definition
        self.actor = actor
        self.env = env
        self.today = today
        self.rules = rules
        self.event = event
        self.payload: Mapping[str, Any] = payload or {}
        self.at = at
        #: Listing what may be done (``available_events``): guards that judge the input are not decided.
        self.listing = listing
        #: The payload as the event's schema loaded it (set by the pipeline's ``load_payload`` step).
        self.data: dict[str, Any] = {}
        self.source: str = case.status
        self.dest: str = case.status
        #: What the conditions found missing (all of them, in the order of the definition).
        self.blockers: list[Blocker] = []
        #: The payload fields the event's guards need (listing).
        self.inputs: list[str] = []
        #: Facts the effect adds to the event row's payload (e.g. the remedies after a default).
        self.extra: Mapping[str, Any] = {}
        self.event_row: CaseEvent | None = None
        self._guard_context: GuardContext | None = None
        self._autoflush: bool | None = None

    # --- the machine's model attribute ---------------------------------------------------------------

    @property
    def state(self) -> str:
        return self.case.status

    @state.setter
    def state(self, value: str) -> None:
        self.case.status = value

    # --- what the guards see ---------------------------------------------------------------------------

    @property
    def guard_context(self) -> GuardContext:
        ctx = self._guard_context
        if ctx is None:
            ctx = self._guard_context = GuardContext(case=self.case, payload=self.data, today=self.today,
                                                     rules=self.rules, actor_role=self.actor.role)
        return ctx

    # --- holding the session's autoflush from the first change to the flush (one UPDATE of the case row) ---

    def hold_autoflush(self) -> None:
        if self.session is not None and self._autoflush is None:
            self._autoflush = self.session.autoflush
            self.session.autoflush = False

    def release_autoflush(self) -> None:
        if self.session is not None and self._autoflush is not None:
            self.session.autoflush = self._autoflush
            self._autoflush = None
