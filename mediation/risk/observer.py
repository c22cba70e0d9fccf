"""The case observer: keeps the case's risk facts, the enterprise's level and the alerts consistent with every
case event (``create_case``, ``fire_event``, the deadline sweep), inside the event's own transaction, and records
the change of the case's facts as one delta row; the rollups and counters that a whole province and month share
are written by the fold (:mod:`mediation.risk.fold`), never by the event's transaction.

Wired by :mod:`mediation.wiring` (``OBSERVERS``) into the environment the application and the command line
pass to the services; tests pass it through their ``env`` fixture.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from mediation.db.models import Case, CaseEvent
from mediation.risk import alerts, facts, scoring, signals
from mediation.risk.rulesets import active_rules


def risk_observer(session: Session, case: Case, event: CaseEvent) -> None:
    at = event.at or dt.datetime.now(dt.UTC)
    if event.event == "register":
        signals.link_pending(session, case)
    old, new = facts.load_and_compute(session, case.id, case.organisation_id)
    # A new case, or one that stops (or starts again) being handled, changes the enterprise's case
    # indicators (open cases, open collective disputes, recent disputes).
    if case.enterprise_id is not None and new is not None and (old is None or old.is_open != new.is_open):
        result = scoring.rescore(session, case.enterprise_id, at=at, reason="case_event", case_id=case.id,
                                 organisation_id=case.organisation_id)
        if result.level_changed:
            old = facts.load_fact(session, case.id)
            new = new._replace(level=result.level)
    facts.apply_fact_change(session, old, new)
    if event.event == "register":
        rules = active_rules(session)
        if alerts.is_collective(case, rules):
            alerts.raise_collective_alert(session, case, at=at, rules=rules)
