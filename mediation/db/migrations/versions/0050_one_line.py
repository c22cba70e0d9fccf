"""one head: joins the migration branches (security sessions, legal corrections, notifications, the fact deltas,
the access audit's client column, the payment ledger); no change of schema

Revision ID: 0050
Revises: 0010, legal_0001, notify_0001, queue_0001, sec_0001, ux_0001
Create Date: 2026-12-05 08:30:00
"""

from collections.abc import Sequence

revision: str = "0050"
down_revision: str | Sequence[str] | None = ("0010", "legal_0001", "notify_0001", "queue_0001", "sec_0001", "ux_0001")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
