"""Deadline rows: opening, resolving, the limitation, and the per-kind anchors.

Pure row helpers on the ORM models (they read and change a case's ``deadlines``; nothing above the models and
the domain's rules): the events' specs (:mod:`workflows.events`) open, meet and cancel deadlines with them, and
the case services use them at intake. Every function works inside the caller's transaction; none commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from mediation.db.models import Case, Deadline, Obligation
from mediation.domain import legal_basis as lb
from mediation.domain.calendar import WorkdayCalendar
from mediation.domain.deadline_rules import MILESTONE_KINDS, MILESTONE_PASSED_LABEL, DeadlineKind, RuleSet, compute_due
from mediation.domain.enums import DeadlineStatus

K = DeadlineKind


def anchor_for(case: Case, kind: str, today: dt.date) -> dt.date:
    """Day 0 of a deadline kind (the day itself is not counted, CC art. 201)."""
    if kind in (K.ACCEPTANCE, K.ARBITRATION_RIGHT):
        return case.received_on or today
    if kind == K.MEDIATION_END:
        return case.accepted_on or today
    if kind in (K.ARBITRATION_REVIEW, K.JUDICIAL_CONFIRMATION):
        return case.agreed_on or today
    if kind == K.LIMITATION:
        return case.dispute_arose_on or today
    return today


def open_deadline(case: Case, kind: str) -> Deadline | None:
    for d in case.deadlines:
        if d.kind == kind and d.status == DeadlineStatus.OPEN:
            return d
    return None


def add_deadline(
    case: Case,
    kind: str,
    *,
    anchor: dt.date,
    rules: RuleSet,
    calendar: WorkdayCalendar,
    extra_days: int = 0,
    basis: str | None = None,
) -> Deadline:
    if kind == K.LIMITATION:
        extra_days = case.limitation_suspended_days or 0
    period = compute_due(rules, calendar, DeadlineKind(kind), anchor, extra_days=extra_days)
    rule = rules.rule(DeadlineKind(kind))
    d = Deadline(
        kind=kind,
        anchor_on=anchor,
        due_on=period.due,
        provisional=period.provisional,
        rules_version=rules.version,
        basis=basis or rule.source,
        status=DeadlineStatus.OPEN,
    )
    case.deadlines.append(d)
    return d


def add_performance_deadlines(case: Case, obligations: Iterable[Obligation], *, rules: RuleSet) -> None:
    """Agreed performance dates are rows too; they are dates the parties chose, not counted periods."""
    rule = rules.rule(K.PERFORMANCE)
    for ob in obligations:
        d = Deadline(
            kind=K.PERFORMANCE,
            anchor_on=case.agreed_on or ob.due_on,
            due_on=ob.due_on,
            provisional=False,
            rules_version=rules.version,
            basis=rule.source,
            status=DeadlineStatus.OPEN,
        )
        d.obligation = ob
        case.deadlines.append(d)


def resolve(case: Case, kinds: Iterable[str], status: str, today: dt.date) -> list[Deadline]:
    kinds = set(kinds)
    done = []
    for d in case.deadlines:
        if d.kind in kinds and d.status == DeadlineStatus.OPEN:
            d.status = status
            d.resolved_on = today
            done.append(d)
        elif d.kind in kinds and d.status == DeadlineStatus.OVERDUE and d.resolved_on is None:
            d.resolved_on = today  # dealt with late: it stays a missed deadline, no longer an open matter
    return done


def pay_arrears_during_employment(case: Case) -> bool:
    """LDMAL art. 27(4): a pay-arrears dispute while the employment lasts runs no one-year limitation."""
    return case.category == "remuneration" and bool(case.employment_ongoing) and case.employment_ended_on is None


def restart_limitation(
    case: Case, on: dt.date, *, rules: RuleSet, calendar: WorkdayCalendar, basis: lb.Basis | None = None
) -> Deadline | None:
    """LDMAL art. 27(2): an interruption (a claim, a request to a body, the other side agreeing to
    perform, and for enterprise committees the further cases of ELDNMP art. 31) restarts the one-year limitation
    from that day; the row records the rule that restarted it. None while no limitation runs (art. 27(4))."""
    if pay_arrears_during_employment(case):
        return None
    for d in case.deadlines:
        if d.kind == K.LIMITATION and d.status == DeadlineStatus.OPEN and d.obligation_id is None \
                and d.obligation is None:
            if d.anchor_on >= on:
                return d  # an interruption never moves the start backwards
            d.status = DeadlineStatus.CANCELLED
            d.resolved_on = on
    return add_deadline(case, K.LIMITATION, anchor=on, rules=rules, calendar=calendar,
                        basis=(basis or lb.LIMITATION_INTERRUPTED).full)


def first_limitation(case: Case, *, rules: RuleSet, calendar: WorkdayCalendar) -> Deadline | None:
    """The limitation at intake (art. 27(1)): from the day the party knew of the infringement; for pay arrears,
    from the end of the employment when it has ended (art. 27(4)); none while it lasts."""
    if pay_arrears_during_employment(case):
        return None
    start, basis = case.dispute_arose_on, lb.LIMITATION_START
    if case.category == "remuneration" and case.employment_ended_on is not None and (
            start is None or case.employment_ended_on > start):
        start, basis = case.employment_ended_on, lb.LIMITATION_PAY_ARREARS
    if start is None:
        return None
    return add_deadline(case, K.LIMITATION, anchor=start, rules=rules, calendar=calendar, basis=basis.full)


@dataclass(frozen=True)
class LimitationStatus:
    """What a page or a document says about the limitation: the rule applied, from which day, the estimated end,
    whether it is suspended, and the note when no one-year period runs."""

    basis: str
    since: dt.date | None
    due: dt.date | None
    provisional: bool
    suspended_on: dt.date | None
    suspended_days: int
    note: str


def limitation_status(case: Case) -> LimitationStatus | None:
    """The case-level limitation (the earliest open one, per obligation after an agreement), or the art. 27(4)
    note; None when the committee has no date to go on."""
    suspended = dict(suspended_on=case.limitation_suspended_on, suspended_days=case.limitation_suspended_days or 0)
    if pay_arrears_during_employment(case):
        return LimitationStatus(lb.LIMITATION_PAY_ARREARS.full, None, None, False, note=(
            "劳动关系存续期间因拖欠劳动报酬发生的争议，申请仲裁不受一年仲裁时效期间的限制；劳动关系终止的，"
            "应当自劳动关系终止之日起一年内提出"), **suspended)
    rows = [d for d in case.deadlines if d.kind == K.LIMITATION and d.status == DeadlineStatus.OPEN]
    if not rows:
        return None
    d = min(rows, key=lambda r: (r.due_on, r.id or 0))
    return LimitationStatus(d.basis, d.anchor_on, d.due_on, d.provisional, note="", **suspended)


def limitations_per_obligation(
    case: Case, obligations: Iterable[Obligation], *, signed_on: dt.date, rules: RuleSet, calendar: WorkdayCalendar
) -> list[Deadline]:
    """An agreement (the other side agreeing to perform, LDMAL art. 27(2)) replaces the dispute's running
    limitation by one per agreed obligation: a claim under the agreement can only be infringed once its
    performance date has passed unperformed, and the party learns of that the day after the due date
    (art. 27(1)), so each period runs from ``due_on + 1`` (day 0, not counted). Before that no limitation
    can run out; an obligation performed in full ends its row. Instalments each get their own date."""
    for d in case.deadlines:
        if d.kind == K.LIMITATION and d.status == DeadlineStatus.OPEN and d.obligation is None \
                and d.obligation_id is None:
            d.status = DeadlineStatus.CANCELLED
            d.resolved_on = signed_on
    added = []
    for ob in obligations:
        d = add_deadline(case, K.LIMITATION, anchor=ob.due_on + dt.timedelta(days=1), rules=rules,
                         calendar=calendar, basis=lb.LIMITATION_AGREEMENT.full)
        d.obligation = ob
        added.append(d)
    return added


def end_obligation_limitation(case: Case, ob: Obligation, on: dt.date) -> None:
    """The obligation was performed in full: nothing left to claim under it."""
    for d in case.deadlines:
        if d.kind == K.LIMITATION and d.status == DeadlineStatus.OPEN and d.obligation is ob:
            d.status = DeadlineStatus.CANCELLED
            d.resolved_on = on


def status_label(d: Deadline, today: dt.date) -> str:
    """What a person reads for a deadline row: a milestone past its date is reached, never overdue."""
    if d.kind in MILESTONE_KINDS:
        if d.status == DeadlineStatus.OPEN and d.due_on < today:
            return MILESTONE_PASSED_LABEL
        if d.status == DeadlineStatus.OVERDUE:  # a row marked before the correction, until the sweep fixes it
            return MILESTONE_PASSED_LABEL
    return DeadlineStatus(d.status).label
