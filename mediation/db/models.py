"""The persistent domain model (SQLAlchemy 2.x typed ORM).

Conventions: dates that the law counts in days are ``date``; instants are aware UTC ``datetime``;
money is ``Numeric(14, 2)``; enumerations are stored as their stable string values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from mediation.db.base import Base, utcnow


class Region(Base):
    """A GB/T 2260 administrative division used by this installation (loaded from the data package)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)


class Organisation(Base):
    """Union federations, township/street bodies, park unions and enterprise mediation committees."""

    __tablename__ = "organisations"
    #: Case and document numbers are unique in the whole installation: so is the prefix they are made with.
    __table_args__ = (Index("uq_organisations_doc_prefix", "doc_prefix", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    short_name: Mapped[str] = mapped_column(String(32), default="")
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: Materialised path of ids, e.g. ``/1/4/9/``: a subtree is ``path LIKE '/1/4/%'``.
    path: Mapped[str] = mapped_column(String(255), default="/", index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"), index=True)
    #: Short form used in case and document numbers, e.g. ``南湖`` in ``（2026）南湖劳调字第12号``: unique in the
    #: installation (``mediation.accounts.organisations.unique_prefix``), so that numbers are.
    doc_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Committee policy: the most days both parties may extend mediation by in total. ``None`` (the default):
    #: no cap — ELDNMP art. 29 sets none; a cap is the committee's own rule.
    extension_cap_days: Mapped[int | None] = mapped_column(Integer)
    #: Committee policy: collective cases need 3–5 elected representatives, the practice adopted from
    #: 办案规则 arts. 5, 62, 63 (written for arbitration). On by default.
    collective_reps_practice: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    #: A township (street) or regional body's own provision for refusing mediation (cited in the
    #: non-acceptance notice), e.g. ``《某街道劳动争议调解工作规则》第十条``.
    own_rules_basis: Mapped[str | None] = mapped_column(String(200))

    parent: Mapped[Organisation | None] = relationship(remote_side="Organisation.id")


class Park(Base):
    """Industrial parks and development zones (a focus of union coverage)."""

    __tablename__ = "parks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    industry: Mapped[str | None] = mapped_column(String(1))
    ownership: Mapped[str | None] = mapped_column(String(32))
    size: Mapped[str | None] = mapped_column(String(16))
    employees: Mapped[int | None] = mapped_column(Integer)
    legal_representative: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    has_union: Mapped[bool] = mapped_column(Boolean, default=False)
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    park: Mapped[Park | None] = relationship()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("workers_count >= 0", name="workers_nonneg"),
        Index("ix_cases_org_status", "organisation_id", "status"),
        # implied by the unique number; kept because SQLite cannot drop it without rebuilding the table
        UniqueConstraint("organisation_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique in the whole installation (the organisations' prefixes are unique).
    number: Mapped[str] = mapped_column(String(64), index=True, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(32))
    #: True when the application was made orally and recorded on the spot (LDMAL art. 12).
    oral_application: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(32), index=True)
    workflow_version: Mapped[str] = mapped_column(String(16))
    rules_version: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    lead_mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    workers_count: Mapped[int] = mapped_column(Integer, default=1)
    is_collective: Mapped[bool] = mapped_column(Boolean, default=False)
    facts: Mapped[str] = mapped_column(Text, default="")
    requests: Mapped[str] = mapped_column(Text, default="")
    #: The other party agreed to mediation (acceptance requires it: PML art. 17).
    respondent_consents: Mapped[bool | None] = mapped_column(Boolean)
    #: Day the party knew or should have known of the infringement (LDMAL art. 27 limitation).
    dispute_arose_on: Mapped[dt.date | None] = mapped_column(Date)
    reported_on: Mapped[dt.date] = mapped_column(Date)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    agreed_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[dt.datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(String(32))
    #: LDMAL art. 7: the workers' common claim (a collective dispute is ten or more workers *with* one).
    common_claim: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: LDMAL art. 27(4): the worker is still employed (pay arrears run no limitation during employment) and,
    #: once known, the day the employment ended (the year then runs from it).
    employment_ongoing: Mapped[bool | None] = mapped_column(Boolean)
    employment_ended_on: Mapped[dt.date | None] = mapped_column(Date)
    #: LDMAL art. 27(3): the limitation is suspended since this day (None: running); the days it stood still.
    limitation_suspended_on: Mapped[dt.date | None] = mapped_column(Date)
    limitation_suspended_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Sequence number of the last event row (the case row is locked/versioned, so seq = this + 1).
    last_event_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    organisation: Mapped[Organisation] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
    lead_mediator: Mapped[User | None] = relationship()
    parties: Mapped[list[Party]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Party.id"
    )
    claims: Mapped[list[Claim]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Claim.id"
    )
    sessions: Mapped[list[MediationSession]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="MediationSession.started_at"
    )
    deadlines: Mapped[list[Deadline]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Deadline.id"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.seq"
    )
    agreements: Mapped[list[Agreement]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Agreement.id"
    )

    def parties_with_role(self, role: str) -> list[Party]:
        return [p for p in self.parties if p.role == role]

    @property
    def current_agreement(self) -> Agreement | None:
        return self.agreements[-1] if self.agreements else None

    @property
    def claimed_total(self) -> Decimal:
        return sum((c.amount or Decimal("0") for c in self.claims), Decimal("0"))


class Party(Base):
    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    gender: Mapped[str | None] = mapped_column(String(8))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(16))
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(32))
    #: Optional; notices to the party go there too (:mod:`mediation.notify`).
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(255))
    #: Worker: job, hire date and the like; employer: nothing.
    job_title: Mapped[str | None] = mapped_column(String(64))
    hired_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Employer only.
    uscc: Mapped[str | None] = mapped_column(String(18))
    legal_representative: Mapped[str | None] = mapped_column(String(64))
    #: Agents and representatives: whom they act for.
    represents_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    agent_kind: Mapped[str | None] = mapped_column(String(32))
    #: Representatives of a collective dispute: the workers' special authorisation to agree on their behalf
    #: (checked before an agreement is signed) and what it covers.
    authorised_to_sign: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    authorisation_scope: Mapped[str | None] = mapped_column(Text)
    #: Set when the retention policy anonymised the party's particulars (mediation.privacy.retention).
    anonymised_at: Mapped[dt.datetime | None] = mapped_column()

    case: Mapped[Case] = relationship(back_populates="parties")


class Claim(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    claim_type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal | None] = mapped_column()

    case: Mapped[Case] = relationship(back_populates="claims")


class MediationSession(Base):
    """One hearing (LDMAL art. 13) with its record (调解笔录)."""

    __tablename__ = "mediation_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column()
    ended_at: Mapped[dt.datetime | None] = mapped_column()
    place: Mapped[str] = mapped_column(String(200))
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorder: Mapped[str] = mapped_column(String(64), default="")
    attendees: Mapped[list[Any]] = mapped_column(default=list)
    record: Mapped[str] = mapped_column(Text, default="")
    signed_by_all: Mapped[bool] = mapped_column(Boolean, default=False)

    case: Mapped[Case] = relationship(back_populates="sessions")
    mediator: Mapped[User | None] = relationship()


class Deadline(Base):
    """A statutory or agreed time limit, as a row (never an in-memory timer)."""

    __tablename__ = "deadlines"
    __table_args__ = (Index("ix_deadlines_status_due", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    anchor_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    #: The computation touched a year without holiday data: shown as provisional.
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    rules_version: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(200), default="")
    obligation_id: Mapped[int | None] = mapped_column(ForeignKey("obligations.id", ondelete="CASCADE"))
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)
    overdue_recorded_at: Mapped[dt.datetime | None] = mapped_column()

    case: Mapped[Case] = relationship(back_populates="deadlines")
    obligation: Mapped[Obligation | None] = relationship()


class DeadlineChange(Base):
    """Audit of an explicit recompute: old and new dates and why."""

    __tablename__ = "deadline_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"), index=True)
    batch: Mapped[str] = mapped_column(String(64), index=True)
    old_due_on: Mapped[dt.date] = mapped_column(Date)
    new_due_on: Mapped[dt.date] = mapped_column(Date)
    old_provisional: Mapped[bool] = mapped_column(Boolean)
    new_provisional: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(255))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CalendarDay(Base):
    """Override table for the working-day calendar (e.g. next year's State Council schedule)."""

    __tablename__ = "calendar_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    is_holiday: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(64), default="")


