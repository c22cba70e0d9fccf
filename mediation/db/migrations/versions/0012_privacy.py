"""privacy: retention policies as data, legal holds, the privacy audit trail, anonymised parties

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 18:30:00

Default policies: the parties' names, identity numbers, phones, addresses, birth dates (and an employer's legal
representative) are anonymised 10 years after the case is archived (closed); generated documents are kept as
the archive rules require (30 years), every download logged. Both are rows, changed with
``mediation privacy policy set``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    policies = op.create_table(
        "retention_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("years_after_archive", sa.Integer(), nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_policies")),
        sa.UniqueConstraint("subject", name=op.f("uq_retention_policies_subject")),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=64), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_legal_holds_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_index(op.f("ix_legal_holds_case_id"), "legal_holds", ["case_id"], unique=False)
    op.create_table(
        "privacy_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("subject_hash", sa.String(length=64), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_privacy_audit_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_audit")),
    )
    op.create_index(op.f("ix_privacy_audit_action"), "privacy_audit", ["action"], unique=False)
    op.create_index(op.f("ix_privacy_audit_at"), "privacy_audit", ["at"], unique=False)
    op.create_index(op.f("ix_privacy_audit_case_id"), "privacy_audit", ["case_id"], unique=False)
    op.create_index(op.f("ix_privacy_audit_subject_hash"), "privacy_audit", ["subject_hash"], unique=False)
    op.add_column("parties", sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        # The history stays append-only; the one exception is the retention purge replacing the names in party
        # events, inside its own transaction (set_config('mediation.anonymise', 'on', true)), payload only.
        op.execute(ALLOW_ANONYMISING)

    now = dt.datetime.now(dt.UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(policies, [
        {"subject": "parties", "action": "anonymise", "years_after_archive": 10,
         "fields": ["name", "id_number", "phone", "address", "birth_date", "legal_representative"],
         "active": True, "updated_at": now,
         "note": "结案归档满10年后，匿名化当事人（自然人）的姓名、身份证号码、电话、住址、出生日期及用人单位法定代表人姓名；"
                 "案件、请求与统计数据保留。"},
        {"subject": "documents", "action": "keep", "years_after_archive": 30, "fields": [], "active": True,
         "updated_at": now,
         "note": "文书按档案管理规定保存（30年），不自动删除；每次下载均记入个人信息访问记录。"},
    ])


ALLOW_ANONYMISING = """
CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('mediation.anonymise', true) = 'on'
       AND NEW.id = OLD.id AND NEW.case_id = OLD.case_id AND NEW.seq = OLD.seq AND NEW.event = OLD.event
       AND NEW.at = OLD.at AND NEW.to_state = OLD.to_state THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'case_events is append-only';
END $$;
"""

STRICT = """
CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_events is append-only';
END $$;
"""


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(STRICT)
    op.drop_column("parties", "anonymised_at")
    op.drop_index(op.f("ix_privacy_audit_subject_hash"), table_name="privacy_audit")
    op.drop_index(op.f("ix_privacy_audit_case_id"), table_name="privacy_audit")
    op.drop_index(op.f("ix_privacy_audit_at"), table_name="privacy_audit")
    op.drop_index(op.f("ix_privacy_audit_action"), table_name="privacy_audit")
    op.drop_table("privacy_audit")
    op.drop_index(op.f("ix_legal_holds_case_id"), table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_table("retention_policies")
