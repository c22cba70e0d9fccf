"""The purge: applies the ``parties`` retention policy to archived cases.

A case is due when it is closed (archived) and its ``closed_on`` is at least the policy's number of years ago,
and it is not under an active legal hold. Its natural persons' listed particulars (name, identity number,
phone, address, …) are overwritten — the name becomes ``（已匿名）``, the rest is emptied — and the parties
marked ``anonymised_at``; an employer (an organisation, not a person) loses only its legal representative's
name. The names copied into the case history's party events are replaced as well (the one deliberate write
to the otherwise append-only history). Cases, claims, agreements and the statistics stay. Generated
documents are kept as the archive rules require (the ``documents`` policy), their downloads logged.

``dry_run`` reports what would change and writes nothing; a real run writes one ``privacy_audit`` row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, select, text, update
from sqlalchemy.orm import Session

from mediation.db.models import Case, CaseEvent, Party
from mediation.db.models_notify import NotificationMessage
from mediation.db.models_privacy import LegalHold
from mediation.privacy.policy import ANONYMISABLE, audit, policy_for

ANONYMOUS = ANONYMISABLE["name"]
#: What is left of the text of a notice to a party once the case's people are anonymised.
NOTICE_ANONYMISED = "（通知内容已按保存期限匿名化）"
PARTY_EVENTS = ("party_added", "party_updated", "party_removed")


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass
class PurgeReport:
    dry_run: bool
    today: dt.date
    cutoff: dt.date | None
    policy: dict[str, Any] | None
    cases: list[dict[str, Any]] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)
    parties: int = 0
    fields: dict[str, int] = field(default_factory=dict)
    events: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "today": self.today.isoformat(),
                "archived_on_or_before": self.cutoff.isoformat() if self.cutoff else None, "policy": self.policy,
                "cases": self.cases, "held_back": self.held, "parties": self.parties, "fields": self.fields,
                "history_events": self.events}


def purge(session: Session, *, today: dt.date, actor: str, dry_run: bool = True) -> PurgeReport:
    pol = policy_for(session, "parties")
    if pol is None or not pol.active or pol.action != "anonymise":
        return PurgeReport(dry_run, today, None, None)
    cutoff = years_before(today, pol.years_after_archive)
    fields = [f for f in pol.fields if f in ANONYMISABLE]
    report = PurgeReport(dry_run, today, cutoff, {"subject": pol.subject, "years_after_archive":
                                                  pol.years_after_archive, "fields": fields})
    pending = exists().where(Party.case_id == Case.id, Party.anonymised_at.is_(None))
    held = exists().where(LegalHold.case_id == Case.id, LegalHold.released_at.is_(None))
    due = and_(Case.status == "closed", Case.closed_on.is_not(None), Case.closed_on <= cutoff, pending)
    for case_id, number, closed_on in session.execute(
            select(Case.id, Case.number, Case.closed_on).where(due, held).order_by(Case.id)).all():
        report.held.append({"case_id": case_id, "number": number, "closed_on": closed_on.isoformat()})
    now = dt.datetime.now(dt.UTC)
    case_rows = session.execute(select(Case.id, Case.number, Case.closed_on).where(due, ~held).order_by(Case.id)).all()
    for case_id, number, closed_on in case_rows:
        parties = session.scalars(select(Party).where(Party.case_id == case_id, Party.anonymised_at.is_(None))
                                  .order_by(Party.id)).all()
        changed_fields: set[str] = set()
        for p in parties:
            own = ["legal_representative"] if p.role == "employer" else fields
            for f in own:
                if f in fields and getattr(p, f) not in (None, "", ANONYMISABLE[f]):
                    report.fields[f] = report.fields.get(f, 0) + 1
                    changed_fields.add(f)
                    if not dry_run:
                        setattr(p, f, ANONYMISABLE[f])
            if not dry_run:
                p.email = None  # only ever kept for the notices (mediation.notify)
                p.anonymised_at = now
        report.parties += len(parties)
        if not dry_run:  # the notices sent to the parties carried their names, addresses and numbers
            session.execute(update(NotificationMessage)
                            .where(NotificationMessage.case_id == case_id,
                                   NotificationMessage.recipient_kind == "party")
                            .values(recipient_name=ANONYMOUS, address="", body=NOTICE_ANONYMISED))
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                         CaseEvent.event.in_(PARTY_EVENTS))).all()
        named = [ev for ev in events if "name" in fields and (ev.payload or {}).get("name") not in (None, ANONYMOUS)]
        report.events += len(named)
        if not dry_run and named:
            # Core update: the history is append-only (the ORM refuses, PostgreSQL's trigger too unless this
            # transaction says it is anonymising); replacing the names is the one exception.
            pg = session.get_bind().dialect.name == "postgresql"
            if pg:
                session.execute(text("SELECT set_config('mediation.anonymise', 'on', true)"))
            for ev in named:
                session.execute(update(CaseEvent).where(CaseEvent.id == ev.id)
                                .values(payload={**ev.payload, "name": ANONYMOUS}))
            if pg:
                session.execute(text("SELECT set_config('mediation.anonymise', 'off', true)"))
        report.cases.append({"case_id": case_id, "number": number, "closed_on": closed_on.isoformat(),
                             "parties": len(parties), "fields": sorted(changed_fields)})
    if not dry_run:
        audit(session, "purge", actor, **report.to_dict())
        session.commit()
    else:
        session.rollback()
    return report
