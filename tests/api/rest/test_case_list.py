"""QA #19: the case list sorts case numbers numerically, escapes LIKE wildcards, and refuses unknown
statuses and inverted date ranges (422, problem+json, Chinese)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from mediation.cases.queries import list_cases
from mediation.db.models import Case
from tests.factories import World, new_case
from tests.fixtures import Api


@pytest.fixture
def numbered(db: Session, world: World) -> list[Case]:
    today = dt.date(2026, 11, 20)
    cases = [new_case(db, world, today, title=f"案件{i}") for i in range(3)]
    # numbers as they would read after many registrations, in two years
    numbers = ["（2026）东栅劳调字第10号", "（2026）东栅劳调字第9号", "（2025）东栅劳调字第110号"]
    for c, n in zip(cases, numbers, strict=True):
        db.execute(update(Case).where(Case.id == c.id).values(number=n))
    db.commit()
    return cases


def test_sort_by_number_is_numeric_by_year_then_sequence(db: Session, world: World, numbered: list[Case]) -> None:
    actor = world.actor(world.clerk)
    page = list_cases(db, actor=actor, filters={"sort": "number"}, today=dt.date(2026, 11, 20))
    assert [c.number for c in page.items] == ["（2025）东栅劳调字第110号", "（2026）东栅劳调字第9号",
                                               "（2026）东栅劳调字第10号"]
    page = list_cases(db, actor=actor, filters={"sort": "-number"}, today=dt.date(2026, 11, 20))
    assert [c.number for c in page.items] == ["（2026）东栅劳调字第10号", "（2026）东栅劳调字第9号",
                                               "（2025）东栅劳调字第110号"]


def test_sort_by_number_over_http(api: Api, world: World, numbered: list[Case]) -> None:
    r = api.as_(world.clerk).get("/api/v1/cases/?sort=number")
    assert r.status_code == 200
    assert [c["number"] for c in r.json["items"]] == ["（2025）东栅劳调字第110号", "（2026）东栅劳调字第9号",
                                                       "（2026）东栅劳调字第10号"]


def test_like_wildcards_in_q_match_themselves(db: Session, world: World) -> None:
    today = dt.date(2026, 11, 20)
    new_case(db, world, today, title="张三追索工资")
    pct = new_case(db, world, today, title="提成比例10%争议")
    actor = world.actor(world.clerk)
    for q, expected in (("%", [pct.id]), ("_", []), ("10%", [pct.id]), ("工资", None)):
        ids = [c.id for c in list_cases(db, actor=actor, filters={"q": q}, today=today).items]
        if expected is not None:
            assert ids == expected, q
        else:
            assert len(ids) == 1


def test_unknown_status_and_inverted_ranges_are_refused(api: Api, world: World) -> None:
    who = api.as_(world.clerk)
    r = who.get("/api/v1/cases/?status=bogus")
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert "未知的案件状态" in r.get_data(as_text=True)
    assert who.get("/api/v1/cases/?status=applied&status=mediating").status_code == 200
    r = who.get("/api/v1/cases/?received_from=2026-11-20&received_to=2026-11-01")
    assert r.status_code == 422 and "起始日期不能晚于截止日期" in r.get_data(as_text=True)
    r = who.get("/api/v1/cases/?reported_from=2026-11-20&reported_to=2026-11-01")
    assert r.status_code == 422
    assert who.get("/api/v1/cases/?received_from=2026-11-01&received_to=2026-11-01").status_code == 200
