"""Case and document numbers are unique in the whole installation (security item 8): organisation prefixes are
unique (new organisations get a distinguishing character), and migration 0011 dedupes existing prefixes and
renumbers only issued numbers that collide."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediation.accounts.organisations import create_organisation, prefix_candidates
from mediation.cases import service as svc
from mediation.db import migrate
from mediation.db.models import Case, Organisation
from tests.factories import application, build_world, new_case
from tests.helpers import TODAY


def test_a_second_organisation_with_the_same_prefix_gets_a_distinguishing_character(db: Session) -> None:
    a = create_organisation(db, name="众合科技劳动争议调解委员会", kind="enterprise_committee", level="enterprise",
                            doc_prefix="众合企")
    b = create_organisation(db, name="众合纺织劳动争议调解委员会", kind="enterprise_committee", level="enterprise",
                            doc_prefix="众合企")
    c = create_organisation(db, name="众合印染劳动争议调解委员会", kind="enterprise_committee", level="enterprise",
                            doc_prefix="众合企")
    assert (a.doc_prefix, b.doc_prefix, c.doc_prefix) == ("众合企", "众合企二", "众合企三")
    d = create_organisation(db, name="没有前缀的委员会", kind="enterprise_committee", level="enterprise")
    assert d.doc_prefix == "没有前缀的委员会"[:32][:16] or d.doc_prefix  # the short name, unique


def test_the_database_refuses_equal_prefixes_and_equal_case_numbers(db: Session) -> None:
    w = build_world(db)
    with pytest.raises(IntegrityError):
        with db.begin_nested():
            db.add(Organisation(name="x", kind="federation", level="city", doc_prefix=w.city.doc_prefix))
            db.flush()
    case = new_case(db, w, TODAY)
    other = new_case(db, w, TODAY)
    with pytest.raises(IntegrityError):
        with db.begin_nested():
            other.number = case.number
            db.flush()


def test_candidates_are_deterministic_and_short() -> None:
    c = prefix_candidates("一二三四五六七八九十一二三四五六七")
    assert c[0] == "一二三四五六七八九十一二三四五六" and all(len(x) <= 16 for x in c)
    assert prefix_candidates("嘉兴园")[:3] == ["嘉兴园", "嘉兴园二", "嘉兴园三"]


def test_migration_dedupes_prefixes_and_renumbers_only_colliding_numbers(committing_engine: Engine) -> None:
    engine = committing_engine
    with Session(engine, expire_on_commit=False) as s:
        w = build_world(s)
        park_a = create_organisation(s, name="嘉兴园甲工会", kind="park_union", level="park", parent=w.county,
                                     region_code="330402", doc_prefix="嘉兴园")
        park_b = create_organisation(s, name="嘉兴园乙工会", kind="park_union", level="park", parent=w.county,
                                     region_code="330402", doc_prefix="嘉兴园乙")
        s.commit()
        first = new_case(s, w, TODAY)  # township 东栅
        second = new_case(s, w, TODAY)
        third = svc.create_case(s, actor=w.actor(w.admin), data=application(w, organisation_id=w.county.id),
                                today=TODAY, env=w.env)
        ids = (first.id, second.id, third.id)
        s.commit()
    # Before 0011: two organisations shared a prefix and issued the same numbers.
    migrate.downgrade(engine, "0006")  # to just before 0011 (its parents 0003, 0005 stay applied)
    with engine.begin() as conn:
        conn.execute(text("UPDATE organisations SET doc_prefix = '东栅' WHERE id = :id"), {"id": w.county.id})
        conn.execute(text("UPDATE organisations SET doc_prefix = '嘉兴园' WHERE id = :id"), {"id": park_b.id})
        conn.execute(text("UPDATE cases SET number = :n WHERE id = :id"),
                     {"n": "（2025）东栅劳调字第1号", "id": ids[2]})
        conn.execute(text("UPDATE enterprises SET uscc = '' WHERE id = :id"), {"id": w.enterprise.id})
    migrate.upgrade(engine)
    with Session(engine) as s:
        prefixes = dict(s.execute(select(Organisation.id, Organisation.doc_prefix)).all())
        assert len(set(prefixes.values())) == len(prefixes)
        # the county (the earlier id) keeps 东栅, the township gets 东栅二
        assert prefixes[w.county.id] == "东栅" and prefixes[w.township.id] == "东栅二"
        assert prefixes[park_a.id] == "嘉兴园" and prefixes[park_b.id] == "嘉兴园二"
        numbers = dict(s.execute(select(Case.id, Case.number)).all())
        assert numbers[ids[2]] == "（2025）东栅劳调字第1号"  # kept: its organisation kept the prefix
        assert numbers[ids[0]] == "（2025）东栅二劳调字第1号"  # collided: renumbered with the new prefix
        assert numbers[ids[1]] == "（2025）东栅劳调字第2号"  # no collision: not renumbered
        assert s.scalar(text("SELECT uscc FROM enterprises WHERE id = :id"), {"id": w.enterprise.id}) is None
        # the county's next number continues after the township's old ones: no repeat of an issued number
        org = s.get(Organisation, w.county.id)
        assert org is not None
        from mediation.accounts.users import actor_for
        from mediation.db.models import User

        admin = s.get(User, w.admin.id)
        assert admin is not None
        nxt = svc.create_case(s, actor=actor_for(admin), data=application(w, organisation_id=w.county.id),
                              today=TODAY, env=w.env)
        assert nxt.number == "（2025）东栅劳调字第3号"
        nxt2 = svc.create_case(s, actor=actor_for(admin), data=application(w, organisation_id=w.township.id),
                               today=TODAY, env=w.env)
        assert nxt2.number == "（2025）东栅二劳调字第3号"
