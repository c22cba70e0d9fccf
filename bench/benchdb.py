"""The benchmarks' PostgreSQL databases: each benchmark drops and recreates its own, by name."""

from __future__ import annotations

from sqlalchemy import Engine, text

from mediation.db.engine import make_engine

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_url(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def fresh_pg_database(name: str) -> Engine:
    """Drop the database ``name`` (closing its connections) and create it empty; an engine on it."""
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_engine(pg_url(name))
