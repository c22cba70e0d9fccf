"""Who may do what: the single source of access rules. Services enforce it; the API only maps errors.

Scope: a supervisor (and an admin) sees its organisation's whole subtree; clerks and mediators see
their own organisation's cases; a mediator acts on cases of their organisation. The system actor (the
deadline sweep) acts everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mediation.domain.enums import Role


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: str
    organisation_id: int | None
    #: Materialised path of the actor's organisation (``/1/4/``), for subtree checks.
    org_path: str = "/"
    name: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, role=Role.SYSTEM, organisation_id=None, org_path="/", name="系统")

    @property
    def sees_subtree(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM)


def in_scope(actor: Actor, org_id: int, org_path: str) -> bool:
    """May ``actor`` see things belonging to the organisation (``org_id``, ``org_path``)?"""
    if actor.role == Role.SYSTEM:
        return True
    if actor.sees_subtree:
        return org_path.startswith(actor.org_path)
    return org_id == actor.organisation_id


def can(actor: Actor, action: str, case: Any | None = None) -> bool:
    """The policy function. ``action`` is ``read``, ``create``, ``act``, ``assign`` or ``read_personal``."""
    if case is not None and not in_scope(actor, case.organisation_id, case.organisation.path):
        return False
    if action == "read":
        return True
    if action == "create":
        return actor.role in (Role.CLERK, Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN)
    if action == "act":
        return actor.role in (Role.CLERK, Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM)
    if action == "assign":
        return actor.role in (Role.SUPERVISOR, Role.ADMIN)
    if action == "read_personal":
        return actor.role in (Role.MEDIATOR, Role.CLERK, Role.SYSTEM)
    return False
