"""The reminders nobody's action triggers, found by the periodic job (every tick, see
:mod:`mediation.tasks.periodic`): each goes to each recipient and channel once per occasion — the occasion is
part of the message's unique ``dedup_key``, so a second run, or another worker running at the same moment,
records nothing new.

- parties: a session tomorrow; an instalment due within 3 days; an instalment overdue;
- mediators (the lead mediator): a deadline due tomorrow; the mediation period ending within 3 days (lapse);
- supervisors (of the organisation and above): red alerts not yet reported; collective disputes whose 1-day
  report is due and not made.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediation.db.models import Agreement, Case, Deadline, Obligation
from mediation.db.models_notify import SessionAppointment
from mediation.db.models_risk import RiskAlert
from mediation.domain.clock import CHINA_TZ
from mediation.domain.deadline_rules import NOT_OVERDUE_KINDS, DeadlineKind, default_rules
from mediation.notify.appointments import OPEN_FOR_SESSIONS, when_text
from mediation.notify.observer import case_fields
from mediation.notify.service import Notifier, Recipient, case_parties, supervisors_over, user_recipient
from workflows.definitions import CURRENT_VERSION, get_definition

PERFORMANCE_STATES = ("agreed", "performing", "non_performed")
#: Deadlines and collective reports matter while the case is being handled.
OPEN_STATES = tuple(s.name for s in get_definition(CURRENT_VERSION).states if s.open and not s.terminal)
DUE_AHEAD = 3
LAPSE_AHEAD = 3


def _d(day: dt.date) -> str:
    return f"{day:%Y年%m月%d日}"


def run_reminders(session: Session, notifier: Notifier) -> Counter[str]:
    """Record every reminder due at the notifier's clock (in ``session``; the caller commits). Returns how
    many messages of each occasion were recorded now."""
    now = notifier.clock()
    today = now.astimezone(CHINA_TZ).date()
    tomorrow = today + dt.timedelta(days=1)
    counts: Counter[str] = Counter()

    def add(event: str, recipients: list[Recipient], fields: dict[str, object], case_id: int | None,
            occasion: str) -> None:
        counts[event] += len(notifier.record(session, event=event, recipients=recipients, fields=fields,
                                             case_id=case_id, occasion=occasion))

    # parties: sessions tomorrow
    start = dt.datetime.combine(tomorrow, dt.time(0), tzinfo=CHINA_TZ)
    for appt, case in session.execute(
            select(SessionAppointment, Case).join(Case, Case.id == SessionAppointment.case_id)
            .where(SessionAppointment.cancelled_at.is_(None), SessionAppointment.starts_at >= start,
                   SessionAppointment.starts_at < start + dt.timedelta(days=1),
                   Case.status.in_(OPEN_FOR_SESSIONS))).all():
        add("session_tomorrow", case_parties(case, notifier.party_quiet),
            {**case_fields(case), "when": when_text(appt.starts_at), "place": appt.place}, case.id,
            f"session_tomorrow:{appt.id}:{appt.starts_at:%Y%m%d%H%M}")

    # parties: instalments due within 3 days, and overdue
    rows = session.execute(
        select(Obligation, Case).join(Agreement, Agreement.id == Obligation.agreement_id)
        .join(Case, Case.id == Agreement.case_id)
        .where(Case.status.in_(PERFORMANCE_STATES), Obligation.performed_amount < Obligation.amount,
               Obligation.due_on <= today + dt.timedelta(days=DUE_AHEAD))
        .options(selectinload(Case.parties))).all()
    for ob, case in rows:
        if case.current_agreement is None or case.current_agreement.id != ob.agreement_id:
            continue  # an earlier agreement replaced by a later one
        fields = {**case_fields(case), "description": ob.description, "due_on": _d(ob.due_on),
                  "amount": f"{ob.amount:,.2f}", "outstanding": f"{ob.outstanding:,.2f}"}
        if ob.due_on > today:
            add("instalment_due", case_parties(case, notifier.party_quiet), fields, case.id,
                f"instalment_due:{ob.id}:{ob.due_on:%Y%m%d}")
        elif ob.due_on < today:
            add("instalment_overdue", case_parties(case, notifier.party_quiet), fields, case.id,
                f"instalment_overdue:{ob.id}:{ob.due_on:%Y%m%d}")

    # mediators: deadlines due tomorrow, the mediation period ending soon
    rules = default_rules()
    for dl, case in session.execute(
            select(Deadline, Case).join(Case, Case.id == Deadline.case_id)
            .where(Deadline.status == "open", Deadline.due_on >= tomorrow,
                   Deadline.due_on <= today + dt.timedelta(days=LAPSE_AHEAD), Case.lead_mediator_id.is_not(None),
                   Case.status.in_(OPEN_STATES))).all():
        user = case.lead_mediator
        r = user_recipient(session, user) if user is not None else None
        if r is None:
            continue
        if dl.kind == DeadlineKind.MEDIATION_END:
            add("lapse_coming", [r], {**case_fields(case), "due_on": _d(dl.due_on)}, case.id,
                f"lapse_coming:{dl.id}:{dl.due_on:%Y%m%d}")
        elif dl.due_on == tomorrow and dl.kind not in NOT_OVERDUE_KINDS:
            try:
                label = rules.rule(dl.kind).label
            except (KeyError, ValueError):
                label = dl.kind
            add("deadline_tomorrow", [r], {**case_fields(case), "deadline": label, "due_on": _d(dl.due_on)},
                case.id, f"deadline_tomorrow:{dl.id}:{dl.due_on:%Y%m%d}")

    # supervisors: red alerts not reported
    for alert in session.scalars(select(RiskAlert).where(RiskAlert.level == "red",
                                                         RiskAlert.status.in_(("open", "acknowledged")))):
        sups = [r for u in supervisors_over(session, alert.organisation_id) if (r := user_recipient(session, u))]
        enterprise = alert.enterprise.name if alert.enterprise is not None else "（未登记企业）"
        add("red_alert", sups, {"organisation": alert.organisation.short_name or alert.organisation.name,
                                "enterprise": enterprise, "score": alert.score, "workers": alert.workers,
                                "due_on": _d(alert.report_due_on)}, alert.case_id, f"red_alert:{alert.id}")

    # supervisors: collective disputes whose report is due and not made
    for dl, case in session.execute(
            select(Deadline, Case).join(Case, Case.id == Deadline.case_id)
            .where(Deadline.kind == DeadlineKind.COLLECTIVE_REPORT, Deadline.status.in_(("open", "overdue")),
                   Deadline.due_on <= today, Case.escalated_at.is_(None),
                   Case.status.in_(OPEN_STATES))).all():
        sups = [r for u in supervisors_over(session, case.organisation_id) if (r := user_recipient(session, u))]
        add("collective_unreported", sups, {**case_fields(case), "workers": case.workers_count,
                                            "due_on": _d(dl.due_on)}, case.id, f"collective_unreported:{case.id}")
    return counts
