"""The workflow on the ``transitions`` library: one machine per definition version, built once, shared by every
request.

How it is shared (read ``transitions/core.py`` 0.9.3): a trigger is ``Event.trigger(model)``, which makes a fresh
``EventData`` and, on a machine that is not ``queued``, calls ``Event._trigger`` directly (``Machine._process``
only *reads* its empty queue). During a trigger the machine's own state is only read — ``states``, ``events``,
the transitions' callback and condition lists; everything that changes lives on the ``EventData`` and on the
model. So one machine per version, never mutated after it is built, serves any number of threads at once without
a lock, as long as each operation brings its own model. That model is an :class:`~workflows.operation.Operation`
(made per request, microseconds) that is **never added** to the machine (``model=None``): no ``add_model``, no
list of models that grows, no trigger methods bound to anything (so no name clash with a model method either),
and the case's stored status is the state (a loaded case is never reset). Callbacks and conditions are callables,
never names the library would resolve (or import) at run time.

What runs, in order, is :mod:`workflows.pipeline`: the spec of the event (:mod:`workflows.events`) supplies the
payload schema, date rules, effect, deadlines, documents; the definition supplies the guards, which are the
machine's conditions (:class:`GuardCondition`). ``Transition._eval_conditions`` stops at the first failing
condition; :class:`CaseTransition` evaluates all of them, so every reason is reported. "What can I do now, and
why not" (:meth:`Workflow.options`) asks the same condition objects (guards that judge the input are listed as
inputs, not decided).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from transitions import Machine, MachineError
from transitions.core import Condition, EventData
from transitions.core import Transition as MachineTransition

from mediation.db.models import Case
from mediation.domain.errors import Blocker, EventNotAllowed, GuardFailed, UnknownEvent
from mediation.domain.policy import Actor, event_refusal
from mediation.runtime.env import ServiceEnv
from workflows import pipeline
from workflows.definitions import CURRENT_VERSION, DEFINITIONS, Transition, WorkflowDefinition
from workflows.events import SPECS
from workflows.events.spec import EventSpec, check_specs
from workflows.guards import GUARDS, Guard
from workflows.operation import Operation


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


# --- conditions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonRequired:
    """The condition of an event that requires a reason (``Transition.requires_reason``)."""

    name: str = "reason_given"
    fields: tuple[str, ...] = ("reason",)
    needs_input: bool = True


REASON_REQUIRED = ReasonRequired()


class GuardCondition(Condition):
    """A guard (or the reason requirement) as a condition of the machine: it passes or leaves its blocker — the
    reason a person reads — on the operation. Listing (``op.listing``), a condition that judges the input is not
    decided; its fields are what the form needs."""

    def __init__(self, func: Guard | ReasonRequired, target: bool = True) -> None:
        super().__init__(func, target)
        self.guard = func

    def check(self, event_data: EventData) -> bool:
        op: Operation = event_data.model
        g = self.guard
        if op.listing and g.needs_input:
            op.inputs.extend(f for f in g.fields if f not in op.inputs)
            return True
        if isinstance(g, ReasonRequired):
            if str(op.data.get("reason") or "").strip():
                return True
            blocker = Blocker("reason_given", "请填写理由", ("reason",))
        else:
            found = g.check(op.guard_context)
            if found is None:
                return True
            blocker = found
        op.blockers.append(blocker)
        return False

    def __repr__(self) -> str:
        return f"<GuardCondition({self.guard.name})>"


class CaseTransition(MachineTransition):
    """A transition that knows its definition and spec, and evaluates every condition (not just up to the first
    that fails), so that all the blockers are reported."""

    condition_cls = GuardCondition

    def __init__(self, source: str, dest: str | None, *args: Any, definition: Transition, spec: EventSpec,
                 **kwargs: Any) -> None:
        super().__init__(source, dest, *args, **kwargs)
        self.definition = definition
        self.spec = spec

    def _eval_conditions(self, event_data: EventData) -> bool:
        results = [cond.check(event_data) for cond in self.conditions]
        return all(results)


class CaseMachine(Machine):
    transition_cls = CaseTransition


def build_machine(definition: WorkflowDefinition, specs: Mapping[str, EventSpec],
                  guards: Mapping[str, Guard] = GUARDS) -> CaseMachine:
    """The machine of one definition version (every event of it must have a spec, every guard must exist)."""
    machine = CaseMachine(
        model=None, states=list(definition.state_names), initial=None, auto_transitions=False,
        model_attribute="state", send_event=True, ignore_invalid_triggers=False, queued=False,
        finalize_event=list(pipeline.FINALIZE), name=f"v{definition.version}",
    )
    for t in definition.transitions:
        spec = specs.get(t.event)
        if spec is None:
            raise KeyError(f"event {t.event!r} of workflow v{definition.version} has no spec")
        unknown = [g for g in t.guards if g not in guards]
        if unknown:
            raise KeyError(f"event {t.event!r} of workflow v{definition.version} names unknown guards {unknown}")
        conditions: list[Guard | ReasonRequired] = [guards[g] for g in t.guards]
        if t.requires_reason:
            conditions.append(REASON_REQUIRED)
        machine.add_transition(
            t.event, list(t.sources), t.dest, conditions=conditions, prepare=list(pipeline.PREPARE),
            before=list(pipeline.BEFORE), after=list(pipeline.AFTER), definition=t, spec=spec,
        )
    return machine


# --- one version ------------------------------------------------------------------------------------------


class Workflow:
    """One definition version, its machine, and the operations on it."""

    def __init__(self, definition: WorkflowDefinition, specs: Mapping[str, EventSpec],
                 guards: Mapping[str, Guard] = GUARDS) -> None:
        self.definition = definition
        self.specs = specs
        self.machine = build_machine(definition, specs, guards)
        #: What firing each event reads of the case (see :meth:`case_reads`).
        self.reads: dict[str, tuple[str, ...]] = {}
        for t in definition.transitions:
            reads = {r for g in t.guards for r in guards[g].reads}
            if specs[t.event].touches_deadlines:
                reads.add("deadlines")
            self.reads[t.event] = tuple(sorted(reads))

    def bind(self, session: Session | None, case: Case, *, actor: Actor, env: ServiceEnv, today: dt.date,
             event: str = "", payload: Mapping[str, Any] | None = None, at: dt.datetime | None = None,
             listing: bool = False) -> Operation:
        """The per-operation model of ``case`` for this version's machine (a few microseconds; never added to the
        machine). The case's stored status is its state."""
        d = self.definition
        if not d.has_state(case.status):
            raise ValueError(f"case status {case.status!r} is not a state of workflow v{d.version}")
        return Operation(session, case, definition=d, actor=actor, env=env, today=today,
                         rules=env.rules_for(case.rules_version), event=event, payload=payload, at=at,
                         listing=listing)

    def fire(self, session: Session, case: Case, event: str, payload: Mapping[str, Any], *, actor: Actor,
             env: ServiceEnv, today: dt.date, at: dt.datetime | None = None) -> Operation:
        """Run ``event`` on ``case`` through the machine (see :mod:`workflows.pipeline` for the order); returns the
        operation (its ``event_row``, ``source``, ``dest``) or raises a typed error. The caller owns the commit."""
        op = self.bind(session, case, actor=actor, env=env, today=today, event=event, payload=payload, at=at)
        trigger = self.machine.events.get(event)
        if trigger is None:
            raise UnknownEvent(f"未知操作“{event}”", state=op.source, event=event,
                               allowed=pipeline.allowed_event_names(op))
        try:
            ok = trigger.trigger(op)
        except MachineError as exc:  # the event does not leave this state
            t = self.definition.transition(event)
            label = t.label if t is not None else event
            raise EventNotAllowed(
                f"案件当前状态为“{self.definition.state(op.source).label}”，不能执行“{label}”",
                state=op.source, event=event, allowed=pipeline.allowed_event_names(op),
            ) from exc
        if not ok:
            t = self.definition.transition(event)
            assert t is not None
            detail = "；".join(b.reason for b in op.blockers)
            raise GuardFailed(f"不能执行“{t.label}”：{detail}", state=op.source, event=event,
                              allowed=pipeline.allowed_event_names(op), blockers=tuple(op.blockers))
        return op

    def options(self, case: Case, *, actor: Actor, today: dt.date, env: ServiceEnv) -> list[EventOption]:
        """Every event leaving the case's state, whether the actor may fire it now, and why not — from the
        machine's own conditions (those that judge the input are listed as inputs)."""
        op = self.bind(None, case, actor=actor, env=env, today=today, listing=True)
        state = self.machine.get_state(case.status)
        out: list[EventOption] = []
        for t in self.definition.events_from(case.status):
            event = self.machine.events[t.event]
            [mt] = event.transitions[case.status]
            op.blockers, op.inputs = [], []
            data = EventData(state, event, self.machine, op, (), {})
            data.transition = mt
            for cond in mt.conditions:
                cond.check(data)
            refusal = event_refusal(actor, case, label=t.label, roles=t.roles, committee_act=t.committee_act)
            role_ok = refusal is None
            blockers = tuple(op.blockers)
            if refusal is not None:
                blockers = (Blocker("role", refusal), *blockers)
            out.append(EventOption(
                event=t.event, label=t.label, dest=self.definition.target(t.event, case.status),
                allowed=role_ok and not blockers, role_allowed=role_ok, blockers=blockers, inputs=tuple(op.inputs),
                requires_reason=t.requires_reason, description=t.description,
            ))
        return out

    def case_reads(self, event: str) -> tuple[str, ...]:
        """The case collections firing ``event`` reads in this version (its guards', and the deadlines when its
        spec changes them): loaded with the case in one query instead of one lazy load each. Anything not listed
        still loads on first access, so this is a plan for speed, never a condition of correctness."""
        return self.reads.get(event, ())


