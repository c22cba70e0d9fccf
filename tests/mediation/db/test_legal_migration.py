"""The legal corrections' migration (legal_0001) keeps the data: open deadline rows stored with the old
unconfirmed basis cite the confirmed article after the upgrade, and back again on a downgrade; a case and its
parties survive the round trip (no table copy that would cascade)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from mediation.db import migrate
from mediation.db.models import Case, Deadline, Party
from tests.factories import build_world, new_case

OLD = "《企业劳动争议协商调解规定》（待核实）"


def test_the_migration_rewrites_the_old_basis_and_keeps_the_rows(committing_engine: Engine) -> None:
    engine = committing_engine
    with Session(engine, expire_on_commit=False) as s:
        world = build_world(s)
        case = new_case(s, world, dt.date(2025, 9, 28), workers_count=12)
        s.commit()
        case_id, parties = case.id, len(case.parties)
    migrate.downgrade(engine, "legal_0001-1")
    with engine.begin() as conn:
        rows = dict(conn.execute(text("SELECT kind, basis FROM deadlines WHERE case_id = :c AND kind = 'acceptance'"),
                                 {"c": case_id}).all())
        assert rows == {"acceptance": OLD}  # the downgrade restores the text the old code expects
        conn.execute(text("UPDATE deadlines SET basis = :b WHERE case_id = :c AND kind = 'collective_report'"),
                     {"b": "地方工作惯例（待核实）", "c": case_id})
    migrate.upgrade(engine)
    with Session(engine) as s:
        basis = dict(s.execute(select(Deadline.kind, Deadline.basis).where(Deadline.case_id == case_id)).all())
        assert basis["acceptance"] == "《企业劳动争议协商调解规定》第二十二条"
        assert basis["collective_report"] == "本会集体争议报告规则（依地方应急预案）"
        migrated = s.get(Case, case_id)
        assert migrated is not None and migrated.common_claim == "" and migrated.limitation_suspended_days == 0
        assert len(s.scalars(select(Party).where(Party.case_id == case_id)).all()) == parties
        assert all(p.authorised_to_sign is False for p in migrated.parties)
        assert migrated.organisation.collective_reps_practice is True
        assert migrated.organisation.extension_cap_days is None
