"""Which deadline row a document prints: the earliest open limitation (one per defaulted obligation), the
latest row of the other kinds (an extension replaces the mediation period)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from documents.builders.common import deadline_due
from mediation.domain.deadline_rules import DeadlineKind

D = dt.date


def _case(*rows: tuple[str, str, dt.date]) -> Any:
    return SimpleNamespace(deadlines=[SimpleNamespace(kind=k, status=s, due_on=d) for k, s, d in rows])


def test_the_earliest_open_limitation_is_printed() -> None:
    case = _case(("limitation", "cancelled", D(2026, 10, 22)), ("limitation", "open", D(2028, 2, 1)),
                 ("limitation", "open", D(2026, 12, 1)))
    assert deadline_due(case, DeadlineKind.LIMITATION) == D(2026, 12, 1)


def test_other_kinds_take_the_latest_open_row_else_the_last() -> None:
    case = _case(("mediation_end", "cancelled", D(2025, 11, 4)), ("mediation_end", "open", D(2025, 11, 19)))
    assert deadline_due(case, DeadlineKind.MEDIATION_END) == D(2025, 11, 19)
    case = _case(("limitation", "met", D(2026, 1, 1)), ("limitation", "cancelled", D(2026, 3, 1)))
    assert deadline_due(case, DeadlineKind.LIMITATION) == D(2026, 3, 1)
    assert deadline_due(case, DeadlineKind.ACCEPTANCE) is None
