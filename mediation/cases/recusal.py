"""Recusal (回避): a mediator who has declared a conflict with the enterprise or a party of a case may not
lead it. One check, used by the assignment service and by the acceptance that names a mediator."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Case
from mediation.db.models_access import MediatorConflict
from mediation.domain.errors import ValidationFailed


class RecusalRefused(ValidationFailed):
    """A mediator named in a transition (acceptance) must recuse: refused, and the refusal recorded."""

    code = "recusal_required"
    title = "调解员应当回避"

    def __init__(self, detail: str, *, mediator_id: int, conflict: str) -> None:
        super().__init__(detail, errors={"mediator_id": [detail]})
        self.mediator_id = mediator_id
        self.conflict = conflict


def conflict_reason(session: Session, user_id: int, case: Case) -> str | None:
    """Why ``user_id`` must not mediate ``case`` (the declared conflict), or None."""
    names = {p.name for p in case.parties}
    for c in session.scalars(select(MediatorConflict).where(MediatorConflict.user_id == user_id)).all():
        if c.enterprise_id is not None and c.enterprise_id == case.enterprise_id:
            return f"已申报与用人单位存在利害关系：{c.reason}"
        if c.party_name and c.party_name in names:
            return f"已申报与当事人{c.party_name}存在利害关系：{c.reason}"
    return None
