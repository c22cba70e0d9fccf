"""The case list (/ui/cases), the workbench's queues that link to it, the header's search and the supervisors'
today list (/ui/today), through Flask's test client."""

from __future__ import annotations

import datetime as dt
import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.cases.queries import list_cases
from tests.api.ui.test_ui_pages import TODAY, app, login, sweep, text_of  # noqa: F401  (fixture)
from tests.factories import WORKER_ID, World, application, drive, new_case


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-case="\d+">\s*<td data-label="案号">'
                      r'<a href="/ui/cases/\d+" class="nowrap">([^<]+)</a>', html)


def test_search_finds_a_new_unassigned_case_by_party_id_enterprise_and_number(
        client: FlaskClient, db: Session, world: World) -> None:
    other = application(world, title="另一件")
    other["parties"] = [{**other["parties"][0], "name": "李四", "id_number": None}, other["parties"][1]]
    new = new_case(db, world, TODAY, title="王五追索工资", parties=[
        {"role": "worker", "name": "王五", "id_number": "11010519491231002X"},
        {"role": "employer", "name": world.enterprise.name}])
    svc.create_case(db, actor=world.actor(world.clerk), data=other, env=world.env)
    login(client, world.mediator.username)
    for q in ("王五", "11010519491231002x", "1231002X", new.number, "南湖精密 王五"):
        html = client.get("/ui/cases", query_string={"q": q}).get_data(as_text=True)
        assert _rows(html) == [new.number], q
    # the enterprise matches both; a word that matches nothing gives an empty list with a hint
    html = client.get("/ui/cases", query_string={"q": "南湖精密机械"}).get_data(as_text=True)
    assert len(_rows(html)) == 2
    html = client.get("/ui/cases", query_string={"q": "赵六"}).get_data(as_text=True)
    assert 'id="no-results"' in html and "共 0 件" in html
    # the header's search box (go=1): a single hit opens the case
    r = client.get("/ui/cases", query_string={"q": "王五", "go": "1"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/ui/cases/{new.id}")
    r = client.get("/ui/cases", query_string={"q": "南湖精密机械", "go": "1"})
    assert r.status_code == 200


def test_filters_sorting_and_paging_live_in_the_url(client: FlaskClient, db: Session, world: World) -> None:
    cases = [new_case(db, world, TODAY - dt.timedelta(days=i), title=f"案件{i}") for i in range(5)]
    drive(db, world, cases[0], TODAY, "accept")  # led by world.mediator
    login(client, world.mediator.username)
    html = client.get("/ui/cases?view=unassigned").get_data(as_text=True)
    assert len(_rows(html)) == 4 and cases[0].number not in _rows(html)
    assert 'data-view="unassigned"' in html and 'aria-current="page" data-view="unassigned"' in html
    html = client.get("/ui/cases?view=intake").get_data(as_text=True)
    assert _rows(html) == [c.number for c in reversed(cases[1:])]  # oldest application first
    html = client.get(f"/ui/cases?mediator={world.mediator.id}").get_data(as_text=True)
    assert _rows(html) == [cases[0].number]
    html = client.get("/ui/cases?status=mediating").get_data(as_text=True)
    assert _rows(html) == [cases[0].number]
    # paging: two per page, the next page's link keeps the filters
    html = client.get("/ui/cases?view=intake&per_page=20&sort=received_on").get_data(as_text=True)
    assert "共 4 件" in html
    frm = (TODAY - dt.timedelta(days=2)).isoformat()
    html = client.get(f"/ui/cases?from={frm}&sort=reported_on").get_data(as_text=True)
    assert _rows(html) == [cases[2].number, cases[1].number, cases[0].number]
    # a bad date is named, not silently dropped
    r = client.get("/ui/cases?from=2026-13-01")
    assert r.status_code == 422 and "登记日期起应为日期" in r.get_data(as_text=True)
    assert 'aria-invalid="true"' in r.get_data(as_text=True)


def test_paging_links_keep_the_filters(client: FlaskClient, db: Session, world: World) -> None:
    for i in range(22):
        new_case(db, world, TODAY, title=f"批量{i}")
    login(client, world.clerk.username)
    html = client.get("/ui/cases?q=批量&status=applied").get_data(as_text=True)
    assert "第 1 / 2 页" in html and len(_rows(html)) == 20
    nxt = re.search(r'<a href="([^"]+)" rel="next">', html)
    assert nxt is not None
    link = nxt[1].replace("&amp;", "&")
    assert "q=%E6%89%B9%E9%87%8F" in link and "status=applied" in link and "page=2" in link
    html = client.get("/ui/cases" + link).get_data(as_text=True)
    assert len(_rows(html)) == 2 and "第 2 / 2 页" in html


def test_workbench_counts_are_links_and_overdue_counts_cases_not_deadlines(
        client: FlaskClient, db: Session, world: World) -> None:
    late = new_case(db, world, TODAY - dt.timedelta(days=40), title="迟迟未受理")
    new_case(db, world, TODAY, title="刚登记")
    sweep(db)
    login(client, world.mediator.username)
    html = client.get("/ui/").get_data(as_text=True)
    assert re.search(r'href="/ui/cases\?status=applied" data-state="applied">已申请待受理 2</a>', html)
    assert re.search(r'href="/ui/cases\?view=intake" data-queue="intake"><strong>2</strong>', html)
    assert re.search(r'href="/ui/cases\?view=unassigned" data-queue="unassigned"><strong>2</strong>', html)
    m = re.search(r'data-queue="overdue"><strong>(\d+)</strong>', html)
    assert m and m[1] == "1"  # one case, however many of its deadlines passed
    panel = html[html.index('data-panel="overdue"'):html.index('data-panel="today"')]
    assert panel.count(f'data-case="{late.id}"') == 1
    listed = client.get("/ui/cases?view=overdue").get_data(as_text=True)
    assert _rows(listed) == [late.number]


def test_optional_review_windows_are_never_overdue(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY - dt.timedelta(days=60))
    drive(db, world, case, TODAY - dt.timedelta(days=59), "accept", "record_session", "sign_agreement")
    sweep(db)
    actor = world.actor(world.city_supervisor)
    overdue = list_cases(db, actor=actor, filters={"overdue": True}, today=TODAY)
    overdue_now = list_cases(db, actor=actor, filters={"overdue_now": True}, today=TODAY)
    # the performance date (10 days after signing) passed: that is overdue; the review windows are not
    assert [c.id for c in overdue.items] == [case.id] and [c.id for c in overdue_now.items] == [case.id]
    from api.ui.caselist import parse_args
    from mediation.cases.queries import next_deadlines

    due = next_deadlines(db, [case.id], TODAY)
    assert due[case.id].kind == "performance"
    assert parse_args({"view": "overdue"}, user_id=1, role="mediator")[1]["overdue_now"] is True


def test_today_list_groups_by_committee_with_the_action_to_take(
        client: FlaskClient, db: Session, world: World) -> None:
    parties = [*application(world)["parties"], {"role": "representative", "name": "代表甲"}]
    collective = new_case(db, world, TODAY - dt.timedelta(days=3), workers_count=30, is_collective=True,
                          parties=parties, title="三十名职工集体欠薪")
    arrived_today = new_case(db, world, TODAY, workers_count=12, is_collective=True, title="今日登记的集体争议")
    lapsing = new_case(db, world, TODAY - dt.timedelta(days=14), title="快到期")
    drive(db, world, lapsing, TODAY - dt.timedelta(days=13), "accept")
    from mediation.risk.signals import record_signal
    from tests.helpers import signal_data

    record_signal(db, actor=world.actor(world.clerk), data=signal_data(world, wage_arrears_months="3"))  # red
    login(client, world.city_supervisor.username)
    r = client.get("/ui/today")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    section = html[html.index(f'data-org="{world.township.id}"'):]
    text = text_of(section)
    assert "集体争议待上报" in text and collective.number in text
    assert f'#act-escalate">上报{collective.number}' in section
    assert arrived_today.number in text  # its 1-day limit ends tomorrow: reporting it is today's work
    assert "调解期限三日内届满" in text and lapsing.number in text and "督促主办调解员（mediator）" in text
    assert "红色预警" in text and world.enterprise.name in text and "去处置" in text
    login(client, world.mediator.username)
    assert client.get("/ui/today").status_code == 403
    # escalating answers the collective item
    db.expire_all()
    svc.fire_event(db, case_id=collective.id, event="escalate", actor=world.actor(world.mediator), payload={},
                   env=world.env)
    login(client, world.city_supervisor.username)
    assert collective.number not in client.get("/ui/today").get_data(as_text=True)


def test_case_list_scope_and_wb_for_clerk(client: FlaskClient, db: Session, world: World) -> None:
    mine = new_case(db, world, TODAY, title="本会案件")
    svc.create_case(db, actor=world.actor(world.outsider),
                    data=application(world, organisation_id=world.other_county.id, title="秀洲区的案件",
                                     parties=[{"role": "worker", "name": "外区", "id_number": WORKER_ID},
                                              {"role": "employer", "name": "外区公司"}]), env=world.env)
    login(client, world.clerk.username)
    html = client.get("/ui/cases?q=案件").get_data(as_text=True)
    assert _rows(html) == [mine.number] and "秀洲区的案件" not in html
    login(client, world.city_supervisor.username)
    html = client.get("/ui/cases?q=案件").get_data(as_text=True)
    assert len(_rows(html)) == 2 and 'name="organisation"' in html  # supervisors filter by committee too
