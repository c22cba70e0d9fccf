"""Who may do what: the single source of access rules. Services enforce it; the API only maps errors.

- clerk: reads and registers the cases of their own organisation (intake), acts on intake events;
- mediator: reads and acts on the cases of their organisation, and on cases assigned to them;
- supervisor: reads everything in their organisation's subtree, acts there, and (re)assigns mediators;
- admin: like a supervisor over their subtree, and manages users;
- system (the deadline sweep): everything.
Which *events* a role may fire is part of the workflow table (``Transition.roles``).
Personal data (ID numbers, phones, addresses) is shown unmasked only to the roles that handle the
parties directly — clerks and mediators of the case's organisation (or the assigned mediator); the
same roles add, correct and remove parties after intake (``edit_parties``).
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


def _assigned(actor: Actor, case: Any) -> bool:
    return actor.user_id is not None and getattr(case, "lead_mediator_id", None) == actor.user_id


def can(actor: Actor, action: str, case: Any | None = None) -> bool:
    """``action``: ``read``, ``create``, ``act``, ``assign``, ``read_personal``, ``edit_parties`` or
    ``manage_users``."""
    if action == "manage_users":
        return actor.role == Role.ADMIN
    if case is not None:
        visible = in_scope(actor, case.organisation_id, case.organisation.path) or (
            actor.role == Role.MEDIATOR and _assigned(actor, case)
        )
        if not visible:
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
        return actor.role in (Role.CLERK, Role.MEDIATOR, Role.SYSTEM)
    if action == "edit_parties":
        # Who records parties' particulars must be able to read them back: the same roles as read_personal
        # (supervisors and administrators watch cases, they don't take down ID numbers).
        return actor.role in (Role.CLERK, Role.MEDIATOR, Role.SYSTEM)
    return False
