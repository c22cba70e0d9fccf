"""One spec per event (:class:`EventSpec`), declared beside the workflow definition, one module per family:

- :mod:`~workflows.events.intake` — begin_triage, escalate, start_negotiation, register_application, withdraw,
  dismiss;
- :mod:`~workflows.events.acceptance` — accept, reject;
- :mod:`~workflows.events.mediating` — record_session, extend, lapse, terminate;
- :mod:`~workflows.events.agreement` — settle, sign_agreement, request_review;
- :mod:`~workflows.events.performance` — record_performance, record_late_performance, confirm_performed,
  report_non_performance;
- :mod:`~workflows.events.closing` — refer, close;
- :mod:`~workflows.events.handoff` — review_granted, review_refused (v3).
- :mod:`~workflows.events.legal` (v3) — suspend_limitation, resume_limitation, record_employment_end,
  correct_collective.

Why the effects live here, not in ``mediation.cases``: an effect is the part of an event that writes ORM rows,
and every one of them needs only the models, the domain's rules and the deadline-row helpers — which is why those
helpers moved down to :mod:`workflows.deadlines` (and the mediator checks to :mod:`workflows.mediators`). With
the effect in the spec, an event is declared in exactly one place — its payload, its dates, what it writes, its
deadlines, its documents, its risk facts — and the machine (:mod:`workflows.binding`) runs them all as its
callbacks. The alternative, effects in ``mediation.cases`` found through a registry by name, would split every
event across two layers and re-introduce the lookup by name that let a typo silently drop an effect.

:data:`SPECS` is checked at import against every version of :data:`workflows.definitions.DEFINITIONS`.

Adding an event: a ``Transition`` in the definition (a new version if the table changes for running cases), an
``EventSpec`` in the family's module (listed in its ``SPECS``), its guards in :mod:`workflows.guards` if it has
new ones, and its tests.
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import Schema

from workflows.definitions import DEFINITIONS
from workflows.events import acceptance, agreement, closing, handoff, intake, legal, mediating, performance
from workflows.events.spec import (
    ON_RECEIPT,
    ON_THE_DAY,
    PER_OBLIGATION,
    EventSpec,
    Interruption,
    SpecError,
    check_specs,
    dated,
)
from workflows.schema import NoteSchema

#: Every event's spec, by event name (checked against the definitions of every version).
SPECS: Mapping[str, EventSpec] = check_specs(
    (*intake.SPECS, *acceptance.SPECS, *mediating.SPECS, *agreement.SPECS, *performance.SPECS, *closing.SPECS,
     *handoff.SPECS, *legal.SPECS),
    DEFINITIONS.values(),
)

_NOTE = NoteSchema()


def event_schema(event: str) -> Schema:
    """The payload schema of ``event`` (one instance per spec, built at import); any other name gets the note
    schema, so a client's event names never create anything."""
    spec = SPECS.get(event)
    return spec.payload if spec is not None else _NOTE


__all__ = [
    "ON_RECEIPT", "ON_THE_DAY", "PER_OBLIGATION", "SPECS", "EventSpec", "Interruption", "SpecError", "dated",
    "event_schema",
]
