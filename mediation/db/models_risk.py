"""Early detection and warning (早发现、早介入、早报告) and the supervisors' hotspot picture.

Base data: risk signals, versioned scoring rules, each enterprise's current level, every level change,
alerts. Derived data (the facts kept consistent with the base tables inside the same transaction by the case
observer in :mod:`mediation.risk.observer`, the rollups and counters by the fold of its deltas in
:mod:`mediation.risk.fold`; rebuilt in bulk by :mod:`mediation.risk.maintenance`):

- ``risk_case_facts``: one narrow row per case — the projection every hotspot figure is computed from;
- ``risk_rollups``: those facts summed by (scope organisation, dimension, time bucket);
- ``enterprise_scope_stats``: current counters per (scope organisation, enterprise), for rankings.

Money in derived tables is integer cents (exact sums on SQLite too). Scope id 0 is the whole
installation; other scope ids are organisations at a rollup level (province, city).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediation.db.base import Base, utcnow
from mediation.db.models import Case, Enterprise, Organisation


class RiskRuleSet(Base):
    """A version of the scoring rules (indicator weights, level thresholds, floors) kept as data."""

    __tablename__ = "risk_rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    #: ``draft``, ``active`` (exactly one) or ``retired``.
    status: Mapped[str] = mapped_column(String(16), index=True)
    rules: Mapped[dict[str, Any]] = mapped_column()
    note: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[dt.datetime | None] = mapped_column()
    activated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RiskSignal(Base):
    """One piece of early-detection intelligence about an enterprise (screening visit, 12351 call, …)."""

    __tablename__ = "risk_signals"
    __table_args__ = (
        Index("ix_risk_signals_enterprise_observed", "enterprise_id", "observed_at"),
        Index("ix_risk_signals_org_observed", "organisation_id", "observed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    #: The organisation that received the signal: its supervisors (and those above) see it.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    source: Mapped[str] = mapped_column(String(32))
    #: When the risk was found (the start of "early" measurement).
    observed_at: Mapped[dt.datetime] = mapped_column()
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reporter_name: Mapped[str] = mapped_column(String(64), default="")
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    workers_affected: Mapped[int] = mapped_column(Integer, default=0)
    # --- indicators (None = not reported) ---
    wage_arrears_months: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    wage_arrears_amount: Mapped[Decimal | None] = mapped_column()
    social_insurance_unpaid_months: Mapped[int | None] = mapped_column(Integer)
    planned_layoffs: Mapped[int | None] = mapped_column(Integer)
    relocation: Mapped[bool] = mapped_column(Boolean, default=False)
    closure: Mapped[bool] = mapped_column(Boolean, default=False)
    merger: Mapped[bool] = mapped_column(Boolean, default=False)
    excessive_overtime: Mapped[bool] = mapped_column(Boolean, default=False)
    no_union: Mapped[bool] = mapped_column(Boolean, default=False)
    no_collective_agreement: Mapped[bool] = mapped_column(Boolean, default=False)
    prior_disputes: Mapped[int | None] = mapped_column(Integer)
    #: ``open``, ``converted`` (linked to a case), ``resolved`` or ``dismissed`` (unfounded).
    status: Mapped[str] = mapped_column(String(16), default="open")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    resolution_note: Mapped[str] = mapped_column(Text, default="")

    enterprise: Mapped[Enterprise] = relationship()
    organisation: Mapped[Organisation] = relationship()
    case: Mapped[Case | None] = relationship()


class EnterpriseRisk(Base):
    """An enterprise's current warning level with the explanation that put it there."""

    __tablename__ = "enterprise_risk"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    #: ``none``, ``blue``, ``yellow``, ``orange`` or ``red``.
    level: Mapped[str] = mapped_column(String(8), index=True)
    score: Mapped[int] = mapped_column(Integer, default=0)
    rule_set_version: Mapped[int] = mapped_column(Integer)
    indicators: Mapped[dict[str, Any]] = mapped_column(default=dict)
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    level_since: Mapped[dt.datetime] = mapped_column(default=utcnow)

    enterprise: Mapped[Enterprise] = relationship()


