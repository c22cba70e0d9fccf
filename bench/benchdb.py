"""The benchmarks' PostgreSQL databases: each benchmark drops and recreates its own, by name."""

from __future__ import annotations

from sqlalchemy import Engine

from mediation.db.engine import make_engine
from tests.pgdb import recreate_database

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_url(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def fresh_pg_database(name: str) -> Engine:
    """Drop the database ``name`` (closing its connections) and create it empty; an engine on it."""
    return make_engine(recreate_database(PG_ADMIN, name))
