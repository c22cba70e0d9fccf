"""queue: risk fact deltas — a case event writes its own delta, a periodic job folds them into the rollups

Revision ID: queue_0001
Revises: 0041
Create Date: 2026-12-05 07:00:00

Rollups and counters stop being written by the transaction of every case event (shared rows per province and
month, which serialised transitions and deadlocked with the case lock); the event inserts one row here and the
fold (``mediation.risk.fold``) adds it to the rollups and deletes it. Nothing to convert: existing rollups are
exact, and there is no delta yet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "queue_0001"
down_revision: str | Sequence[str] | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_fact_deltas",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_fact_deltas")),
    )


def downgrade() -> None:
    # deltas not folded yet are lost with the table: fold them first (``mediation risk fold``)
    op.drop_table("risk_fact_deltas")
