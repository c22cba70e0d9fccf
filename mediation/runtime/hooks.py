"""Extension points called inside a case's unit of work (same transaction, before the commit).

- Observers see every recorded case event (registration, transitions, sweep notes); they keep
  derived data — risk scores, hotspot rollups — consistent with the base tables. An observer that
  raises rolls the whole operation back.
- The document producer renders and stores the official documents an event produces. It lives in
  the outer ``documents`` package; services only know this protocol.

Both are given to the services in their :class:`mediation.runtime.env.ServiceEnv`, which the assembly
(:mod:`mediation.wiring`, called by the application factory and the command line) builds. There is no
registry here: nothing is registered at import, and tests pass what they need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mediation.db.models import Case, CaseEvent
    from mediation.domain.policy import Actor

#: ``observer(session, case, event_row)``
Observer = Callable[["Session", "Case", "CaseEvent"], None]


class DocumentProducer(Protocol):
    def produce(
        self, session: Session, case: Case, kind: str, *, actor: Actor, event: CaseEvent, today: dt.date
    ) -> Any:
        """Render document ``kind`` for ``case`` as of ``today`` and store it (numbered, hashed, immutable)."""
        ...
