"""payment ledger: who paid and who received each payment, and its uploaded proof files (in the blob store)

Revision ID: ux_0001
Revises: 0041
Create Date: 2026-12-05 07:00:00

Existing payments get an empty payer and payee (the page then names the obligation's obligor and the other side).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ux_0001"
down_revision: str | Sequence[str] | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("performance_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payer", sa.String(length=100), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("payee", sa.String(length=100), nullable=False, server_default=""))
    op.create_table(
        "payment_proofs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("blob_key", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_payment_proofs_case_id_cases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["record_id"], ["performance_records.id"],
                                name=op.f("fk_payment_proofs_record_id_performance_records"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_payment_proofs_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_proofs")),
    )
    with op.batch_alter_table("payment_proofs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_proofs_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_proofs_record_id"), ["record_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment_proofs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_proofs_record_id"))
        batch_op.drop_index(batch_op.f("ix_payment_proofs_case_id"))
    op.drop_table("payment_proofs")
    with op.batch_alter_table("performance_records", schema=None) as batch_op:
        batch_op.drop_column("payee")
        batch_op.drop_column("payer")
