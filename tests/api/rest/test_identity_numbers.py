"""Identity numbers over HTTP (security item 9): a case with a worker whose ID number has month 13 / day 99 or
region 999999 is refused, the error names the field and the wrong part, nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.db.models import Case
from mediation.domain.identity import id_check_character
from tests.factories import World, application
from tests.fixtures import Api


@pytest.mark.parametrize(("number", "part"), [
    ("110105202613990018", "出生日期无效"),
    ("99999919900101001" + id_check_character("99999919900101001"), "地区码无效"),
    ("330402199003070099", "校验码错误"),
])
def test_case_with_an_invalid_id_number_is_refused(api: Api, world: World, db: Session, number: str,
                                                   part: str) -> None:
    data = application(world)
    data["parties"][0]["id_number"] = number
    before = db.scalar(select(func.count()).select_from(Case))
    r = api.as_(world.clerk).post("/api/v1/cases/", json=data)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    [message] = r.json["errors"]["parties"]["0"]["id_number"]
    assert part in message and "身份证号码" in message
    assert db.scalar(select(func.count()).select_from(Case)) == before
