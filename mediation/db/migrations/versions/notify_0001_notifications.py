"""notifications: the outbox of messages (e-mail, SMS, in-app), staff users' channel preferences and quiet
hours, session appointments, and an optional e-mail address on parties

Revision ID: notify_0001
Revises: handoff_0001
Create Date: 2026-12-05 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notify_0001"
down_revision: str | Sequence[str] | None = "handoff_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("parties") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    op.create_table(
        "notification_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=48), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient_kind", sa.String(length=8), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=True),
        sa.Column("recipient_party_id", sa.Integer(), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_notification_messages_case_id_cases")),
        sa.ForeignKeyConstraint(["recipient_user_id"], ["users.id"],
                                name=op.f("fk_notification_messages_recipient_user_id_users")),
        sa.ForeignKeyConstraint(["recipient_party_id"], ["parties.id"], ondelete="SET NULL",
                                name=op.f("fk_notification_messages_recipient_party_id_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_messages")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_notification_messages_dedup_key")),
    )
    op.create_index(op.f("ix_notification_messages_case_id"), "notification_messages", ["case_id"])
    op.create_index("ix_notification_messages_status_due", "notification_messages", ["status", "not_before"])
    op.create_index("ix_notification_messages_user_inbox", "notification_messages",
                    ["recipient_user_id", "channel", "read_at"])
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_enabled", sa.Boolean(), nullable=False),
        sa.Column("sms_enabled", sa.Boolean(), nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_notification_preferences_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "session_appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_session_appointments_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_session_appointments_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_appointments")),
    )
    op.create_index(op.f("ix_session_appointments_case_id"), "session_appointments", ["case_id"])
    op.create_index(op.f("ix_session_appointments_starts_at"), "session_appointments", ["starts_at"])


def downgrade() -> None:
    op.drop_table("session_appointments")
    op.drop_table("notification_preferences")
    op.drop_index("ix_notification_messages_user_inbox", table_name="notification_messages")
    op.drop_index("ix_notification_messages_status_due", table_name="notification_messages")
    op.drop_index(op.f("ix_notification_messages_case_id"), table_name="notification_messages")
    op.drop_table("notification_messages")
    with op.batch_alter_table("parties") as batch:
        batch.drop_column("email")
