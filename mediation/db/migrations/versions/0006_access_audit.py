"""access: personal-data reads of risk-signal reporters; audit of user administration

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-26 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
#: ``personal_data_access.signal_id`` refers to ``risk_signals`` (the risk branch).
depends_on: str | Sequence[str] | None = "0004"


def upgrade() -> None:
    with op.batch_alter_table("personal_data_access", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("signal_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_personal_data_access_signal_id_risk_signals"), "risk_signals",
                                    ["signal_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_personal_data_access_signal_id"), ["signal_id"], unique=False)

    op.create_table(
        "user_admin_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("details", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_user_admin_events_actor_id_users")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_admin_events_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_admin_events")),
    )
    with op.batch_alter_table("user_admin_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_admin_events_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_admin_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_admin_events_user_id"))
    op.drop_table("user_admin_events")

    op.execute("DELETE FROM personal_data_access WHERE case_id IS NULL")
    with op.batch_alter_table("personal_data_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_data_access_signal_id"))
        batch_op.drop_constraint(batch_op.f("fk_personal_data_access_signal_id_risk_signals"), type_="foreignkey")
        batch_op.drop_column("signal_id")
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
