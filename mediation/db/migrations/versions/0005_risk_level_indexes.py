"""risk: index the enterprise counters by warning level (the map of warning enterprises per region)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 04:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_ent_stats_province_level", "enterprise_scope_stats",
                    ["scope_id", "province", "risk_level", "city"])
    op.create_index("ix_ent_stats_city_level", "enterprise_scope_stats", ["scope_id", "city", "risk_level", "county"])


def downgrade() -> None:
    op.drop_index("ix_ent_stats_city_level", table_name="enterprise_scope_stats")
    op.drop_index("ix_ent_stats_province_level", table_name="enterprise_scope_stats")
