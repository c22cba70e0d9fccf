"""queue: procrastinate's schema (PostgreSQL only), configuration versions, periodic-run claims, a unique key
for risk alerts; merges the three heads

Revision ID: 0040
Revises: 0003, 0005, 0006
Create Date: 2026-11-27 10:00:00

Procrastinate's schema is its own ``sql/schema.sql`` of the pinned version (3.10.0); a later version of the
library brings its migration files (``procrastinate/sql/migrations``), applied by a revision of ours.
"""

from collections.abc import Sequence
from importlib import resources

import sqlalchemy as sa
from alembic import op

revision: str = "0040"
down_revision: str | Sequence[str] | None = ("0003", "0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCRASTINATE_DROP = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DROP FUNCTION IF EXISTS procrastinate_defer_jobs_v1, procrastinate_defer_periodic_job_v2,
    procrastinate_fetch_job_v2, procrastinate_finish_job_v1, procrastinate_cancel_job_v1,
    procrastinate_retry_job_v1, procrastinate_retry_job_v2, procrastinate_notify_queue_job_inserted_v1,
    procrastinate_notify_queue_abort_job_v1, procrastinate_trigger_function_status_events_insert_v1,
    procrastinate_trigger_function_status_events_update_v1, procrastinate_trigger_function_scheduled_events_v1,
    procrastinate_trigger_abort_requested_events_procedure_v1, procrastinate_unlink_periodic_defers_v1,
    procrastinate_register_worker_v1, procrastinate_unregister_worker_v1, procrastinate_update_heartbeat_v1,
    procrastinate_prune_stalled_workers_v1 CASCADE;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, procrastinate_job_status CASCADE;
"""


def _driver_execute(sql: str) -> None:
    """Run a multi-statement script as it is (no parameter parsing: the script has ``%`` and ``:``)."""
    op.get_bind().connection.driver_connection.execute(sql)  # type: ignore[union-attr]


def upgrade() -> None:
    op.create_table(
        "config_versions",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_config_versions")),
    )
    op.create_table(
        "periodic_runs",
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", "period", name=op.f("pk_periodic_runs")),
    )
    with op.batch_alter_table("risk_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=96), nullable=True))
    # existing collective alerts: the first per case keeps the key (a duplicate raised by a race keeps none)
    op.execute("UPDATE risk_alerts SET dedupe_key = 'collective:' || case_id WHERE kind = 'collective_dispute' "
               "AND id IN (SELECT min(id) FROM risk_alerts WHERE kind = 'collective_dispute' GROUP BY case_id)")
    with op.batch_alter_table("risk_alerts", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_risk_alerts_dedupe_key"), ["dedupe_key"])

    if op.get_bind().dialect.name == "postgresql":
        _driver_execute(resources.files("procrastinate.sql").joinpath("schema.sql").read_text())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _driver_execute(PROCRASTINATE_DROP)
    with op.batch_alter_table("risk_alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_risk_alerts_dedupe_key"), type_="unique")
        batch_op.drop_column("dedupe_key")
    op.drop_table("periodic_runs")
    op.drop_table("config_versions")
