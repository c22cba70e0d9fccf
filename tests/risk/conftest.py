"""Risk fixtures: the standard world (city → county → township; another county) with an enterprise."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.api.conftest import api, app, client  # noqa: F401  (the API fixtures, for tests/risk/test_api.py)
from tests.factories import World, build_world


@pytest.fixture
def world(db: Session) -> World:
    return build_world(db)


def signal_data(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "enterprise_id": world.enterprise.id,
        "organisation_id": world.township.id,
        "source": "screening",
        "reporter_name": "李网格员",
        "reporter_phone": "13900001111",
        "description": "排查发现企业近两个月未发工资，职工情绪不稳",
        "evidence": "职工工资条、考勤记录",
        "workers_affected": 30,
        "wage_arrears_months": "1.5",
        "wage_arrears_amount": "450000.00",
    }
    data.update(overrides)
    return data
