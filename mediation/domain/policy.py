"""Who may do what: the single source of access rules. Services enforce it; the API only maps errors.

- clerk: reads and registers the cases of their own organisation (intake), acts on intake events;
- mediator: reads and acts on the cases of their organisation, and on cases assigned to them;
- supervisor: reads everything in their organisation's subtree, acts there, and (re)assigns mediators;
- admin: like a supervisor over their subtree, and manages users;
- system (the deadline sweep): everything.
Which *events* a role may fire is part of the workflow table (``Transition.roles``); a supervisor or
administrator of an organisation *above* the case's committee fires only the events the table marks as open to
supervision (the early report of a collective dispute): accepting, recording sessions, signing, withdrawing… are
the committee's own acts (:func:`event_refusal`, the one check for pages, the REST API and "what can I do now").
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


def above_committee(actor: Actor, case: Any) -> bool:
    """A supervisor or administrator looking at a case of a committee below their own organisation."""
    return actor.role in (Role.SUPERVISOR, Role.ADMIN) and actor.organisation_id != case.organisation_id


def event_refusal(actor: Actor, case: Any, *, label: str, roles: frozenset[str], committee_act: bool) -> str | None:
    """Why ``actor`` may not fire an event (labelled ``label``, open to ``roles``; ``committee_act``: one of the
    committee's own acts) on ``case`` — or ``None`` when they may. Scope (seeing the case) is checked before."""
    if actor.role not in roles:
        return f"您的角色无权执行“{label}”"
    if committee_act and above_committee(actor, case):
        return (f"“{label}”由案件所属调解组织办理，上级组织的督导员和管理员不能代为办理"
                "（可指派调解员或督促其办理）")
    return None
