"""The map of warning enterprises per region: current levels from the counters, scoped to the caller's
subtree, consistent with the enterprises' recorded levels."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Enterprise
from mediation.db.models_risk import EnterpriseRisk
from mediation.domain.errors import PermissionDenied, ValidationFailed
from mediation.risk import hotspots
from mediation.risk.signals import record_signal
from tests.factories import World
from tests.helpers import signal_data


def _enterprise(db: Session, world: World, name: str, region: str) -> Enterprise:
    e = Enterprise(name=name, industry="C", ownership="private", size="small", employees=80, region_code=region)
    db.add(e)
    db.flush()
    return e


def test_counts_enterprises_by_level_in_each_child_region(db: Session, world: World) -> None:
    other = _enterprise(db, world, "秀洲纺织有限公司", "330411")
    calm = _enterprise(db, world, "秀洲电子有限公司", "330411")
    mediator = world.actor(world.mediator)
    record_signal(db, actor=mediator, data=signal_data(world, wage_arrears_months="3"))  # red by the floor rule
    record_signal(db, actor=world.actor(world.outsider),
                  data=signal_data(world, enterprise_id=other.id, organisation_id=world.other_county.id,
                                   wage_arrears_months="2"))
    record_signal(db, actor=world.actor(world.outsider),
                  data=signal_data(world, enterprise_id=calm.id, organisation_id=world.other_county.id,
                                   wage_arrears_months=None, wage_arrears_amount=None, workers_affected=1,
                                   description="职工反映加班较多"))
    levels = dict(db.execute(select(EnterpriseRisk.enterprise_id, EnterpriseRisk.level)).all())
    assert levels[world.enterprise.id] == "red"

    result = hotspots.warning_by_region(db, actor=world.actor(world.city_supervisor), args={"region": "330400"})
    assert result["available"] and result["by"] == "county"
    by_key = {i["key"]: i for i in result["items"]}
    assert by_key["330402"]["red"] == 1 and by_key["330402"]["label"] == "南湖区"
    expected: dict[str, dict[str, int]] = {}
    for eid, region in ((world.enterprise.id, "330402"), (other.id, "330411"), (calm.id, "330411")):
        lv = levels.get(eid, "none")
        if lv in hotspots.WARNING_LEVELS:
            expected.setdefault(region, dict.fromkeys(hotspots.WARNING_LEVELS, 0))[lv] += 1
    assert {k: {lv: v[lv] for lv in hotspots.WARNING_LEVELS} for k, v in by_key.items()} == expected
    assert result["total"]["high"] == sum(v["red"] + v["orange"] for v in expected.values())
    assert result["items"][0]["key"] == "330402"  # the reddest first

    # a county region is not drawn by child regions; a region outside the subtree counts nothing
    county = hotspots.warning_by_region(db, actor=world.actor(world.city_supervisor), args={"region": "330402"})
    assert not county["available"] and "园区" in county["note"]
    elsewhere = hotspots.warning_by_region(db, actor=world.actor(world.city_supervisor), args={"region": "110000"})
    assert elsewhere["available"] and elsewhere["items"] == [] and elsewhere["total"]["red"] == 0


def test_scopes_without_counters_and_other_roles(db: Session, world: World) -> None:
    record_signal(db, actor=world.actor(world.mediator), data=signal_data(world, wage_arrears_months="3"))
    # a county supervisor's scope keeps no counters: the map falls back to case figures
    county_sup = hotspots.warning_by_region(db, actor=world.actor(world.supervisor), args={"region": "330400"})
    assert not county_sup["available"] and county_sup["items"] == []
    with pytest.raises(PermissionDenied):
        hotspots.warning_by_region(db, actor=world.actor(world.mediator), args={"region": "330400"})
    with pytest.raises(ValidationFailed):
        hotspots.warning_by_region(db, actor=world.actor(world.city_supervisor), args={"region": "33040"})
    with pytest.raises(ValidationFailed):
        hotspots.warning_by_region(db, actor=world.actor(world.city_supervisor), args={"region": "999999"})
