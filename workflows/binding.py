"""A thin binding of a case to its workflow definition on the ``transitions`` library.

One machine per operation (≈0.2 ms for this table): no long-lived shared machine, so no model list
growing across requests. The machine is bound to a small wrapper, never to the ORM class (a model
method named like a trigger would silently stop the trigger from binding), with
``initial=case.status`` and ``auto_transitions=False`` so a loaded case is never reset.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from transitions import Machine, MachineError

from mediation.domain.deadline_rules import RuleSet, default_rules
from mediation.domain.errors import Blocker, EventNotAllowed, GuardFailed, RoleNotAllowed, UnknownEvent
from workflows.definitions import DEFINITIONS, Transition, WorkflowDefinition, get_definition
from workflows.guards import GUARDS, GuardContext


@dataclass(frozen=True)
class EventOption:
    """What the UI/API shows for one event from the current state."""

    event: str
    label: str
    dest: str
    allowed: bool
    role_allowed: bool
    blockers: tuple[Blocker, ...] = ()
    inputs: tuple[str, ...] = ()
    requires_reason: bool = False
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "label": self.label,
            "dest": self.dest,
            "allowed": self.allowed,
            "role_allowed": self.role_allowed,
            "blockers": [b.to_dict() for b in self.blockers],
            "inputs": list(self.inputs),
            "requires_reason": self.requires_reason,
            "description": self.description,
        }


@functools.lru_cache(maxsize=256)  # bounded: the event name comes from the client
def case_reads(event: str) -> tuple[str, ...]:
    """The case collections that firing ``event`` reads in any definition version (its guards' and, when
    it meets, cancels or opens deadlines or interrupts the limitation, the deadlines): the service loads
    them with the case in one query instead of one lazy load each. Anything not listed still loads on
    first access, so this is a plan for speed, never a condition of correctness."""
    reads: set[str] = set()
    for definition in DEFINITIONS.values():
        t = definition.transition(event)
        if t is None:
            continue
        for g in t.guards:
            reads.update(GUARDS[g].reads)
        if t.meets or t.cancels or t.opens or t.interrupts_limitation:
            reads.add("deadlines")
    return tuple(sorted(reads))


class _Stateful:
    """The object the machine drives; its ``state`` mirrors the case's status."""

    def __init__(self) -> None:
        self.state: str = ""
        self.blocked: bool = False


def _condition(event: Any) -> bool:
    return not event.model.blocked


_local = threading.local()


def _machine_for(definition: WorkflowDefinition) -> tuple[Machine, _Stateful]:
    """One machine and model per thread and definition, reused across operations.

    Building a machine for this table costs ~0.5 ms; re-pointing a cached one at another case is a
    ``set_state``. Per thread, so concurrent requests never share the model object.
    """
    cache: dict[str, tuple[Machine, _Stateful]] | None = getattr(_local, "machines", None)
    if cache is None:
        cache = _local.machines = {}
    hit = cache.get(definition.version)
    if hit is not None and hit[0].states.keys() == set(definition.state_names):
        return hit
    model = _Stateful()
    machine = Machine(
        model=model,
        states=list(definition.state_names),
        initial=definition.initial_states[0],
        auto_transitions=False,
        model_attribute="state",
        send_event=True,
        ignore_invalid_triggers=False,
    )
    for t in definition.transitions:
        machine.add_transition(t.event, list(t.sources), t.dest, conditions=[_condition])
    cache[definition.version] = (machine, model)
    return machine, model


