"""Assigning the lead mediator: suggestions by open caseload, and recusal (回避) checks.

Supervisors (and admins) assign and reassign. A mediator who declared a conflict with the enterprise or
with a party of the case is refused, with the reason recorded in the case history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.cases.service import get_case
from mediation.db.models import Case, Enterprise, Organisation, User
from mediation.db.models_access import MediatorConflict
from mediation.db.uow import unit_of_work, unit_of_work_recording
from mediation.domain.enums import Role
from mediation.domain.errors import ConflictError, DomainError, PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor, can, in_scope
from mediation.runtime.hooks import Observer
from workflows.definitions import get_definition
from workflows.history import append_event
from workflows.mediators import conflict_reason


class RecusalRequired(DomainError):
    code = "recusal_required"
    title = "调解员应当回避"
    status = 409


@dataclass(frozen=True)
class Suggestion:
    user_id: int
    name: str
    open_cases: int
    conflict: str | None


def _open_states(case: Case) -> list[str]:
    d = get_definition(case.workflow_version)
    return [s.name for s in d.states if s.open or s.name in ("agreed", "performing", "non_performed")]


def suggest_mediators(session: Session, *, case_id: int, actor: Actor) -> list[Suggestion]:
    case = get_case(session, case_id=case_id, actor=actor)
    if not can(actor, "assign", case):
        raise PermissionDenied("只有督导员或管理员可以指派调解员")
    mediators = session.scalars(
        select(User).where(User.organisation_id == case.organisation_id, User.active.is_(True),
                           User.role.in_([Role.MEDIATOR, Role.SUPERVISOR])).order_by(User.id)
    ).all()
    loads = dict(
        session.execute(
            select(Case.lead_mediator_id, func.count())
            .where(Case.lead_mediator_id.in_([m.id for m in mediators]), Case.status.in_(_open_states(case)))
            .group_by(Case.lead_mediator_id)
        ).all()
    )
    out = [Suggestion(m.id, m.display_name, int(loads.get(m.id, 0)), conflict_reason(session, m.id, case))
           for m in mediators if m.role == Role.MEDIATOR]
    return sorted(out, key=lambda s: (s.conflict is not None, s.open_cases, s.user_id))


def assign_mediator(
    session: Session, *, case_id: int, actor: Actor, mediator_id: int, expected_version: int | None = None,
    reason: str = "", observers: Sequence[Observer] = (),
) -> Case:
    """``observers`` see the assignment event inside its unit of work (the entry points pass the notifications
    observer: the new mediator is told)."""
    def record_refusal(exc: RecusalRequired) -> None:
        """Nothing of the assignment is written; the refusal is, with its reason (who, whom and why)."""
        case = get_case(session, case_id=case_id, actor=actor, for_update=True)
        append_event(session, case, event="assignment_refused", from_state=case.status, to_state=case.status,
                      actor=actor, reason=exc.extra["conflict"], payload={"mediator_id": mediator_id})
        session.flush()
        exc.extra.pop("conflict")
        exc.extra["current_version"] = case.version

    with unit_of_work_recording(session, RecusalRequired, record_refusal):
        case = get_case(session, case_id=case_id, actor=actor, for_update=True)
        if not can(actor, "assign", case):
            raise PermissionDenied("只有督导员或管理员可以指派调解员")
        if expected_version is not None and case.version != expected_version:
            raise ConflictError("案件在您打开后已有更新，请刷新后重试", current_version=case.version)
        user = session.get(User, mediator_id)
        if user is None or not user.active or user.role != Role.MEDIATOR or \
                user.organisation_id != case.organisation_id:
            raise ValidationFailed("只能指派本调解组织在职的调解员", errors={"mediator_id": ["调解员无效"]})
        conflict = conflict_reason(session, mediator_id, case)
        if conflict is not None:
            raise RecusalRequired(f"不能指派{user.display_name}：{conflict}", mediator_id=mediator_id,
                                  conflict=conflict)
        previous = case.lead_mediator_id
        case.lead_mediator_id = mediator_id
        case.updated_at = dt.datetime.now(dt.UTC)
        ev = append_event(session, case, event="assign_mediator", from_state=case.status, to_state=case.status,
                          actor=actor, reason=reason, payload={"from": previous, "to": mediator_id})
        for observer in observers:
            observer(session, case, ev)
    session.expire(case, ["events"])
    return case


def declare_conflict(
    session: Session, *, user: User, reason: str, enterprise_id: int | None = None, party_name: str | None = None
) -> MediatorConflict:
    if not reason.strip() or (enterprise_id is None and not (party_name or "").strip()):
        raise ValidationFailed("请写明回避对象（用人单位或当事人）和理由",
                               errors={"reason": ["请写明理由"]})
    if enterprise_id is not None and session.get(Enterprise, enterprise_id) is None:
        raise ValidationFailed("用人单位不存在", errors={"enterprise_id": ["用人单位不存在"]})
    c = MediatorConflict(user_id=user.id, enterprise_id=enterprise_id, party_name=(party_name or None),
                         reason=reason.strip())
    with unit_of_work(session):
        session.add(c)
    return c




# --- bulk reassignment ---------------------------------------------------------------------------------------

#: At most this many cases in one bulk request (a committee's whole caseload fits; a runaway client does not).
BULK_LIMIT = 500


@dataclass(frozen=True)
class BulkOutcome:
    """What happened to one case of a bulk request: reassigned, or refused with the reason (each case is its own
    unit of work: one refusal never undoes another case's reassignment)."""

    case_id: int
    number: str
    ok: bool
    code: str = ""
    reason: str = ""


def cases_of_mediator(session: Session, *, actor: Actor, mediator_id: int) -> list[int]:
    """The ids of the open cases (agreements still followed up included) led by ``mediator_id`` that ``actor``
    may reassign (its subtree)."""
    rows = session.execute(
        select(Case.id, Case.organisation_id, Case.status, Case.workflow_version).where(
            Case.lead_mediator_id == mediator_id).order_by(Case.id)).all()
    paths = dict(session.execute(select(Organisation.id, Organisation.path)).all())
    out = []
    for r in rows:
        d = get_definition(r.workflow_version)
        open_ = d.has_state(r.status) and (d.state(r.status).open or r.status in ("agreed", "performing",
                                                                                  "non_performed"))
        if open_ and in_scope(actor, r.organisation_id, paths.get(r.organisation_id, "/")):
            out.append(r.id)
    return out


def bulk_reassign(session: Session, *, actor: Actor, case_ids: list[int], mediator_id: int,
                  reason: str = "", observers: Sequence[Observer] = ()) -> list[BulkOutcome]:
    """Reassign every case to ``mediator_id`` through :func:`assign_mediator` — the same checks (scope, role,
    the mediator's committee, recusal), one history entry per case, a refused recusal recorded on its case —
    each case in its own unit of work. Refused cases are listed with their reason; the others are done."""
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied("只有督导员或管理员可以批量改派调解员")
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise ValidationFailed("请选择要改派的案件", errors={"case_ids": ["请至少选择一件案件"]})
    if len(ids) > BULK_LIMIT:
        raise ValidationFailed(f"一次最多改派{BULK_LIMIT}件案件", errors={"case_ids": [f"最多{BULK_LIMIT}件"]})
    out: list[BulkOutcome] = []
    for cid in ids:
        number = ""
        try:
            case = get_case(session, case_id=cid, actor=actor)
            number = case.number
            if case.lead_mediator_id == mediator_id:
                session.rollback()
                out.append(BulkOutcome(cid, number, False, "unchanged", "已是该案主办调解员"))
                continue
            session.rollback()  # release the read; assign_mediator locks the row in its own unit
            assign_mediator(session, case_id=cid, actor=actor, mediator_id=mediator_id, reason=reason,
                            observers=observers)
            out.append(BulkOutcome(cid, number, True))
        except DomainError as exc:
            out.append(BulkOutcome(cid, number, False, exc.code, exc.detail))
    return out