class CalendarYear(Base):
    """A year whose override rows are a complete official schedule."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(255))
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseEvent(Base):
    """Append-only case history. The case's status always equals the last event's ``to_state``."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(48))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Agreement(Base):
    """A signed mediation agreement (调解协议书) or negotiated settlement (和解协议)."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    signed_on: Mapped[dt.date] = mapped_column(Date)
    terms: Mapped[str] = mapped_column(Text)
    performance_method: Mapped[str] = mapped_column(String(200), default="")
    performance_place: Mapped[str] = mapped_column(String(200), default="")
    total_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    review_requested_on: Mapped[dt.date | None] = mapped_column(Date)
    review_kind: Mapped[str | None] = mapped_column(String(32))

    case: Mapped[Case] = relationship(back_populates="agreements")
    obligations: Mapped[list[Obligation]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="Obligation.due_on"
    )


class Obligation(Base):
    """One agreed performance (an instalment), with its amount and due date."""

    __tablename__ = "obligations"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_nonneg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    obligor: Mapped[str] = mapped_column(String(16), default="employer")
    claim_type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(255))
    amount: Mapped[Decimal] = mapped_column()
    due_on: Mapped[dt.date] = mapped_column(Date)
    performed_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    #: Collective agreements: the worker this amount is owed to (per-worker amounts).
    beneficiary: Mapped[str | None] = mapped_column(String(200))

    agreement: Mapped[Agreement] = relationship(back_populates="obligations")
    records: Mapped[list[PerformanceRecord]] = relationship(
        back_populates="obligation", cascade="all, delete-orphan", order_by="PerformanceRecord.id"
    )

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.performed_amount, Decimal("0"))


class PerformanceRecord(Base):
    """Proof of payment/performance recorded against an obligation."""

    __tablename__ = "performance_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id", ondelete="CASCADE"), index=True)
    performed_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column()
    proof: Mapped[str] = mapped_column(String(255))
    #: Who paid and who received (the obligor and the other side by default; a payment by a third party, e.g.
    #: the general contractor for a subcontractor's wages, names it).
    payer: Mapped[str] = mapped_column(String(100), default="")
    payee: Mapped[str] = mapped_column(String(100), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    obligation: Mapped[Obligation] = relationship(back_populates="records")
    recorded_by: Mapped[User | None] = relationship()
    files: Mapped[list[PaymentProof]] = relationship(back_populates="record", order_by="PaymentProof.id")


class PaymentProof(Base):
    """An uploaded proof of a payment (bank slip, receipt: PDF, JPEG or PNG, checked by content): the bytes in the
    blob store under their SHA-256, the row here. Stored with the payment it proves, in the same unit of work."""

    __tablename__ = "payment_proofs"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("performance_records.id", ondelete="CASCADE"),
                                                  index=True)
    #: The name the file had on the uploader's computer (cleaned; shown and offered on download).
    filename: Mapped[str] = mapped_column(String(200))
    #: Decided from the bytes, never from the upload's headers.
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    blob_key: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    record: Mapped[PerformanceRecord | None] = relationship(back_populates="files")


class CaseNumberCounter(Base):
    """Gap-free case numbers per organisation and year."""

    __tablename__ = "case_number_counters"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


@event.listens_for(CaseEvent, "before_update")
@event.listens_for(CaseEvent, "before_delete")
def _events_are_append_only(_mapper: Mapper[Any], _conn: Any, target: CaseEvent) -> None:
    raise RuntimeError(f"case events are append-only (event {target.id} of case {target.case_id})")
