"""Scratch PostgreSQL databases for the tests and the benchmarks: dropped (closing their connections) and
created again by name, through the server's maintenance database."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url

from mediation.db.engine import make_engine


def drop_database(admin_url: str, name: str) -> None:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def recreate_database(admin_url: str, name: str) -> str:
    """Drop ``name`` if it exists and create it empty; its URL (on the same server as ``admin_url``)."""
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)