# --- every version ------------------------------------------------------------------------------------------


class Workflows:
    """The workflow of every definition version, built once (specs checked against all of them); new cases get
    the ``current`` version (the last one by default). ``guards``: the guards the definitions name by (the
    engine's, :data:`workflows.guards.GUARDS`; a test may add its own)."""

    def __init__(self, definitions: Iterable[WorkflowDefinition], specs: Iterable[EventSpec], *,
                 current: str | None = None, guards: Mapping[str, Guard] = GUARDS) -> None:
        definitions = tuple(definitions)
        checked = check_specs(specs, definitions)
        self._by_version = {d.version: Workflow(d, checked, guards) for d in definitions}
        self.current = current if current is not None else definitions[-1].version
        self.version(self.current)
        self._reads: dict[str, tuple[str, ...]] = {}
        for w in self._by_version.values():
            for event, reads in w.reads.items():
                self._reads[event] = tuple(sorted({*self._reads.get(event, ()), *reads}))

    def version(self, version: str) -> Workflow:
        try:
            return self._by_version[version]
        except KeyError:
            raise KeyError(f"unknown workflow definition version {version!r}") from None

    def definition(self, version: str) -> WorkflowDefinition:
        return self.version(version).definition

    def case_reads(self, event: str) -> tuple[str, ...]:
        """What firing ``event`` reads in any version (before the case, and so its version, is loaded)."""
        return self._reads.get(event, ())


#: The workflows of the engine: every published definition with the events' specs, built at import.
WORKFLOWS = Workflows(DEFINITIONS.values(), SPECS.values(), current=CURRENT_VERSION)
