"""Test databases: the whole suite runs on SQLite or on PostgreSQL (``MEDIATION_TEST_DB``).

One database per test process, migrated with Alembic to head; every test runs inside an outer
transaction with ``join_transaction_mode="create_savepoint"`` (the services' own commits release
savepoints) and is rolled back afterwards. Tests that need real commits across connections use the
``committing_engine`` fixture, which truncates its tables afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from documents.producer import PdfProducer, default_producer
from mediation.db import migrate, registry  # noqa: F401
from mediation.db.base import Base
from mediation.db.engine import make_engine
from mediation.runtime.env import invalidate_calendar_cache
from tests.pgdb import drop_database, recreate_database

pytest_plugins = ["tests.fixtures"]

BACKEND = os.environ.get("MEDIATION_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("MEDIATION_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
#: Database names are ``<prefix>_<label>_<worker>``; a second checkout testing at the same time sets its own prefix.
PG_PREFIX = os.environ.get("MEDIATION_TEST_PG_PREFIX", "mediation_test")


#: The queue's own tables (PostgreSQL only; created by migration 0040 from procrastinate's schema).
PROCRASTINATE_TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs",
                        "procrastinate_workers")


def pytest_report_header() -> str:
    return f"mediation test database backend: {BACKEND}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND == "postgresql":
        return
    skip = pytest.mark.skip(reason="SKIPPED ON SQLITE: needs PostgreSQL (runs in the PostgreSQL pass)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pg_create(name: str) -> str:
    return recreate_database(PG_ADMIN_URL, name)


def _pg_drop(name: str) -> None:
    drop_database(PG_ADMIN_URL, name)


def _new_database(tmp: Path, label: str) -> tuple[str, str | None]:
    if BACKEND == "postgresql":
        name = f"{PG_PREFIX}_{label}_{_worker()}"
        return _pg_create(name), name
    return f"sqlite:///{tmp / f'{label}.sqlite3'}", None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, name = _new_database(tmp_path_factory.mktemp("db"), "main")
    yield url
    if name:
        _pg_drop(name)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    conn = engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        invalidate_calendar_cache()  # override rows written by a test are rolled back
        session.close()
        outer.rollback()
        conn.close()


@pytest.fixture(scope="session")
def _committing_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url, name = _new_database(tmp_path_factory.mktemp("cdb"), "commit")
    eng = make_engine(url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
    if name:
        _pg_drop(name)


@pytest.fixture
def committing_engine(_committing_engine: Engine) -> Iterator[Engine]:
    """An engine whose commits are real (for concurrency tests); emptied afterwards."""
    yield _committing_engine
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with _committing_engine.begin() as conn:
        if _committing_engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join([*tables, *PROCRASTINATE_TABLES]) + " RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(text(f"DELETE FROM {t}"))


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def producer() -> PdfProducer:
    """Transitions produce their documents (as in the running application): the ``env`` fixture (and so the
    world's factories) includes this producer when a test asks for it; API tests get the one their app wires."""
    return default_producer()