@dataclass
class CaseWorkflow:
    case: Any
    today: dt.date
    rules: RuleSet = field(default_factory=default_rules)
    definition: WorkflowDefinition | None = None

    def __post_init__(self) -> None:
        if self.definition is None:
            self.definition = get_definition(self.case.workflow_version)
        d = self.definition
        if not d.has_state(self.case.status):
            raise ValueError(f"case status {self.case.status!r} is not a state of workflow v{d.version}")
        self._machine, self._model = _machine_for(d)
        # Always start from the case's stored status: a loaded case is never reset to an initial state.
        self._machine.set_state(self.case.status, self._model)
        self._model.blocked = False
        self._status = self.case.status

    @property
    def defn(self) -> WorkflowDefinition:
        assert self.definition is not None
        return self.definition

    @property
    def state(self) -> str:
        return self._status

    def blockers(
        self, t: Transition, payload: Mapping[str, Any], actor_role: str, *, listing: bool = False
    ) -> tuple[tuple[Blocker, ...], tuple[str, ...]]:
        ctx = GuardContext(case=self.case, payload=payload, today=self.today, rules=self.rules,
                           actor_role=actor_role)
        found: list[Blocker] = []
        inputs: list[str] = []
        for name in t.guards:
            g = GUARDS[name]
            if listing and g.needs_input:
                inputs.extend(f for f in g.fields if f not in inputs)
                continue
            b = g.check(ctx)
            if b is not None:
                found.append(b)
        if t.requires_reason:
            if "reason" not in inputs:
                inputs.append("reason")
            if not listing and not str(payload.get("reason") or "").strip():
                found.append(Blocker("reason_given", "请填写理由", ("reason",)))
        return tuple(found), tuple(inputs)

    def available_events(self, actor_role: str) -> list[EventOption]:
        """Every event leaving the current state, whether it may happen now, and why not."""
        options: list[EventOption] = []
        for t in self.defn.events_from(self.state):
            role_ok = actor_role in t.roles
            blockers, inputs = self.blockers(t, {}, actor_role, listing=True)
            if not role_ok:
                blockers = (Blocker("role", "您的角色无权执行该操作"), *blockers)
            options.append(
                EventOption(
                    event=t.event,
                    label=t.label,
                    dest=self.defn.target(t.event, self.state),
                    allowed=role_ok and not blockers,
                    role_allowed=role_ok,
                    blockers=blockers,
                    inputs=inputs,
                    requires_reason=t.requires_reason,
                    description=t.description,
                )
            )
        return options

    def allowed_event_names(self, actor_role: str | None = None) -> list[str]:
        return [
            t.event for t in self.defn.events_from(self.state) if actor_role is None or actor_role in t.roles
        ]

    def ensure_possible(self, event: str, actor_role: str) -> Transition:
        """The event exists, leaves the current state and the role may fire it — else a typed error."""
        source = self.state
        t = self.defn.transition(event)
        if t is None:
            raise UnknownEvent(
                f"未知操作“{event}”", state=source, event=event, allowed=self.allowed_event_names(actor_role)
            )
        if source not in t.sources:
            raise EventNotAllowed(
                f"案件当前状态为“{self.defn.state(source).label}”，不能执行“{t.label}”",
                state=source, event=event, allowed=self.allowed_event_names(actor_role),
            )
        if actor_role not in t.roles:
            raise RoleNotAllowed(
                f"您的角色无权执行“{t.label}”",
                state=source, event=event, allowed=self.allowed_event_names(actor_role),
            )
        return t

    def fire(self, event: str, payload: Mapping[str, Any], actor_role: str) -> tuple[str, str]:
        """Check and apply ``event``; returns ``(from_state, to_state)`` or raises a typed error."""
        source = self.state
        t = self.ensure_possible(event, actor_role)
        blockers, _ = self.blockers(t, payload, actor_role)
        self._machine.set_state(source, self._model)
        self._model.blocked = bool(blockers)
        try:
            ok = self._machine.events[event].trigger(self._model)
        except MachineError as exc:  # pragma: no cover - the checks above make this unreachable
            raise EventNotAllowed(
                str(exc), state=source, event=event, allowed=self.allowed_event_names(actor_role)
            ) from exc
        finally:
            self._model.blocked = False
        if ok:
            self._status = self._model.state
        if not ok:
            detail = "；".join(b.reason for b in blockers)
            raise GuardFailed(
                f"不能执行“{t.label}”：{detail}",
                state=source, event=event, allowed=self.allowed_event_names(actor_role), blockers=blockers,
            )
        return source, self._status
