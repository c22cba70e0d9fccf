"""The supervisors' dashboard and alerts inbox: a stable window, enterprises (not cases) in the warning chart,
readable amounts, drill-down to a park, lists with their "more" link, the export of every table under a Chinese
file name, and alerts grouped per enterprise with the note and the report shown."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import unquote

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.ui.dashboard import wan
from mediation.db.models_risk import RiskAlert
from mediation.risk.signals import convert_to_case, record_signal
from tests.api.ui.test_ui_pages import TODAY, app, login, text_of  # noqa: F401  (fixture)
from tests.factories import World, new_case
from tests.helpers import signal_data


def _section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start:html.index("</section>", start)]


def test_wan_formats_amounts() -> None:
    assert wan("33929090.00") == "3,392.9万元" and wan("8500") == "8,500元" and wan("12.5") == "12.50元"
    assert wan(None) == "0元"


def test_pressing_query_with_the_same_months_changes_nothing(client: FlaskClient, db: Session,
                                                             world: World) -> None:
    signal, _ = record_signal(db, actor=world.actor(world.clerk), data=signal_data(world))
    case = convert_to_case(db, actor=world.actor(world.clerk), signal_id=signal.id, env=world.env)
    login(client, world.city_supervisor.username)
    first = client.get("/ui/dashboard").get_data(as_text=True)
    months = re.search(r'name="from" value="(\d{4}-\d{2})".*?name="to" value="(\d{4}-\d{2})"', first, re.S)
    assert months
    again = client.get(f"/ui/dashboard?region=330400&from={months[1]}&to={months[2]}").get_data(as_text=True)
    for marker in ('id="early"', 'id="kpi-cases"', 'id="areas"'):
        assert text_of(_section(first, marker)) == text_of(_section(again, marker)), marker
    early = text_of(_section(first, 'id="early"'))
    assert world.township.name in early and "1件" in early and "尚未介入" in early  # not a row of "—"
    assert case.id  # the converted case is counted, not yet taken up


def test_warning_chart_counts_enterprises_in_severity_order(client: FlaskClient, db: Session, world: World) -> None:
    record_signal(db, actor=world.actor(world.clerk), data=signal_data(world, wage_arrears_months="3"))  # red
    for i in range(3):
        new_case(db, world, TODAY, title=f"案件{i}")  # cases of the red enterprise: not counted as enterprises
    login(client, world.city_supervisor.username)
    html = client.get("/ui/dashboard").get_data(as_text=True)
    levels = re.search(r"id=\"levels\" class=\"chart small\" data-rows='([^']+)'", html)
    assert levels is not None
    rows = levels[1].replace("&#34;", '"').replace("\\u0027", "'")
    assert re.findall(r'"key": "(\w+)"', rows) == ["red", "orange", "yellow"]
    assert re.search(r'"key": "red", "label": "[^"]+", "value": 1', rows)
    assert "当前预警企业：红色1家，橙色0家，黄色0家" in text_of(html)
    assert "当前预警企业（家）" in html


def test_county_lists_parks_and_a_park_drills_down_to_its_enterprises(
        client: FlaskClient, db: Session, world: World) -> None:
    for i in range(2):
        new_case(db, world, TODAY, title=f"园区案件{i}")
    login(client, world.city_supervisor.username)
    html = client.get("/ui/dashboard?region=330402").get_data(as_text=True)
    assert 'id="parks-chart"' in html and 'id="map"' not in html
    link = re.search(rf'<a href="(/ui/dashboard\?[^"]*park={world.park.id}[^"]*)">{world.park.name}</a>', html)
    assert link is not None
    html = client.get(link[1].replace("&amp;", "&")).get_data(as_text=True)
    assert f"督导看板 · 南湖区 · {world.park.name}" in html and "园区内各企业案件" in html
    assert re.search(rf'href="/ui/cases\?enterprise={world.enterprise.id}&amp;status=unclosed">{world.enterprise.name}',
                     html)
    assert client.get(f"/ui/dashboard?region=330411&park={world.park.id}").status_code == 404  # not that district's


def test_lists_have_their_more_link_and_amounts_are_readable(client: FlaskClient, db: Session, world: World) -> None:
    from tests.api.ui.test_ui_pages import sweep

    for i in range(12):
        new_case(db, world, TODAY - dt.timedelta(days=20), title=f"逾期{i}", claims=[
            {"claim_type": "wages", "description": "", "amount": "2500000.00"}])
    sweep(db)
    login(client, world.city_supervisor.username)
    html = client.get("/ui/dashboard").get_data(as_text=True)
    assert 'id="kpi-claimed" title="30000000.00元">3,000.0万元' in html
    more = re.search(r'<a href="(/ui/cases\?[^"]+)">查看全部12件 ›</a>', _section(html, "在办逾期案件（"))
    assert more is not None and "overdue=any" in more[1] and "region=330400" in more[1]
    listed = client.get(more[1].replace("&amp;", "&")).get_data(as_text=True)
    assert "共 12 件" in listed


def test_export_every_table_with_a_chinese_file_name(client: FlaskClient, db: Session, world: World) -> None:
    from openpyxl import load_workbook

    new_case(db, world, TODAY)
    login(client, world.city_supervisor.username)
    r = client.get("/ui/dashboard/export.xlsx")
    assert r.status_code == 200
    disposition = unquote(r.headers["Content-Disposition"])
    assert "督导看板_嘉兴市_" in disposition and disposition.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["各区县", "月度趋势", "争议类别", "在办案件较多的企业", "在办逾期案件", "在办集体争议",
                             "早介入早报告"]
    r = client.get("/ui/dashboard/export.csv?table=enterprises")
    assert r.status_code == 200 and "在办案件较多的企业.csv" in unquote(r.headers["Content-Disposition"])
    assert world.enterprise.name in r.data.decode("utf-8-sig")
    assert client.get("/ui/dashboard/export.csv?table=bogus").status_code == 404


def _alert(db: Session, world: World, level: str, hours: int) -> RiskAlert:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    a = RiskAlert(kind="level_raised", status="open", enterprise_id=world.enterprise.id,
                  organisation_id=world.township.id, level=level, previous_level="yellow", score=80, workers=30,
                  raised_at=at, report_due_on=TODAY + dt.timedelta(days=1), rule_set_version=1, snapshot={})
    db.add(a)
    db.commit()
    return a


def test_alerts_one_entry_per_enterprise_the_note_shown_and_a_report_action(
        client: FlaskClient, db: Session, world: World) -> None:
    alerts = [_alert(db, world, lv, h) for lv, h in (("orange", 30), ("orange", 20), ("red", 1))]
    token = login(client, world.city_supervisor.username)
    html = client.get("/ui/alerts").get_data(as_text=True)
    assert html.count(f'href="/ui/cases?enterprise={world.enterprise.id}&amp;status=unclosed"') == 1
    assert "同一企业另有2条较早的预警" in html and "待处置" not in html and "已接报" not in html
    # the tab and the dashboard count enterprises, as they list them: three alerts of one firm are one
    assert re.search(r'data-tab="open">待签收 <span class="count"[^>]*>1<', html)
    board = client.get("/ui/dashboard").get_data(as_text=True)
    assert "待签收预警（1家）" in board
    section = board[board.index('id="h-alerts"'):board.index("</section>", board.index('id="h-alerts"'))]
    assert section.count(world.enterprise.name) == 1
    newest = alerts[-1].id
    r = client.post(f"/ui/alerts/{newest}/acknowledge", data={"csrf_token": token, "note": "已电话联系企业负责人"})
    assert r.status_code == 302
    db.expire_all()
    assert {db.get(RiskAlert, a.id).status for a in alerts} == {"acknowledged"}  # type: ignore[union-attr]
    html = client.get("/ui/alerts?status=acknowledged").get_data(as_text=True)
    assert "签收说明：已电话联系企业负责人" in html and "报告上级（早报告）" in html
    r = client.post(f"/ui/alerts/{newest}/report", data={"csrf_token": token, "actions": ""})
    assert r.status_code == 302
    db.expire_all()
    assert db.get(RiskAlert, newest).status == "acknowledged"  # type: ignore[union-attr]  # measures required
    r = client.post(f"/ui/alerts/{newest}/report", data={"csrf_token": token,
                                                         "actions": "约谈企业，督促三日内发放工资"})
    assert r.status_code == 302 and r.headers["Location"].endswith("status=reported")
    db.expire_all()
    assert {db.get(RiskAlert, a.id).status for a in alerts} == {"reported"}  # type: ignore[union-attr]
    html = client.get("/ui/alerts?status=reported").get_data(as_text=True)
    assert "已采取的措施：约谈企业，督促三日内发放工资" in html and "citysup" in html


def test_the_dashboard_says_how_fresh_its_figures_are(client: FlaskClient, db: Session, world: World) -> None:
    from mediation.db.models_risk import RiskFactDelta
    from mediation.domain.clock import CHINA_TZ
    from mediation.risk import facts

    new_case(db, world, TODAY)  # folded after its commit: nothing waits
    login(client, world.city_supervisor.username)
    html = client.get("/ui/dashboard").get_data(as_text=True)
    fresh = re.search(r'数据更新于 <time datetime="([^"]+)">(\d\d:\d\d:\d\d)</time>（北京时间', html)
    assert fresh is not None
    shown = dt.datetime.fromisoformat(fresh[1])
    assert abs((dt.datetime.now(dt.UTC) - shown).total_seconds()) < 60 and shown.utcoffset() == dt.timedelta(hours=8)

    # a change not folded yet (a worker's turn has not come): the figures are as of just before it
    db.info[facts.FOLD_BY_WORKER] = True
    try:
        new_case(db, world, TODAY, title="尚未汇总")
    finally:
        db.info.pop(facts.FOLD_BY_WORKER, None)
    oldest = min(d.created_at for d in db.query(RiskFactDelta).all())
    html = client.get("/ui/dashboard").get_data(as_text=True)
    assert f"数据更新于 <time datetime=\"{oldest.astimezone(CHINA_TZ).isoformat()}\">" \
           f"{oldest.astimezone(CHINA_TZ):%H:%M:%S}</time>" in html
