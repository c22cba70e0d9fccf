"""Operational tables: configuration versions (what every process caches is checked against them) and the
claims of periodic runs (a daily job runs once per China date, however many workers are up)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db.base import Base, utcnow


class ConfigVersion(Base):
    """A counter per kind of cached configuration (``calendar``…), bumped in the transaction that changes it.

    A process keeps its cache while the row's version is the one it loaded; every process reads the row (one
    primary-key lookup) before it uses the cache, so a change made on one node is seen by all at once."""

    __tablename__ = "config_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PeriodicRun(Base):
    """One run of a periodic job for one period (``daily`` × the China date): the first claimant runs it."""

    __tablename__ = "periodic_runs"

    name: Mapped[str] = mapped_column(String(48), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The queue job that claimed the period (a retry of the same job may take it up again).
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    summary: Mapped[str] = mapped_column(Text, default="")


def bump_config_version(session: object, name: str) -> None:
    """Count one change of ``name`` in the caller's transaction (every process reloads its cache of it)."""
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    table = ConfigVersion.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(table).values(name=name, version=1, updated_at=utcnow())
    session.execute(stmt.on_conflict_do_update(
        index_elements=["name"], set_={"version": table.c.version + 1, "updated_at": utcnow()}))


def config_version(session: object, name: str) -> int:
    """The current version of ``name`` (0: never changed)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    return session.scalar(select(ConfigVersion.version).where(ConfigVersion.name == name)) or 0
