"""Alembic migrations upgrade, downgrade and upgrade again on the pass's database, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from mediation.db import migrate
from mediation.db.base import Base


def _tables(engine: Engine) -> set[str]:
    """The engine's tables (procrastinate's own, PostgreSQL only, are checked apart)."""
    return {t for t in inspect(engine).get_table_names() if not t.startswith("procrastinate_")} - {"alembic_version"}


def _queue_tables(engine: Engine) -> set[str]:
    return {t for t in inspect(engine).get_table_names() if t.startswith("procrastinate_")}


def test_round_trip(committing_engine: Engine) -> None:
    engine = committing_engine
    expected = {t.name for t in Base.metadata.sorted_tables}
    assert _tables(engine) == expected
    queue = {"procrastinate_jobs", "procrastinate_events", "procrastinate_periodic_defers", "procrastinate_workers"}
    assert _queue_tables(engine) == (queue if engine.dialect.name == "postgresql" else set())
    migrate.downgrade(engine, "base")
    assert _tables(engine) == set() and _queue_tables(engine) == set()
    assert migrate.current(engine) is None
    migrate.upgrade(engine)
    assert _tables(engine) == expected
    assert _queue_tables(engine) == (queue if engine.dialect.name == "postgresql" else set())


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    # Dialect-only objects created by hand in migrations are not in the models.
    diff = [d for d in diff if not (d[0] == "remove_index" and d[1].name == "ix_organisations_path_prefix")]
    # procrastinate's schema (PostgreSQL) is its own, not modelled here
    ours = ("procrastinate", "idx_procrastinate")
    diff = [d for d in diff
            if not (d[0] in ("remove_table", "remove_index") and (getattr(d[1], "name", "") or "").startswith(ours))]
    assert diff == [], diff
