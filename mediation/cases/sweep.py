"""The deadline sweep and the audited recompute.

The sweep is safe to run repeatedly and concurrently: each overdue deadline is handled in its own
short transaction that locks the case row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has a
single writer), re-checks that the deadline is still unhandled, and marks it; a second sweep finds
nothing left to do. Mediation that passes day 15 (plus agreed extensions) is lapsed through the
workflow (event ``lapse``), which then offers termination and referral. Milestones (the art. 14(3) date
from which the parties may apply for arbitration) are never marked overdue; rows an earlier version marked
overdue are given back their true status, once, each with a ``deadline_corrected`` case event.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.cases import service as case_service
from mediation.db.models import Case, Deadline, DeadlineChange
from mediation.db.uow import unit_of_work
from mediation.domain.calendar import WorkdayCalendar
from mediation.domain.deadline_rules import MILESTONE_KINDS, DeadlineKind, RuleSet, compute_due
from mediation.domain.enums import DeadlineStatus
from mediation.domain.errors import DomainError, WorkflowError
from mediation.domain.policy import Actor
from mediation.runtime.env import ServiceEnv, load_calendar
from workflows.history import append_event, notify_observers

K = DeadlineKind


@dataclass
class SweepReport:
    today: dt.date
    due_today: int = 0
    overdue_marked: int = 0
    lapsed: list[int] = field(default_factory=list)
    skipped_locked: int = 0
    #: Milestone rows (art. 14(3)) an earlier version had marked overdue, given back their true status.
    milestones_corrected: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.today.isoformat()}：今日到期{self.due_today}项，新标记逾期{self.overdue_marked}项，"
            f"调解期满{len(self.lapsed)}件"
        )
        if self.milestones_corrected:
            text += f"，更正误标逾期的“可申请仲裁之日”{self.milestones_corrected}项"
        if self.skipped_locked:
            text += f"，跳过（他处正在处理）{self.skipped_locked}项"
        if self.errors:
            text += f"，错误{len(self.errors)}项"
        return text


def _pending_overdue(session: Session, today: dt.date, limit: int) -> list[tuple[int, int]]:
    rows = session.execute(
        select(Deadline.id, Deadline.case_id)
        .where(Deadline.status == DeadlineStatus.OPEN, Deadline.due_on < today,
               Deadline.kind.not_in(sorted(MILESTONE_KINDS)))
        .order_by(Deadline.due_on, Deadline.id)
        .limit(limit)
    ).all()
    return [(r[0], r[1]) for r in rows]


def run_sweep(
    session_factory: Callable[[], Session],
    *,
    env: ServiceEnv,
    today: dt.date | None = None,
    batch: int = 500,
) -> SweepReport:
    system = Actor.system()
    with session_factory() as s:
        today = today or env.today()
        report = SweepReport(today=today)
        report.due_today = len(
            s.execute(select(Deadline.id).where(Deadline.status == DeadlineStatus.OPEN, Deadline.due_on == today,
                                                Deadline.kind.not_in(sorted(MILESTONE_KINDS))))
            .all()
        )
        legacy = _legacy_overdue_milestones(s)
    for deadline_id, case_id in legacy:
        with session_factory() as s:
            _correct_milestone(s, deadline_id, case_id, today, env, system, report)
    seen: set[int] = set()
    while True:
        with session_factory() as s:
            todo = [(d, c) for d, c in _pending_overdue(s, today, batch) if d not in seen]
        if not todo:
            break
        for deadline_id, case_id in todo:
            seen.add(deadline_id)
            with session_factory() as s:
                try:
                    _handle_overdue(s, deadline_id, case_id, today, env, system, report)
                except DomainError as exc:  # (its unit of work was rolled back)
                    report.errors.append(f"案件{case_id}：{exc.detail}")
    return report


def _handle_overdue(
    s: Session, deadline_id: int, case_id: int, today: dt.date, env: ServiceEnv, system: Actor,
    report: SweepReport,
) -> None:
    stmt = select(Case).where(Case.id == case_id).with_for_update(skip_locked=True)
    case = s.scalars(stmt).one_or_none()
    if case is None:
        s.rollback()
        report.skipped_locked += 1
        return
    deadline = s.get(Deadline, deadline_id)
    if (deadline is None or deadline.status != DeadlineStatus.OPEN or deadline.due_on >= today
            or deadline.kind in MILESTONE_KINDS):
        s.rollback()
        return
    if deadline.kind == K.MEDIATION_END and case.status == "mediating":
        s.rollback()  # fire_event runs its own unit of work (and marks nothing else)
        try:
            case_service.fire_event(s, case_id=case_id, event="lapse", actor=system, env=env, today=today)
            report.lapsed.append(case_id)
        except WorkflowError:
            pass  # a concurrent sweep (or a mediator) got there first
        case = s.scalars(select(Case).where(Case.id == case_id).with_for_update()).one()
        deadline = s.get(Deadline, deadline_id)
        if deadline is None or deadline.status != DeadlineStatus.OPEN:
            return
    with unit_of_work(s):
        deadline.status = DeadlineStatus.OVERDUE
        deadline.overdue_recorded_at = dt.datetime.now(dt.UTC)
        ev = append_event(s, case, event="deadline_overdue", from_state=case.status, to_state=case.status,
                          actor=system, payload={"deadline_id": deadline.id, "kind": deadline.kind,
                                                 "due_on": deadline.due_on.isoformat()})
        s.flush()
        notify_observers(s, case, ev, env)
        case.updated_at = dt.datetime.now(dt.UTC)  # bumps the version: concurrent editors see a conflict
    report.overdue_marked += 1


#: Case states in which the art. 14(3) milestone is still open (it is met by the agreement and cancelled
#: by rejection, termination, referral or withdrawal).
_MILESTONE_OPEN_STATES = ("applied", "mediating", "lapsed")
MILESTONE_CORRECTION = "可申请仲裁之日是权利产生之日，不是期限，不存在逾期（调解仲裁法第十四条第三款）"


def _legacy_overdue_milestones(session: Session) -> list[tuple[int, int]]:
    """Milestone rows an earlier version of the sweep marked overdue."""
    rows = session.execute(
        select(Deadline.id, Deadline.case_id)
        .where(Deadline.status == DeadlineStatus.OVERDUE, Deadline.kind.in_(sorted(MILESTONE_KINDS)))
        .order_by(Deadline.case_id, Deadline.id)
    ).all()
    return [(r[0], r[1]) for r in rows]


def _correct_milestone(
    s: Session, deadline_id: int, case_id: int, today: dt.date, env: ServiceEnv, system: Actor,
    report: SweepReport,
) -> None:
    """Give a milestone row wrongly marked overdue the status it would have had: open while the case is
    before agreement or termination, met by a mediation agreement, cancelled otherwise. Recorded as a case
    event with the reason, in the case's own transaction (the derived risk tables follow through the
    observers)."""
    case = s.scalars(select(Case).where(Case.id == case_id).with_for_update(skip_locked=True)).one_or_none()
    deadline = s.get(Deadline, deadline_id) if case is not None else None
    if case is None or deadline is None or deadline.status != DeadlineStatus.OVERDUE:
        s.rollback()
        return
    with unit_of_work(s):
        mediated = [a for a in case.agreements if a.kind == "mediation"]
        if case.status in _MILESTONE_OPEN_STATES:
            status, resolved = DeadlineStatus.OPEN, None
        elif mediated:
            status, resolved = DeadlineStatus.MET, mediated[0].signed_on
        else:
            status, resolved = DeadlineStatus.CANCELLED, case.ended_on or case.closed_on or today
        deadline.status = status
        deadline.resolved_on = resolved
        deadline.overdue_recorded_at = None
        ev = append_event(s, case, event="deadline_corrected", from_state=case.status, to_state=case.status,
                          actor=system, reason=MILESTONE_CORRECTION,
                          payload={"deadline_id": deadline.id, "kind": deadline.kind,
                                   "from": DeadlineStatus.OVERDUE.value, "to": status.value})
        s.flush()
        notify_observers(s, case, ev, env)
        case.updated_at = dt.datetime.now(dt.UTC)
    report.milestones_corrected += 1


@dataclass
class RecomputeReport:
    batch: str
    examined: int = 0
    changed: int = 0
    cases: set[int] = field(default_factory=set)


RECOMPUTABLE = {K.ACCEPTANCE, K.ARBITRATION_RIGHT, K.MEDIATION_END, K.NEGOTIATION_REPLY, K.ARBITRATION_REVIEW,
                 K.JUDICIAL_CONFIRMATION, K.LIMITATION, K.COLLECTIVE_REPORT}


def recompute_deadlines(
    session: Session,
    *,
    reason: str,
    env: ServiceEnv,
    actor: Actor | None = None,
    rules: RuleSet | None = None,
    calendar: WorkdayCalendar | None = None,
    case_ids: Iterable[int] | None = None,
) -> RecomputeReport:
    """Recompute every open deadline (after a new holiday schedule or a changed statutory default),
    recording old and new dates and the reason; cases move to the given rule set's version. The calendar is
    read afresh from the override table (not the environment's cached one): a recompute follows a change of it."""
    if not reason.strip():
        raise ValueError("a recompute needs a reason")
    actor = actor or Actor.system()
    rules = rules or env.rules
    calendar = calendar or load_calendar(session)
    report = RecomputeReport(batch=uuid.uuid4().hex)
    stmt = select(Deadline).where(Deadline.status == DeadlineStatus.OPEN, Deadline.kind.in_(RECOMPUTABLE))
    if case_ids is not None:
        stmt = stmt.where(Deadline.case_id.in_(list(case_ids)))
    with unit_of_work(session):
        for d in session.scalars(stmt.order_by(Deadline.case_id, Deadline.id)).all():
            report.examined += 1
            case = d.case
            extra = (case.extension_days if d.kind == K.MEDIATION_END
                     else (case.limitation_suspended_days or 0) if d.kind == K.LIMITATION else 0)
            period = compute_due(rules, calendar, DeadlineKind(d.kind), d.anchor_on, extra_days=extra)
            case.rules_version = rules.version
            # a corrected citation reaches the open rows too (a limitation row keeps the rule that restarted it)
            if d.kind != K.LIMITATION:
                d.basis = rules.rule(DeadlineKind(d.kind)).source
            if period.due == d.due_on and period.provisional == d.provisional and d.rules_version == rules.version:
                continue
            session.add(DeadlineChange(
                deadline_id=d.id, batch=report.batch, old_due_on=d.due_on, new_due_on=period.due,
                old_provisional=d.provisional, new_provisional=period.provisional, reason=reason,
                actor_id=actor.user_id,
            ))
            if period.due != d.due_on or period.provisional != d.provisional:
                report.changed += 1
                report.cases.add(case.id)
            d.due_on = period.due
            d.provisional = period.provisional
            d.rules_version = rules.version
        for case_id in sorted(report.cases):
            case = session.get(Case, case_id)
            assert case is not None
            append_event(session, case, event="deadlines_recomputed", from_state=case.status, to_state=case.status,
                         actor=actor, reason=reason, payload={"batch": report.batch, "rules_version": rules.version})
    return report
