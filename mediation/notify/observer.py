"""What a case event makes due: the observer of every recorded case event (:mod:`mediation.runtime.hooks`),
wired by :mod:`mediation.wiring`. It records the messages and their delivery jobs in the event's own unit of
work and never talks to a server: delivery runs after the commit, so a failing channel cannot block or undo
the transition."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mediation.db.models import Case, CaseEvent, User
from mediation.domain.clock import CHINA_TZ
from mediation.notify.service import Notifier, case_parties, user_recipient

REJECT_REASONS = {"out_of_scope": "不属于劳动争议调解受理范围", "respondent_refuses": "对方当事人不同意调解",
                  "already_arbitrated": "争议已申请仲裁或起诉"}


def case_fields(case: Case) -> dict[str, Any]:
    org = case.organisation
    return {"number": case.number, "title": case.title, "organisation": org.short_name or org.name}


@dataclass(frozen=True)
class NotificationObserver:
    notifier: Notifier

    def __call__(self, session: Session, case: Case, ev: CaseEvent) -> None:
        handler = HANDLERS.get(ev.event)
        if handler is not None:
            handler(self.notifier, session, case, ev)


def _date(day: dt.date | None, ev: CaseEvent) -> str:
    """The day the law's step happened (as recorded on the case), else the day of the event (China)."""
    return f"{day or ev.at.astimezone(CHINA_TZ).date():%Y年%m月%d日}"


def _application_received(n: Notifier, session: Session, case: Case, ev: CaseEvent) -> None:
    if ev.to_state != "applied":
        return
    n.record(session, event="application_received", recipients=case_parties(case, n.party_quiet),
             fields={**case_fields(case), "date": _date(case.received_on, ev)}, case_id=case.id)


def _accepted(n: Notifier, session: Session, case: Case, ev: CaseEvent) -> None:
    mediator = case.lead_mediator
    n.record(session, event="accepted", recipients=case_parties(case, n.party_quiet),
             fields={**case_fields(case), "date": _date(case.accepted_on, ev),
                     "mediator": mediator.display_name if mediator else "（待指派）"}, case_id=case.id)
    if mediator is not None:
        _assignment(n, session, case, mediator)


def _not_accepted(n: Notifier, session: Session, case: Case, ev: CaseEvent) -> None:
    code = (ev.payload or {}).get("reason_code")
    reason = ev.reason or (ev.payload or {}).get("reason") or REJECT_REASONS.get(code or "", "见不予受理通知书")
    n.record(session, event="not_accepted", recipients=case_parties(case, n.party_quiet),
             fields={**case_fields(case), "reason": reason}, case_id=case.id)


def _agreement_signed(n: Notifier, session: Session, case: Case, ev: CaseEvent) -> None:
    agreement = case.current_agreement
    if agreement is None:
        return
    settled = ev.event == "settle"
    n.record(session, event="agreement_signed", recipients=case_parties(case, n.party_quiet),
             fields={**case_fields(case), "date": f"{agreement.signed_on:%Y年%m月%d日}",
                     "document_title": "和解协议" if settled else "调解协议",
                     "instalments": len(agreement.obligations), "total": f"{agreement.total_amount:,.2f}",
                     "attachment_note": "协议书见附件（电子邮件）。"}, case_id=case.id)


def _assigned(n: Notifier, session: Session, case: Case, ev: CaseEvent) -> None:
    to = (ev.payload or {}).get("to")
    user = session.get(User, to) if isinstance(to, int) else None
    if user is not None:
        _assignment(n, session, case, user)


def _assignment(n: Notifier, session: Session, case: Case, user: User) -> None:
    r = user_recipient(session, user)
    if r is not None:
        n.record(session, event="new_assignment", recipients=[r], fields=case_fields(case), case_id=case.id)


Handler = Callable[[Notifier, Session, Case, CaseEvent], None]
HANDLERS: dict[str, Handler] = {
    "register": _application_received,
    "register_application": _application_received,
    "accept": _accepted,
    "reject": _not_accepted,
    "sign_agreement": _agreement_signed,
    "settle": _agreement_signed,
    "assign_mediator": _assigned,
}
