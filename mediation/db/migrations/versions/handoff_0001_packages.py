"""hand-off packages: the referral file and the joint review/confirmation file of a case (ZIP + merged PDF in the
blob store), its dispatch and the outcome that came back

Revision ID: handoff_0001
Revises: 0041
Create Date: 2026-12-05 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "handoff_0001"
down_revision: str | Sequence[str] | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    op.create_table(
        "handoff_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("deadline_on", sa.Date(), nullable=True),
        sa.Column("addressee", sa.String(length=200), nullable=False),
        sa.Column("zip_key", sa.String(length=160), nullable=True),
        sa.Column("zip_sha256", sa.String(length=64), nullable=True),
        sa.Column("zip_size", sa.Integer(), nullable=True),
        sa.Column("pdf_key", sa.String(length=160), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_size", sa.Integer(), nullable=True),
        sa.Column("pdf_pages", sa.Integer(), nullable=True),
        sa.Column("manifest", json_type, nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_to", sa.String(length=200), nullable=True),
        sa.Column("dispatch_method", sa.String(length=32), nullable=True),
        sa.Column("dispatched_on", sa.Date(), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("dispatched_by_id", sa.Integer(), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_number", sa.String(length=64), nullable=True),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("outcome_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_handoff_packages_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_handoff_packages_created_by_id_users")),
        sa.ForeignKeyConstraint(["dispatched_by_id"], ["users.id"],
                                name=op.f("fk_handoff_packages_dispatched_by_id_users")),
        sa.ForeignKeyConstraint(["outcome_by_id"], ["users.id"],
                                name=op.f("fk_handoff_packages_outcome_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_packages")),
    )
    op.create_index(op.f("ix_handoff_packages_case_id"), "handoff_packages", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_handoff_packages_case_id"), table_name="handoff_packages")
    op.drop_table("handoff_packages")
