"""Gap-free numbers per organisation, year and kind, safe under concurrency.

One counter row per (organisation, year, kind), incremented with ``UPDATE … RETURNING`` inside the
caller's transaction: PostgreSQL's row lock (and SQLite's single writer) serialise allocations, and a
rolled-back transaction gives its number back, so there are no gaps.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mediation.db.models import CaseNumberCounter

CASE_NUMBER_PATTERN = "（{year}）{prefix}劳调字第{n}号"


def next_number(session: Session, *, organisation_id: int, year: int, kind: str) -> int:
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CaseNumberCounter)
    session.execute(
        ins.values(organisation_id=organisation_id, year=year, kind=kind, last=0).on_conflict_do_nothing()
    )
    stmt = (
        update(CaseNumberCounter)
        .where(
            CaseNumberCounter.organisation_id == organisation_id,
            CaseNumberCounter.year == year,
            CaseNumberCounter.kind == kind,
        )
        .values(last=CaseNumberCounter.last + 1)
        .returning(CaseNumberCounter.last)
    )
    return int(session.execute(stmt).scalar_one())


def format_case_number(*, prefix: str, year: int, n: int) -> str:
    return CASE_NUMBER_PATTERN.format(prefix=prefix, year=year, n=n)
