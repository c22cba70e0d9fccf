"""What one event does, declared in one place: :class:`EventSpec`.

A spec names, for one event of the workflow (whatever the definition version):

- ``schema``: the payload's marshmallow schema (:class:`workflows.schema.NoteSchema` when the event takes only a
  reason or a note);
- ``dates``: date rules — the payload's dates in the order the law's steps happen and not in the future, checked
  against the case and the configured "today" (which the schema cannot know);
- ``effect``: what the event changes besides the state (an ORM write on the case and its rows); it may return
  facts to record with the event;
- ``opens``/``meets``/``cancels``: the deadlines it starts and the ones it resolves;
- ``interrupts``: whether it interrupts the one-year limitation (LDMAL art. 27(2)) and from which day;
- ``agreement``: whether it produces an agreement (then the interruption is one limitation per obligation, set by
  the effect);
- ``produces``: the official documents it produces (kinds of the documents catalogue);
- ``facts``: the risk facts it marks (``accepted_at``, ``escalated_at``: :mod:`mediation.risk.facts` takes the
  earliest such event of a case).

A spec is a frozen dataclass: a mistyped key is a ``TypeError`` where the spec is written, a wrong deadline kind
or an inconsistent limitation a :class:`SpecError` when it is built — both at import. :func:`check_specs` then
matches the specs with the definitions of every version: an event without a spec, or a spec for no event, fails
the import too. Nothing is looked up by a name that could silently miss.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any

from marshmallow import Schema

from mediation.domain import legal_basis as lb
from mediation.domain.deadline_rules import DeadlineKind
from workflows.schema import NoteSchema

if TYPE_CHECKING:
    from workflows.definitions import WorkflowDefinition
    from workflows.operation import Operation

#: ``rule(case, data, today)`` → field errors (``{}`` when the dates are in order).
DateRule = Callable[[Any, Mapping[str, Any], dt.date], dict[str, Any]]
#: ``effect(operation)`` → extra facts for the event row, or ``None``.
Effect = Callable[["Operation"], Mapping[str, Any] | None]


class SpecError(ValueError):
    """An event spec that does not fit the workflow definitions (raised at import)."""


@dataclass(frozen=True)
class Interruption:
    """How an event interrupts the limitation: from which day it runs again (``day(case, today)``; ``None`` when,
    for this case, the event is no interruption) and under which rule (recorded on the restarted row), or — for
    an agreement — once per agreed obligation (``day`` is ``None``: the agreement's effect sets those rows).
    ``day`` runs before the state changes: ``case.status`` is the source state."""

    name: str
    day: Callable[[Any, dt.date], dt.date | None] | None
    basis: lb.Basis = lb.LIMITATION_INTERRUPTED


#: A claim on the other party (the request to negotiate) interrupts on the day it is recorded.
ON_THE_DAY = Interruption("on_the_day", lambda _case, today: today, lb.LIMITATION_NEGOTIATION)
#: An application interrupts from the day it was received, not the day it is entered (办案规则 art. 27(1)).
ON_RECEIPT = Interruption("on_receipt", lambda case, today: case.received_on or today, lb.LIMITATION_APPLICATION)
#: An agreement (the other side agreeing to perform) replaces the running limitation by one per obligation.
PER_OBLIGATION = Interruption("per_obligation", None, lb.LIMITATION_AGREEMENT)


def _mediation_period_end(case: Any) -> dt.date | None:
    """The last day of the (extended) mediation period, from its latest row that was not superseded."""
    ends = [d for d in case.deadlines if d.kind == DeadlineKind.MEDIATION_END and d.status != "cancelled"]
    return max(ends, key=lambda d: (d.due_on, d.id or 0)).due_on if ends else None


def _enterprise(case: Any) -> bool:
    return lb.eldnmp_applies(getattr(getattr(case, "organisation", None), "kind", None))


def _lapsed_on(case: Any, today: dt.date) -> dt.date | None:
    """No agreement within the art. 29 period: the year restarts from the period's last day."""
    if not _enterprise(case):
        return None
    end = _mediation_period_end(case)
    return min(end, today) if end is not None else today


def _terminated_on(case: Any, today: dt.date) -> dt.date | None:
    """Terminated within the period (failed, a party refusing to continue, the respondent absent): from the day of
    the termination; terminated after the period ran out (lapsed or not yet swept): from the period's last day,
    when there was no agreement within it — as at the lapse, so a termination after a lapse adds nothing."""
    if not _enterprise(case):
        return None
    return _lapsed_on(case, today)


def _refused_on(case: Any, today: dt.date) -> dt.date | None:
    """The other party refused mediation: from the day the committee records it (the rejection)."""
    if not _enterprise(case) or case.end_reason != "respondent_refuses":
        return None
    return today


#: ELDNMP art. 31 (enterprise committees only; other bodies keep the application's interruption): no agreement
#: within the art. 29 period, a mediation that ends without agreement, and the other party refusing to mediate
#: each restart the year.
ON_LAPSE = Interruption("on_lapse", _lapsed_on, lb.LIMITATION_MEDIATION_FAILED)
ON_TERMINATION = Interruption("on_termination", _terminated_on, lb.LIMITATION_MEDIATION_FAILED)
ON_REFUSAL = Interruption("on_refusal", _refused_on, lb.LIMITATION_MEDIATION_FAILED)


@dataclass(frozen=True)
class EventSpec:
    event: str
    _: KW_ONLY
    schema: type[Schema] = NoteSchema
    dates: tuple[DateRule, ...] = ()
    effect: Effect | None = None
    opens: tuple[str, ...] = ()
    meets: tuple[str, ...] = ()
    cancels: tuple[str, ...] = ()
    interrupts: Interruption | None = None
    agreement: bool = False
    produces: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    #: The schema instance (built once; marshmallow schemas are reusable across threads for ``load``).
    payload: Schema = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.event.isidentifier():
            raise SpecError(f"event name {self.event!r} is not an identifier")
        if not (isinstance(self.schema, type) and issubclass(self.schema, Schema)):
            raise SpecError(f"{self.event}: schema must be a marshmallow Schema class")
        for what in ("dates", "opens", "meets", "cancels", "produces", "facts"):
            if not isinstance(getattr(self, what), tuple):
                raise SpecError(f"{self.event}: {what} must be a tuple")
        for kind in (*self.opens, *self.meets, *self.cancels):
            try:
                DeadlineKind(kind)
            except ValueError:
                raise SpecError(f"{self.event}: unknown deadline kind {kind!r}") from None
        if self.effect is not None and not callable(self.effect):
            raise SpecError(f"{self.event}: effect must be callable")
        if not all(callable(rule) for rule in self.dates):
            raise SpecError(f"{self.event}: every date rule must be callable")
        if self.interrupts is not None and not isinstance(self.interrupts, Interruption):
            raise SpecError(f"{self.event}: interrupts must be an Interruption (ON_THE_DAY, ON_RECEIPT, ON_FAILURE, …)")
        if self.agreement != (self.interrupts is PER_OBLIGATION):
            raise SpecError(f"{self.event}: an agreement event, and only one, interrupts the limitation per obligation")
        if self.agreement and self.effect is None:
            raise SpecError(f"{self.event}: an agreement event needs the effect that records the agreement")
        object.__setattr__(self, "payload", self.schema())

    @property
    def touches_deadlines(self) -> bool:
        """Whether the pipeline reads the case's deadlines for this event (they are loaded with the case)."""
        return bool(self.opens or self.meets or self.cancels or self.interrupts is not None)


def check_specs(specs: Iterable[EventSpec], definitions: Iterable[WorkflowDefinition]) -> dict[str, EventSpec]:
    """The specs by event, after checking them against the definitions: one spec per event, every event of every
    definition has one, and no spec is for an event no definition has."""
    by_event: dict[str, EventSpec] = {}
    for spec in specs:
        if spec.event in by_event:
            raise SpecError(f"two specs for event {spec.event!r}")
        by_event[spec.event] = spec
    events: dict[str, str] = {}
    for d in definitions:
        for e in d.event_names:
            events.setdefault(e, d.version)
    missing = sorted(e for e in events if e not in by_event)
    if missing:
        raise SpecError("events without a spec: " + ", ".join(f"{e} (v{events[e]})" for e in missing))
    unknown = sorted(e for e in by_event if e not in events)
    if unknown:
        raise SpecError("specs for events no workflow definition has: " + ", ".join(unknown))
    return by_event


# --- date rules ------------------------------------------------------------------------------------------


def _iso(value: dt.date) -> str:
    return value.isoformat()


def dated(
    field_name: str, label: str, *, default_today: bool = False, not_before: tuple[tuple[str, str], ...] = ()
) -> DateRule:
    """The date ``field_name`` (``label`` in the messages) is not after today and not before the first of the
    case's dates ``not_before`` (``(attribute, label)`` pairs, the first one the case has is the floor). A date the
    client leaves out is checked as the one the service will use: today with ``default_today``, else not at all."""

    def rule(case: Any, data: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
        value = data.get(field_name)
        if value is None:
            if not default_today:
                return {}
            value = today
        if value > today:
            return {field_name: [f"{label}不能晚于今天"]}
        for attr, floor_label in not_before:
            floor = getattr(case, attr)
            if floor is not None:
                if value < floor:
                    return {field_name: [f"{label}不能早于{floor_label}{_iso(floor)}"]}
                break
        return {}

    return rule


def first_error(errors: Mapping[str, Any]) -> str:
    """The first message of (possibly nested) field errors."""
    value: Any = next(iter(errors.values()))
    while isinstance(value, Mapping):
        value = next(iter(value.values()))
    return str(value[0])
