"""The steps of a transition, as the ``transitions`` machine runs them (its callbacks, in this order).

``machine.events[event].trigger(op)`` on the version's shared machine (:mod:`workflows.binding`), with ``op`` the
operation's :class:`~workflows.operation.Operation`:

0. the library checks the event leaves the case's state (``MachineError`` → ``EventNotAllowed``);
1. **prepare** — :func:`check_role` (``EventNotAllowed``), :func:`load_payload` (the spec's schema →
   ``ValidationFailed``), :func:`check_dates` (the spec's date rules → ``ValidationFailed``);
2. **conditions** — the definition's guards, then "a reason is given" when the event requires one; every one is
   evaluated and every failing one leaves its reason in ``op.blockers`` (the trigger then returns ``False`` and
   the binding raises ``GuardFailed`` with all of them);
3. **before** — :func:`hold_autoflush`, :func:`apply_effect` (the spec's effect), :func:`change_deadlines`
   (the spec's meets, cancels, opens), :func:`interrupt_limitation`;
4. **state change** — the machine sets ``op.state``, i.e. ``case.status`` (internal events: no change);
5. **after** — :func:`append_event_row`, :func:`flush` (one UPDATE of the case row; a stale version →
   ``ConflictError``), :func:`notify` (the environment's observers), :func:`produce` (the spec's documents);
6. **finalize_event** — :func:`release` (always: the session's autoflush is given back).

Any exception in any step propagates out of the trigger unchanged (the machine has no ``on_exception``: turning
an error into anything else would hide it); the service's unit of work (:func:`mediation.db.uow.unit_of_work`)
rolls everything back — the state change included, since the state is the case row's column. Nothing here
commits. A typed refusal raised by an effect keeps its meaning: ``ValidationFailed`` from a payment larger than
what is owed, ``RecusalRefused`` from an acceptance naming a mediator who must recuse (the service then records
the refusal in a unit of its own).
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm.exc import StaleDataError

from mediation.domain.deadline_rules import DeadlineKind
from mediation.domain.enums import DeadlineStatus
from mediation.domain.errors import ConflictError, RoleNotAllowed, ValidationFailed
from mediation.domain.policy import event_refusal
from workflows import deadlines as dl
from workflows.events.spec import EventSpec, first_error
from workflows.history import append_event, notify_observers, produce_documents
from workflows.operation import Operation

K = DeadlineKind


def _op(e: Any) -> Operation:
    op: Operation = e.model
    return op


def _spec(e: Any) -> EventSpec:
    spec: EventSpec = e.transition.spec
    return spec


# --- 1. prepare ---------------------------------------------------------------------------------------------


def check_role(e: Any) -> None:
    """The actor's role may fire the event, and — for the committee's own acts — the actor is not a supervisor
    or administrator above the case's committee (403 naming why)."""
    op, t = _op(e), e.transition.definition
    refusal = event_refusal(op.actor, op.case, label=t.label, roles=t.roles, committee_act=t.committee_act)
    if refusal is not None:
        raise RoleNotAllowed(refusal, state=op.source, event=t.event, allowed=allowed_event_names(op))


def load_payload(e: Any) -> None:
    op = _op(e)
    try:
        op.data = _spec(e).payload.load(dict(op.payload))
    except ValidationError as exc:
        raise ValidationFailed("提交的内容有误，请按提示修改", errors=exc.normalized_messages()) from exc
    op._guard_context = None  # the guards see the loaded payload


def check_dates(e: Any) -> None:
    op = _op(e)
    errors: dict[str, Any] = {}
    for rule in _spec(e).dates:
        errors.update(rule(op.case, op.data, op.today))
    if errors:
        raise ValidationFailed("日期有误：" + first_error(errors), errors=errors)


# --- 3. before ----------------------------------------------------------------------------------------------


def hold_autoflush(e: Any) -> None:
    """From the first change to the flush the session does not flush by itself (an effect's query would
    otherwise write the case row early and bump its version twice)."""
    _op(e).hold_autoflush()


def apply_effect(e: Any) -> None:
    op, spec = _op(e), _spec(e)
    op.dest = e.transition.dest or op.source
    if spec.effect is not None:
        op.extra = spec.effect(op) or {}


def change_deadlines(e: Any) -> None:
    op, spec = _op(e), _spec(e)
    case, today = op.case, op.today
    if spec.meets:
        dl.resolve(case, spec.meets, DeadlineStatus.MET, today)
    if spec.cancels:
        dl.resolve(case, spec.cancels, DeadlineStatus.CANCELLED, today)
    for kind in spec.opens:
        if kind == K.PERFORMANCE:
            continue  # opened per obligation by the agreement's effect
        if dl.open_deadline(case, kind) is None:
            dl.add_deadline(case, kind, anchor=dl.anchor_for(case, kind, today), rules=op.rules,
                            calendar=op.env.calendar,
                            extra_days=case.extension_days if kind == K.MEDIATION_END else 0)


def interrupt_limitation(e: Any) -> None:
    """LDMAL art. 27(2): the limitation runs again from the day of the interruption (an agreement's interruption is
    one limitation per obligation, set by its effect)."""
    op, spec = _op(e), _spec(e)
    if spec.interrupts is not None and spec.interrupts.day is not None:
        day = spec.interrupts.day(op.case, op.today)
        if day is not None:
            dl.restart_limitation(op.case, day, rules=op.rules, calendar=op.env.calendar,
                                  basis=spec.interrupts.basis)


# --- 5. after -----------------------------------------------------------------------------------------------


def append_event_row(e: Any) -> None:
    op = _op(e)
    assert op.session is not None
    data = op.data
    op.event_row = append_event(
        op.session, op.case, event=op.event, from_state=op.source, to_state=op.case.status, actor=op.actor,
        reason=str(data.get("reason") or ""),
        payload={**{k: v for k, v in data.items() if k != "reason"}, **op.extra}, at=op.at,
    )


def flush(e: Any) -> None:
    op = _op(e)
    op.release_autoflush()
    assert op.session is not None
    try:
        op.session.flush()
    except StaleDataError as exc:
        raise ConflictError("案件在您打开后已有更新，请刷新后重试") from exc


def notify(e: Any) -> None:
    op = _op(e)
    assert op.session is not None and op.event_row is not None
    notify_observers(op.session, op.case, op.event_row, op.env)


def produce(e: Any) -> None:
    op = _op(e)
    assert op.session is not None and op.event_row is not None
    produce_documents(op.session, op.case, op.event_row, op.env, op.actor, _spec(e).produces, op.today)


# --- 6. finalize_event --------------------------------------------------------------------------------------


def release(e: Any) -> None:
    _op(e).release_autoflush()


PREPARE = (check_role, load_payload, check_dates)
BEFORE = (hold_autoflush, apply_effect, change_deadlines, interrupt_limitation)
AFTER = (append_event_row, flush, notify, produce)
FINALIZE = (release,)


def allowed_event_names(op: Operation) -> list[str]:
    """The events that leave the case's state and the actor may fire (for refusals)."""
    return [t.event for t in op.definition.events_from(op.source)
            if event_refusal(op.actor, op.case, label=t.label, roles=t.roles, committee_act=t.committee_act) is None]
