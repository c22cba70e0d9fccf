"""Who may lead a case: an active mediator (or supervisor) of the case's organisation, and — recusal (回避) — not
one who has declared a conflict with the enterprise or a party of the case. One check each, used by intake
(``create_case`` naming a lead mediator), the acceptance that names one (:mod:`workflows.events.acceptance`) and
the assignment service (:mod:`mediation.cases.assignment`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Case, Organisation, User
from mediation.db.models_access import MediatorConflict
from mediation.domain.enums import Role
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


def check_mediator(session: Session, user_id: int, org: Organisation) -> User:
    """The user named to lead a case of ``org``: active, a mediator or supervisor, of that organisation."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in (Role.MEDIATOR, Role.SUPERVISOR):
        raise ValidationFailed("调解员不存在或已停用", errors={"mediator_id": ["调解员不存在或已停用"]})
    if user.organisation_id != org.id:
        raise ValidationFailed("调解员不属于本调解组织", errors={"mediator_id": ["调解员不属于本调解组织"]})
    return user
