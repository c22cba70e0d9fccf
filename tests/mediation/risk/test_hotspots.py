"""Hotspots: consistent totals (region = sum of children = the case list), scope, trends, export,
rankings, early-intervention times, and the replay of a changed threshold."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Enterprise
from mediation.domain.clock import china_today
from mediation.domain.errors import NotFound, PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor
from mediation.risk import hotspot_export, hotspots, signals, simulate
from mediation.risk.rules import DEFAULT_RULES_JSON
from tests.factories import World, agreement_payload, application, drive, new_case
from tests.helpers import signal_data

TODAY = china_today()
MEASURES = ("cases", "workers", "collective", "open_cases", "amount_claimed", "amount_recovered", "agreed", "failed",
            "overdue", "overdue_open", "accepted")


@pytest.fixture
def data(db: Session, world: World) -> dict[str, Any]:
    """Five cases in 南湖 (three for the park enterprise, one collective, one without an enterprise) and
    two in 秀洲, in different states."""
    other_ent = Enterprise(name="秀洲某纺织厂", industry="C", ownership="hk_macao_taiwan", region_code="330411")
    db.add(other_ent)
    db.commit()
    c1 = new_case(db, world, TODAY)
    drive(db, world, c1, TODAY, "accept", "record_session", "sign_agreement")
    agreement = c1.current_agreement
    assert agreement is not None
    svc.fire_event(db, case_id=c1.id, event="record_performance", actor=world.actor(world.mediator),
                   payload={"obligation_id": agreement.obligations[0].id, "performed_on": TODAY.isoformat(),
                            "amount": "24000.00", "proof": "银行回单"}, today=TODAY, env=world.env)
    c2 = new_case(db, world, TODAY, category="dismissal", claims=[{"claim_type": "economic_compensation",
                                                                    "amount": "30000.00"}])
    drive(db, world, c2, TODAY, "accept", "terminate")
    parties = [*application(world)["parties"], {"role": "representative", "name": "代表甲"}]
    c3 = new_case(db, world, TODAY, workers_count=14, parties=parties, title="十四名职工追索工资")
    c4 = new_case(db, world, TODAY, enterprise_id=None, category="labour_relationship", claims=[])
    c5 = svc.create_case(db, actor=world.actor(world.outsider),
                         data=application(world, organisation_id=world.other_county.id, enterprise_id=other_ent.id),
                         env=world.env)
    c6 = svc.create_case(db, actor=world.actor(world.outsider),
                         data=application(world, organisation_id=world.other_county.id, enterprise_id=other_ent.id,
                                          category="hours_leave_insurance"), env=world.env)
    return {"cases": [c1, c2, c3, c4, c5, c6], "other_ent": other_ent}


def run(db: Session, actor: Actor, **args: Any) -> dict[str, Any]:
    return hotspots.run_hotspots(db, actor=actor, args=args, today=TODAY)


def rows(result: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    return {r["key"]: r for r in result["rows"]}


def summed(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in MEASURES:
        values = [r[m] for r in result["rows"]]
        out[m] = str(sum(float(v) for v in values)) if m.startswith("amount") else sum(values)
    return out


def same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for m in MEASURES:
        if m.startswith("amount"):
            assert float(a[m]) == float(b[m]), m
        else:
            assert a[m] == b[m], m


def test_region_equals_sum_of_children_equals_the_case_list(db: Session, world: World,
                                                            data: dict[str, Any]) -> None:
    sup = world.actor(world.city_supervisor)
    city = run(db, sup, by="city")
    assert city["source"] == "rollup:city"
    [row] = city["rows"]
    assert row["key"] == "330400" and row["label"] == "嘉兴市"
    assert (row["cases"], row["collective"], row["workers"]) == (6, 1, 19)
    assert (row["agreed"], row["failed"], row["success_rate"]) == (1, 1, 0.5)
    assert row["amount_claimed"] == "126000.00" and row["amount_recovered"] == "24000.00"
    assert row["drill"] == {"filter": {"city": "330400"}, "by": "county"}

    counties = run(db, sup, by="county", city="330400")
    same(summed(counties), row)
    assert {k: r["cases"] for k, r in rows(counties).items()} == {"330402": 4, "330411": 2}
    assert hotspots.case_list(db, actor=sup, args={"city": "330400"}, today=TODAY)["total"] == 6

    nanhu = rows(counties)["330402"]
    assert nanhu["drill"] == {"filter": {"county": "330402"}, "by": "park"}
    parks = run(db, sup, by="park", county="330402")
    assert parks["source"].startswith("rollup")
    same(summed(parks), nanhu)
    assert {k: r["cases"] for k, r in rows(parks).items()} == {world.park.id: 3, None: 1}
    listed = hotspots.case_list(db, actor=sup, args={"county": "330402", "per_page": 100}, today=TODAY)
    assert listed["total"] == nanhu["cases"] == len(listed["items"])

    in_park = rows(parks)[world.park.id]
    enterprises = run(db, sup, by="enterprise", county="330402", park_id=world.park.id)
    assert enterprises["source"] == "facts"
    same(summed(enterprises), in_park)
    assert hotspots.case_list(db, actor=sup, args={"park_id": world.park.id}, today=TODAY)["total"] == 3

    for by in ("category", "industry", "ownership", "level", "month", "week"):
        result = run(db, sup, by=by)
        same(summed(result), row)
        same(result["total"], row)


def test_rollups_and_facts_give_the_same_figures(db: Session, world: World, data: dict[str, Any]) -> None:
    city_view = rows(run(db, world.actor(world.city_supervisor), by="county"))["330402"]
    county_result = run(db, world.actor(world.supervisor), by="county")
    assert county_result["source"] == "facts"
    assert list(rows(county_result)) == ["330402"]  # the county supervisor sees their own subtree only
    same(rows(county_result)["330402"], city_view)


def test_only_the_callers_subtree_is_visible(db: Session, world: World, data: dict[str, Any]) -> None:
    county = run(db, world.actor(world.supervisor), by="category")
    assert county["total"]["cases"] == 4
    with pytest.raises(NotFound):
        run(db, world.actor(world.supervisor), by="county", organisation_id=world.other_county.id)
    with pytest.raises(NotFound):
        hotspots.case_list(db, actor=world.actor(world.supervisor), args={"organisation_id": world.city.id},
                           today=TODAY)
    # a supervisor filtering by a region outside the subtree simply finds nothing there
    assert run(db, world.actor(world.supervisor), by="county", county="330411")["rows"] == []
    listed = hotspots.case_list(db, actor=world.actor(world.supervisor), args={"per_page": 100}, today=TODAY)
    assert {c["id"] for c in listed["items"]} == {c.id for c in data["cases"][:4]}
    # the city supervisor narrows to one county organisation
    assert run(db, world.actor(world.city_supervisor), by="county",
               organisation_id=world.other_county.id)["total"]["cases"] == 2
    for role_user in (world.clerk, world.mediator, world.outsider):
        with pytest.raises(PermissionDenied):
            run(db, world.actor(role_user), by="county")


def test_trends_fill_empty_buckets(db: Session, world: World, data: dict[str, Any]) -> None:
    months = run(db, world.actor(world.city_supervisor), by="month")
    assert len(months["rows"]) == 12 and months["window"]["grain"] == "month"
    assert months["rows"][-1]["key"] == TODAY.replace(day=1).isoformat()
    assert [r["cases"] for r in months["rows"]] == [0] * 11 + [6]
    weeks = run(db, world.actor(world.city_supervisor), by="week")
    assert weeks["rows"][-1]["cases"] == 6 and sum(r["cases"] for r in weeks["rows"]) == 6
    by_cat_week = run(db, world.actor(world.city_supervisor), by="category", grain="week")
    assert by_cat_week["source"] == "rollup:category@p"


def test_bad_queries_are_refused_in_chinese(db: Session, world: World, data: dict[str, Any]) -> None:
    sup = world.actor(world.city_supervisor)
    with pytest.raises(ValidationFailed) as exc:
        run(db, sup, by="enterprise")  # no rollup answers it at city scope: narrow it first
    assert "请先选择区县或园区" in exc.value.detail
    with pytest.raises(ValidationFailed):
        run(db, sup, by="street")
    with pytest.raises(ValidationFailed):
        run(db, sup, by="county", **{"from": "2026-05-01", "to": "2026-04-01"})
    with pytest.raises(ValidationFailed):
        run(db, sup, by="county", region="999999")


def test_exports(db: Session, world: World, data: dict[str, Any]) -> None:
    result = run(db, world.actor(world.city_supervisor), by="county")
    raw = hotspot_export.to_csv(result)
    assert raw.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[1][:3] == ["代码", "区县", "案件数"]
    assert table[-1][1] == "合计" and table[-1][2] == "6"
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(hotspot_export.to_xlsx(result)))
    ws = wb.active
    assert ws is not None and ws["A2"].value == "代码"
    assert ws.cell(row=ws.max_row, column=2).value == "合计" and ws.cell(row=ws.max_row, column=3).value == 6


def test_rankings_from_counters_and_from_facts_agree(db: Session, world: World, data: dict[str, Any]) -> None:
    city = hotspots.ranking(db, actor=world.actor(world.city_supervisor), args={"by": "total_cases"})
    assert city["source"] == "counters"
    assert [(i["enterprise"]["id"], i["total_cases"]) for i in city["items"]] == [
        (world.enterprise.id, 3), (data["other_ent"].id, 2)]
    county = hotspots.ranking(db, actor=world.actor(world.supervisor), args={"by": "total_cases"})
    assert county["source"] == "facts"
    assert [(i["enterprise"]["id"], i["total_cases"], i["open_cases"]) for i in county["items"]] == [
        (world.enterprise.id, 3, 1)]
    open_ = hotspots.ranking(db, actor=world.actor(world.city_supervisor), args={"by": "open_cases",
                                                                                   "county": "330411"})
    assert [i["enterprise"]["id"] for i in open_["items"]] == [data["other_ent"].id]


def test_early_intervention_and_report_times(db: Session, world: World) -> None:
    t0 = dt.datetime.combine(TODAY - dt.timedelta(days=3), dt.time(1, 0), dt.UTC)
    s, _ = signals.record_signal(db, actor=world.actor(world.clerk), data=signal_data(world, workers_affected=20),
                                 at=t0)
    case = signals.convert_to_case(db, actor=world.actor(world.mediator), signal_id=s.id,
                                   data={"workers_count": 20, "requests": "补发拖欠工资",
                                         "common_claim": "补发拖欠工资"},
                                   at=t0 + dt.timedelta(hours=1), env=world.env)
    m = world.actor(world.mediator)
    svc.fire_event(db, case_id=case.id, event="begin_triage", actor=m, at=t0 + dt.timedelta(hours=2), env=world.env)
    # the collective dispute is reported upward (escalated) five hours after the signal
    from mediation.db.models import Party

    for name in ("职工代表甲", "职工代表乙", "职工代表丙"):  # 3–5 representatives (the committee's practice)
        db.add(Party(case_id=case.id, role="representative", name=name))
    db.add(Party(case_id=case.id, role="worker", name="张三"))
    db.commit()
    db.expire_all()
    svc.fire_event(db, case_id=case.id, event="escalate", actor=m, at=t0 + dt.timedelta(hours=5), env=world.env)
    svc.fire_event(db, case_id=case.id, event="register_application", actor=m,
                   payload={}, at=t0 + dt.timedelta(hours=20), env=world.env)
    svc.fire_event(db, case_id=case.id, event="accept", actor=m, payload={"respondent_consents": True},
                   at=t0 + dt.timedelta(hours=30), env=world.env)
    result = hotspots.early(db, actor=world.actor(world.city_supervisor), args={}, today=TODAY)
    [item] = [i for i in result["items"] if i["organisation"]["id"] == world.township.id]
    assert item["cases_from_signals"] == 1 and item["intervened"] == 1
    assert item["avg_hours_to_intervention"] == 30.0
    assert item["reported"] == 1 and item["avg_hours_to_report"] == 5.0
    # alerts: the orange level raised by the signal, and the collective dispute
    assert item["alerts"] == 2 and item["alerts_reported"] == 0


def test_replay_of_a_lower_threshold_counts_more_warnings(db: Session, world: World) -> None:
    t0 = dt.datetime.combine(TODAY - dt.timedelta(days=30), dt.time(2, 0), dt.UTC)
    # 40 points: relocation 20 + 50 layoffs 20 (+ no union 5 = 45): yellow under the default rules
    signals.record_signal(db, actor=world.actor(world.clerk), at=t0,
                          data=signal_data(world, wage_arrears_months=None, wage_arrears_amount=None,
                                           workers_affected=0, relocation=True, planned_layoffs=50))
    candidate = copy.deepcopy(dict(DEFAULT_RULES_JSON))
    candidate["levels"] = {"blue": 10, "yellow": 20, "orange": 40, "red": 90}
    args = {"rules": candidate, "from": (TODAY - dt.timedelta(days=60)).isoformat(), "to": TODAY.isoformat()}
    result = simulate.replay(db, actor=world.actor(world.city_supervisor), data=args)
    assert result["enterprises"] == 1
    assert result["current"]["level_alerts"] == 0 and result["current"]["levels_at_end"]["yellow"] == 1
    assert result["candidate"]["level_alerts"] == 1
    assert result["candidate"]["level_alerts_by_level"] == {"orange": 1, "red": 0}
    assert result["difference"]["total_alerts"] == 1
    assert result["changed"][0]["enterprise"]["id"] == world.enterprise.id
    assert result["recorded_alerts"] == 0  # what live scoring actually raised (none: yellow)
    # the signal leaves the 180-day window: a replay after that ends at no warning
    later = {**args, "to": (TODAY + dt.timedelta(days=200)).isoformat()}
    assert simulate.replay(db, actor=world.actor(world.city_supervisor),
                           data=later)["candidate"]["levels_at_end"]["none"] == 1
    # the replay under the active rules agrees with what live scoring recorded
    risk = db.get(__import__("mediation.db.models_risk", fromlist=["EnterpriseRisk"]).EnterpriseRisk,
                  world.enterprise.id)
    assert risk is not None and risk.level == "yellow"
    with pytest.raises(PermissionDenied):
        simulate.replay(db, actor=world.actor(world.mediator), data=args)
    with pytest.raises(ValidationFailed):
        simulate.replay(db, actor=world.actor(world.city_supervisor), data={**args, "to": "2020-01-01"})
    # out of the county supervisor's sight: the other county's enterprises are not replayed
    other = simulate.replay(db, actor=world.actor(world.city_supervisor),
                            data={**args, "organisation_id": world.other_county.id})
    assert other["enterprises"] == 0


def test_replay_counts_collective_disputes_with_the_candidate_threshold(db: Session, world: World) -> None:
    parties = [*application(world)["parties"], {"role": "representative", "name": "代表甲"}]
    new_case(db, world, TODAY, workers_count=8, parties=parties)  # not collective under the default ten
    candidate = copy.deepcopy(dict(DEFAULT_RULES_JSON))
    candidate["collective_threshold"] = 5
    result = simulate.replay(db, actor=world.actor(world.city_supervisor),
                             data={"rules": candidate, "from": TODAY.isoformat(), "to": TODAY.isoformat()})
    assert result["current"]["collective_alerts"] == 0
    assert result["candidate"]["collective_alerts"] == 1


def test_enterprise_risk_explained_for_those_who_see_it(db: Session, world: World) -> None:
    signals.record_signal(db, actor=world.actor(world.clerk), data=signal_data(world))
    out = hotspots.enterprise_risk(db, actor=world.actor(world.mediator), enterprise_id=world.enterprise.id)
    assert out["level"] == "orange" and out["explanation"]["hits"][0]["indicator"] == "wage_arrears_months"
    assert out["history"][0]["to_level"] == "orange"
    with pytest.raises(PermissionDenied):
        hotspots.enterprise_risk(db, actor=world.actor(world.outsider), enterprise_id=world.enterprise.id)
    with pytest.raises(NotFound):
        hotspots.enterprise_risk(db, actor=world.actor(world.mediator), enterprise_id=999_999)


def test_agreement_amounts_and_overdue_appear(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY - dt.timedelta(days=40))
    drive(db, world, case, TODAY - dt.timedelta(days=39), "accept")
    from mediation.cases.sweep import run_sweep

    conn = db.connection()
    run_sweep(lambda: Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False),
              today=TODAY, env=world.env)
    row = rows(run(db, world.actor(world.city_supervisor), by="county"))["330402"]
    assert row["overdue"] == 1 and row["overdue_open"] == 1 and row["open_cases"] == 1
    assert agreement_payload  # imported for the fixtures above
