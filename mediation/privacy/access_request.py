"""Everything stored about one person, found by identity number — for an access request (PIPL art. 45).

Returns the person's party records and, for each, the case (number, organisation, state, dates), its claims,
agreements and obligations, mediation sessions, the documents generated for it (metadata; the PDFs themselves
can be handed over from the case), the history events about the person, the legal holds, and who read the
case's personal data when (the access log). Every export is audited (``privacy_audit``: operator, time, the
SHA-256 of the identity number — the number itself is not repeated there — and what was found).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Agreement, Case, CaseEvent, Claim, MediationSession, Organisation, Party, User
from mediation.db.models_access import PersonalDataAccess
from mediation.db.models_documents import GeneratedDocument
from mediation.db.models_privacy import LegalHold
from mediation.domain.errors import ValidationFailed
from mediation.domain.identity import ID_FORMAT
from mediation.privacy.policy import audit

PARTY_FIELDS = ("id", "role", "name", "gender", "birth_date", "ethnicity", "id_number", "phone", "address",
                "job_title", "hired_on", "uscc", "legal_representative", "represents_id", "agent_kind",
                "anonymised_at")


_ACCESS = (select(PersonalDataAccess, User.username).join(User, User.id == PersonalDataAccess.user_id)
           .order_by(PersonalDataAccess.at, PersonalDataAccess.id))


def subject_hash(id_number: str) -> str:
    return hashlib.sha256(id_number.encode("utf-8")).hexdigest()


def _j(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Any, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {n: _j(getattr(obj, n)) for n in names}


def export_person(session: Session, *, id_number: str, actor: str) -> dict[str, Any]:
    number = id_number.strip().upper()
    if not ID_FORMAT.match(number):  # the format only: an old or odd number may still be on file
        raise ValidationFailed("身份证号码应为18位，最后一位可为数字或X", errors={"id_number": ["格式不正确"]})
    parties = session.scalars(select(Party).where(Party.id_number == number).order_by(Party.id)).all()
    records = []
    for p in parties:
        case = session.get(Case, p.case_id)
        assert case is not None
        org = session.get(Organisation, case.organisation_id)
        records.append({
            "party": _row(p, PARTY_FIELDS),
            "case": {**_row(case, ["id", "number", "title", "category", "status", "reported_on", "received_on",
                                   "accepted_on", "agreed_on", "ended_on", "closed_on", "facts", "requests"]),
                     "organisation": org.name if org else None},
            "claims": [_row(c, ["claim_type", "description", "amount"]) for c in
                       session.scalars(select(Claim).where(Claim.case_id == case.id).order_by(Claim.id))],
            "agreements": [{**_row(a, ["id", "signed_on", "terms", "total_amount"]),
                            "obligations": [_row(o, ["description", "amount", "due_on", "performed_amount", "status"])
                                            for o in a.obligations]}
                           for a in session.scalars(select(Agreement).where(Agreement.case_id == case.id)
                                                    .order_by(Agreement.id))],
            "sessions": [_row(s, ["started_at", "place", "attendees"]) for s in
                         session.scalars(select(MediationSession).where(MediationSession.case_id == case.id)
                                         .order_by(MediationSession.id))],
            "documents": [_row(d, ["id", "kind", "title", "number", "version", "created_at"]) for d in
                          session.scalars(select(GeneratedDocument).where(GeneratedDocument.case_id == case.id)
                                          .order_by(GeneratedDocument.id))],
            "history": [_row(e, ["seq", "event", "at", "payload"]) for e in
                        session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                                CaseEvent.event.like("party_%"))
                                        .order_by(CaseEvent.seq))
                        if (e.payload or {}).get("party_id") == p.id],
            "legal_holds": [_row(h, ["reason", "placed_by", "placed_at", "released_at"]) for h in
                            session.scalars(select(LegalHold).where(LegalHold.case_id == case.id))],
            "access_log": [{"user": u, "at": _j(a.at), "endpoint": a.endpoint, "fields": a.fields}
                           for a, u in session.execute(_ACCESS.where(PersonalDataAccess.case_id == case.id))],
        })
    digest = subject_hash(number)
    out = {"id_number": number, "exported_at": dt.datetime.now(dt.UTC).isoformat(), "records": records}
    audit(session, "access_export", actor, subject_hash=digest, parties=len(records),
          cases=sorted({r["case"]["number"] for r in records}))
    session.commit()
    return out