class EnterpriseRiskChange(Base):
    """Every level change, with what caused it (append-only)."""

    __tablename__ = "enterprise_risk_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    from_level: Mapped[str] = mapped_column(String(8))
    to_level: Mapped[str] = mapped_column(String(8))
    from_score: Mapped[int] = mapped_column(Integer)
    to_score: Mapped[int] = mapped_column(Integer)
    rule_set_version: Mapped[int] = mapped_column(Integer)
    #: ``signal``, ``signal_resolved``, ``case_event``, ``rules_changed`` or ``rescore``.
    reason: Mapped[str] = mapped_column(String(32))
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("risk_signals.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RiskAlert(Base):
    """A warning for the supervisors of a subtree: a rise to orange/red, or a collective dispute."""

    __tablename__ = "risk_alerts"
    __table_args__ = (Index("ix_risk_alerts_org_status", "organisation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What makes the alert one of a kind (``collective:<case>``, ``level:<enterprise>:<from>-<to>:<China date>``):
    #: unique, so the same alert is never raised twice, however many workers rescore at the same time.
    dedupe_key: Mapped[str | None] = mapped_column(String(96), unique=True)
    #: ``level_raised`` or ``collective_dispute``.
    kind: Mapped[str] = mapped_column(String(32))
    #: ``open``, ``acknowledged``, ``reported`` or ``closed``.
    status: Mapped[str] = mapped_column(String(16), default="open")
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("risk_signals.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    level: Mapped[str] = mapped_column(String(8))
    previous_level: Mapped[str] = mapped_column(String(8), default="none")
    score: Mapped[int] = mapped_column(Integer, default=0)
    workers: Mapped[int] = mapped_column(Integer, default=0)
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The reporting deadline of the escalation path (早报告).
    report_due_on: Mapped[dt.date] = mapped_column(Date)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column()
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[dt.datetime | None] = mapped_column()
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Measures taken (措施), written when reporting.
    actions: Mapped[str] = mapped_column(Text, default="")
    rule_set_version: Mapped[int] = mapped_column(Integer)
    #: Indicators and explanation at the time of the alert (the early-warning report's facts).
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)

    enterprise: Mapped[Enterprise | None] = relationship()
    organisation: Mapped[Organisation] = relationship()
    case: Mapped[Case | None] = relationship()


class RiskCaseFacts(Base):
    """Derived: one row per case with every hotspot dimension and measure (see mediation.risk.facts)."""

    __tablename__ = "risk_case_facts"
    __table_args__ = (
        Index("ix_risk_case_facts_org_month", "organisation_id", "month"),
        Index("ix_risk_case_facts_scope_p_month", "scope_p", "month"),
        Index("ix_risk_case_facts_scope_c_month", "scope_c", "month"),
        Index("ix_risk_case_facts_county_month", "county", "month"),
        Index("ix_risk_case_facts_park_month", "park_id", "month"),
        Index("ix_risk_case_facts_enterprise_month", "enterprise_id", "month"),
        # early-intervention times look only at cases that began as signals
        Index("ix_risk_case_facts_first_signal", "first_signal_at"),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    organisation_id: Mapped[int] = mapped_column(Integer)
    #: Rollup scopes above the case: its province- and city-level organisations (0 = none).
    scope_p: Mapped[int] = mapped_column(Integer, default=0)
    scope_c: Mapped[int] = mapped_column(Integer, default=0)
    enterprise_id: Mapped[int | None] = mapped_column(Integer)
    reported_on: Mapped[dt.date] = mapped_column(Date)
    month: Mapped[dt.date] = mapped_column(Date)
    week: Mapped[dt.date] = mapped_column(Date)
    province: Mapped[str] = mapped_column(String(6), default="")
    city: Mapped[str] = mapped_column(String(6), default="")
    county: Mapped[str] = mapped_column(String(6), default="")
    park_id: Mapped[int | None] = mapped_column(Integer)
    industry: Mapped[str] = mapped_column(String(8), default="")
    ownership: Mapped[str] = mapped_column(String(32), default="")
    category: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(8), default="none")
    is_open: Mapped[bool] = mapped_column(Boolean)
    collective: Mapped[bool] = mapped_column(Boolean)
    workers: Mapped[int] = mapped_column(Integer)
    claimed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    recovered_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    #: ``agreed``, ``failed`` or '' (not concluded, or ended without mediation).
    outcome: Mapped[str] = mapped_column(String(8), default="")
    accepted: Mapped[bool] = mapped_column(Boolean)
    #: A statutory deadline (not the limitation) was recorded overdue at some point.
    overdue: Mapped[bool] = mapped_column(Boolean)
    first_signal_at: Mapped[dt.datetime | None] = mapped_column()
    accepted_at: Mapped[dt.datetime | None] = mapped_column()
    first_session_at: Mapped[dt.datetime | None] = mapped_column()
    escalated_at: Mapped[dt.datetime | None] = mapped_column()
    alert_reported_at: Mapped[dt.datetime | None] = mapped_column()


class RiskRollup(Base):
    """Derived: facts summed per (scope, dimension, grain, region key, value, bucket)."""

    __tablename__ = "risk_rollups"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012  (clustered on the key)

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    province: Mapped[str] = mapped_column(String(6), primary_key=True)
    city: Mapped[str] = mapped_column(String(6), primary_key=True)
    county: Mapped[str] = mapped_column(String(6), primary_key=True)
    value: Mapped[str] = mapped_column(String(32), primary_key=True)
    bucket: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    open_cases: Mapped[int] = mapped_column(Integer, default=0)
    collective: Mapped[int] = mapped_column(Integer, default=0)
    workers: Mapped[int] = mapped_column(BigInteger, default=0)
    claimed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    recovered_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    agreed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    overdue_open: Mapped[int] = mapped_column(Integer, default=0)


class EnterpriseScopeStats(Base):
    """Derived: current counters per (scope, enterprise), updated with every case event and signal.

    Rankings (top enterprises by open cases, by risk score) read these through an index instead of
    aggregating history.
    """

    __tablename__ = "enterprise_scope_stats"
    __table_args__ = (
        Index("ix_ent_stats_open", "scope_id", "open_cases", "enterprise_id"),
        Index("ix_ent_stats_score", "scope_id", "risk_score", "enterprise_id"),
        # the map of warning enterprises: a province's cities, a city's counties (covering)
        Index("ix_ent_stats_province_level", "scope_id", "province", "risk_level", "city"),
        Index("ix_ent_stats_city_level", "scope_id", "city", "risk_level", "county"),
        Index("ix_ent_stats_province_open", "scope_id", "province", "open_cases", "enterprise_id"),
        Index("ix_ent_stats_city_open", "scope_id", "city", "open_cases", "enterprise_id"),
        Index("ix_ent_stats_county_open", "scope_id", "county", "open_cases", "enterprise_id"),
        {"sqlite_with_rowid": False},
    )

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    enterprise_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    province: Mapped[str] = mapped_column(String(6), default="")
    city: Mapped[str] = mapped_column(String(6), default="")
    county: Mapped[str] = mapped_column(String(6), default="")
    park_id: Mapped[int | None] = mapped_column(Integer)
    total_cases: Mapped[int] = mapped_column(Integer, default=0)
    open_cases: Mapped[int] = mapped_column(Integer, default=0)
    collective_open: Mapped[int] = mapped_column(Integer, default=0)
    overdue_open: Mapped[int] = mapped_column(Integer, default=0)
    workers_open: Mapped[int] = mapped_column(Integer, default=0)
    claimed_open_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_signals: Mapped[int] = mapped_column(Integer, default=0)
    open_signals: Mapped[int] = mapped_column(Integer, default=0)
    risk_score: Mapped[int] = mapped_column(Integer, default=0)
    risk_level: Mapped[str] = mapped_column(String(8), default="none")


class RiskFactDelta(Base):
    """A change of case facts not yet folded into ``risk_rollups`` and ``enterprise_scope_stats``.

    The unit of work of a case event writes its own case's fact row and **one** delta row (an INSERT: no row
    shared with any other case); the fold (:mod:`mediation.risk.fold`, a periodic job of the workers, inline after
    the commit on SQLite) adds the deltas to the rollups and counters and deletes them in the same transaction,
    so a delta counts exactly once whatever the order, the workers or the retries.

    ``changes`` is a list of ``[sign, fact]`` (``fact`` as in :class:`mediation.risk.facts.Fact`, JSON);
    ``kind`` ``fact`` moves every dimension and counter, ``level`` only the warning-level dimensions (an
    enterprise's level changed) and the enterprise's level and score on its counters."""

    __tablename__ = "risk_fact_deltas"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), default="fact")
    case_id: Mapped[int | None] = mapped_column(Integer)
    enterprise_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[list[Any]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
