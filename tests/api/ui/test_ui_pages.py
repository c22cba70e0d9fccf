"""The web UI through Flask's test client: what the QA pass found wrong in the pages (forms, errors, lists)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from mediation.cases import service as svc
from mediation.cases.sweep import run_sweep
from mediation.db.models import Case, Deadline, Enterprise
from mediation.domain.clock import china_today
from tests.factories import PASSWORD, World, application, drive, new_case, standard_env

TODAY = china_today()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(db: Session) -> Iterator[Flask]:
    """The API tests' app, without documents on transitions (they have their own tests): fast."""
    conn = db.connection()

    def factory() -> Session:
        return Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)

    yield create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True,
                      "DOCUMENTS_ON_TRANSITION": False}, session_factory=factory)


def login(client: FlaskClient, username: str) -> str:
    """Log in through the form; returns a CSRF token for the session."""
    client.post("/logout", data={"csrf_token": _token(client, "/login")})
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page)
    assert token is not None
    r = client.post("/login", data={"csrf_token": token[1], "username": username, "password": PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)
    return _token(client, "/ui/")


def _token(client: FlaskClient, url: str) -> str:
    m = CSRF.search(client.get(url).get_data(as_text=True))
    return m[1] if m else ""


def sweep(db: Session, today: dt.date = TODAY) -> None:
    conn = db.connection()
    run_sweep(lambda: Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False),
              today=today, env=standard_env(db))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- 在办逾期: one definition for the KPI, the region table and the list (QA 7, 8) ---------------------------

def _overdue_world(db: Session, world: World) -> dict[str, Case]:
    """南湖: two cases never accepted (acceptance missed), one accepted in time and extended (only the art. 14(3)
    date passed: not overdue), one without an enterprise (located by its organisation) and missed; 秀洲: one
    missed. Then the sweep runs."""
    long_ago = TODAY - dt.timedelta(days=20)
    xiuzhou = Enterprise(name="秀洲某纺织厂", industry="C", ownership="private", region_code="330411")
    db.add(xiuzhou)
    db.commit()
    cases = {
        "missed1": new_case(db, world, long_ago, title="逾期未受理一"),
        "missed2": new_case(db, world, long_ago, title="逾期未受理二"),
        "no_enterprise": new_case(db, world, long_ago, enterprise_id=None, title="无单位逾期"),
        "in_time": new_case(db, world, long_ago, title="按时受理"),
        "xiuzhou": svc.create_case(db, actor=world.actor(world.outsider), today=long_ago,
                                   data=application(world, organisation_id=world.other_county.id,
                                                    enterprise_id=xiuzhou.id, title="秀洲逾期"), env=world.env),
    }
    drive(db, world, cases["in_time"], long_ago, "accept", "extend")
    parties = [*application(world)["parties"], {"role": "representative", "name": "代表甲"}]
    cases["collective"] = new_case(db, world, TODAY, workers_count=14, parties=parties, title="十四名职工追索工资")
    sweep(db)
    kinds = {d.kind for d in db.scalars(select(Deadline).where(Deadline.case_id == cases["in_time"].id,
                                                                 Deadline.overdue_recorded_at.is_not(None)))}
    assert kinds <= {"arbitration_right"}  # what the sweep may still mark: never counted as 在办逾期
    return cases


def _kpi_and_list(html: str) -> tuple[int, int, list[str]]:
    kpi = re.search(r"<span>在办逾期</span><strong[^>]*><a href=\"[^\"]+\">(\d+)</a></strong>", html)
    listed = re.search(r"在办逾期案件（(\d+)）", html)
    assert kpi and listed, html
    section = html[html.index("在办逾期案件（"):html.index("在办集体争议（")]
    return int(kpi[1]), int(listed[1]), re.findall(
        r'href="/ui/cases/\d+" class="nowrap">[^<]+</a></td><td data-label="案由">([^<]+)</td>', section)


def test_dashboard_overdue_kpi_equals_its_list_and_follows_the_region(client: FlaskClient, db: Session,
                                                                     world: World) -> None:
    _overdue_world(db, world)
    login(client, world.city_supervisor.username)
    html = client.get("/ui/dashboard").get_data(as_text=True)
    kpi, listed, titles = _kpi_and_list(html)
    assert kpi == listed == len(titles) == 4
    assert set(titles) == {"逾期未受理一", "逾期未受理二", "无单位逾期", "秀洲逾期"}
    table = re.findall(r'<tr data-key="(\d+)"><td[^>]*>\s*<a href="/ui/dashboard\?region=\d+[^>]*>[^<]+</a>\s*</td>'
                       r'<td[^>]*>\d+</td><td[^>]*>\d+</td><td[^>]*>(\d+)</td>', html)
    assert sum(int(n) for _, n in table) == kpi
    assert "在办集体争议（1）" in html and "十四名职工追索工资" in html and "待签收预警（1家）" in html  # its alert

    html = client.get("/ui/dashboard?region=330411").get_data(as_text=True)  # drill down to 秀洲区
    kpi, listed, titles = _kpi_and_list(html)
    assert kpi == listed == 1 and titles == ["秀洲逾期"]
    assert "逾期未受理一" not in html and "在办集体争议（0）" in html and "十四名职工追索工资" not in html
    assert "待签收预警（0家）" in html

    html = client.get("/ui/dashboard?region=110000").get_data(as_text=True)  # 北京市: nothing of Jiaxing
    kpi, listed, titles = _kpi_and_list(html)
    assert kpi == listed == 0 and titles == []
    assert "待签收预警（0家）" in html


def test_overdue_case_list_api_matches_the_kpi(api: Any, db: Session, world: World) -> None:
    cases = _overdue_world(db, world)
    sup = api.as_(world.city_supervisor)
    body = sup.get("/api/v1/cases/?overdue=true&per_page=50").json
    assert {c["title"] for c in body["items"]} == {"逾期未受理一", "逾期未受理二", "无单位逾期", "秀洲逾期"}
    assert cases["in_time"].id not in {c["id"] for c in body["items"]}


# --- the workbench and the case page keep overdue deadlines in view (QA 3) ---------------------------------------

def test_swept_overdue_deadlines_stay_on_the_workbench_and_case_page_until_dealt_with(
        client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY - dt.timedelta(days=20), title="逾期未受理")
    sweep(db)
    status = db.scalars(select(Deadline.status).where(Deadline.case_id == case.id,
                                                      Deadline.kind == "acceptance")).one()
    assert status == "overdue"
    login(client, world.mediator.username)
    html = client.get("/ui/").get_data(as_text=True)
    panel = html[html.index('data-panel="overdue"'):html.index('data-panel="today"')]
    assert case.number in panel and "受理期限" in panel and 'class="countdown overdue"' in panel
    page = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    table = page[page.index('id="h-deadlines"'):page.index("</table>", page.index('id="h-deadlines"'))]
    assert "受理期限" in table and "countdown overdue" in table

    db.expire_all()
    drive(db, world, case, TODAY, "accept")  # accepted late: a missed deadline, no longer an open matter
    html = client.get("/ui/").get_data(as_text=True)
    panel = html[html.index('data-panel="overdue"'):html.index('data-panel="today"')]
    assert case.number not in panel
    page = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    table = page[page.index('id="h-deadlines"'):page.index("</table>", page.index('id="h-deadlines"'))]
    assert "受理期限" not in table
    past = page[page.index("已完成或取消的期限"):page.index("</details>", page.index("已完成或取消的期限"))]
    assert re.search(r"受理期限</td><td[^>]*>[-\d]+</td><td[^>]*>已逾期", past)


# --- the action forms offer every input of the event's payload schema (QA 2, 11, 12) ---------------------------

def _form(html: str, event: str) -> str:
    start = html.index(f'data-event="{event}"')
    return html[start:html.index("</details>", start)]


def test_every_schema_field_is_offered_with_a_chinese_label() -> None:
    from api.ui.forms import event_inputs
    from workflows.events import SPECS, event_schema

    for event in SPECS:
        inputs = event_inputs(event, (), requires_reason=False)
        assert {i.name for i in inputs} == set(event_schema(event).fields), event
        assert all(not i.label.isascii() for i in inputs), event
    reject = {i.name: i for i in event_inputs("reject", (), requires_reason=True)}
    assert reject["reason_code"].widget == "select" and reject["reason_code"].required
    assert [v for v, _ in reject["reason_code"].choices] == ["out_of_scope", "respondent_refuses", "already_arbitrated"]


def test_forms_offer_reason_code_mediator_recorder_place_and_dates(client: FlaskClient, db: Session,
                                                                   world: World) -> None:
    applied = new_case(db, world, TODAY)
    login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{applied.id}").get_data(as_text=True)
    reject = _form(html, "reject")
    assert 'name="reason_code"' in reject and "不予受理的原因" in reject
    assert "申请事项不属于劳动争议调解受理范围" in reject
    accept = _form(html, "accept")
    assert 'name="mediator_id"' in accept and "mediator2" in accept and 'name="accepted_on"' in accept
    drive(db, world, applied, TODAY, "accept")
    html = client.get(f"/ui/cases/{applied.id}").get_data(as_text=True)
    session = _form(html, "record_session")
    assert 'name="recorder"' in session and "记录人" in session
    sign = _form(html, "sign_agreement")
    for name in ("performance_place", "performance_method", "signed_on", "ob_description"):
        assert f'name="{name}"' in sign, name


def test_reject_from_the_page_with_its_reason_code(client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    token = login(client, world.mediator.username)
    url = f"/ui/cases/{case.id}/act/reject"
    base = {"csrf_token": token, "version": str(case.version), "reason": "被申请人明确拒绝调解", "confirm": "yes"}
    r = client.post(url, data=base)  # no reason code: said next to the select, nothing done
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'data-error-for="reason_code"' in html and "Missing data" not in html
    r = client.post(url, data={**base, "reason_code": "respondent_refuses"})
    assert r.status_code == 302
    db.expire_all()
    assert db.get(Case, case.id).status == "not_accepted"  # type: ignore[union-attr]


def test_register_application_takes_received_on_and_oral(client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY, initial_state="negotiating")
    token = login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    form = _form(html, "register_application")
    assert 'name="received_on"' in form and 'name="oral"' in form
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    r = client.post(f"/ui/cases/{case.id}/act/register_application",
                    data={"csrf_token": token, "version": str(case.version), "received_on": yesterday,
                          "has_oral": "1", "oral": "on"})
    assert r.status_code == 302, r.get_data(as_text=True)
    db.expire_all()
    fresh = db.get(Case, case.id)
    assert fresh is not None and fresh.status == "applied" and fresh.oral_application is True
    assert fresh.received_on.isoformat() == yesterday  # type: ignore[union-attr]


def test_supervisor_assigns_reassigns_and_sees_a_recusal_refused(client: FlaskClient, db: Session,
                                                                 world: World) -> None:
    from mediation.cases.assignment import declare_conflict

    case = new_case(db, world, TODAY)
    declare_conflict(db, user=world.mediator2, reason="亲属在该公司任职", enterprise_id=world.enterprise.id)
    token = login(client, world.supervisor.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    card = html[html.index('id="assignment"'):html.index("</section>", html.index('id="assignment"'))]
    assert "在办0件" in card and "应回避" in card
    # the district supervisor does not accept the street committee's case from the page: the committee does
    assert 'data-event="accept"' not in html and 'data-event="withdraw"' not in html
    assert "受理、调解、签署协议等由" in html

    r = client.post(f"/ui/cases/{case.id}/assign",
                    data={"csrf_token": token, "version": str(case.version), "mediator_id": str(world.mediator2.id)})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "亲属在该公司任职" in html and 'data-error-for="mediator_id"' in html
    db.expire_all()
    fresh = db.get(Case, case.id)
    assert fresh is not None and fresh.lead_mediator_id is None
    r = client.post(f"/ui/cases/{case.id}/assign",
                    data={"csrf_token": token, "version": str(fresh.version), "mediator_id": str(world.mediator.id)})
    assert r.status_code == 302
    db.expire_all()
    fresh = db.get(Case, case.id)
    assert fresh is not None and fresh.lead_mediator_id == world.mediator.id
    # a form posted anyway (an old page, a crafted request) is refused as the REST API refuses it: the committee's act
    r = client.post(f"/ui/cases/{case.id}/act/accept",
                    data={"csrf_token": token, "version": str(fresh.version), "has_respondent_consents": "1",
                          "respondent_consents": "on", "mediator_id": str(world.mediator.id)})
    assert r.status_code == 403 and "“受理”由案件所属调解组织办理" in r.get_data(as_text=True)
    db.expire_all()
    assert db.get(Case, case.id).status == "applied"  # type: ignore[union-attr]
    token = login(client, world.mediator.username)
    r = client.post(f"/ui/cases/{case.id}/act/accept",
                    data={"csrf_token": token, "version": str(fresh.version), "has_respondent_consents": "1",
                          "respondent_consents": "on"})
    assert r.status_code == 302, r.get_data(as_text=True)


def test_mediators_cannot_assign_from_the_page(client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    token = login(client, world.mediator.username)
    assert 'id="assignment"' not in client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    r = client.post(f"/ui/cases/{case.id}/assign",
                    data={"csrf_token": token, "version": str(case.version), "mediator_id": str(world.mediator.id)})
    assert r.status_code == 403 and "只有督导员" in r.get_data(as_text=True)


def test_sessions_are_listed_with_recorder_and_line_breaks(client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    drive(db, world, case, TODAY, "accept")
    token = login(client, world.mediator.username)
    r = client.post(f"/ui/cases/{case.id}/act/record_session",
                    data={"csrf_token": token, "version": str(case.version), "started_at": f"{TODAY}T09:30",
                          "place": "东栅街道调解室", "recorder": "李记录", "attendees": "张三、王建国",
                          "record": "申请人陈述：工资未发。\n被申请人陈述：资金困难。"})
    assert r.status_code == 302, r.get_data(as_text=True)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    block = html[html.index('id="sessions"'):html.index('id="documents"')]
    assert "调解会议及笔录（1）" in block and "09:30" in block and "东栅街道调解室" in block
    assert "记录人：李记录" in block and "张三、王建国" in block
    assert "申请人陈述：工资未发。\n被申请人陈述：资金困难。" in block  # shown with white-space: pre-line


def test_session_record_pdf_keeps_the_record_lines(db: Session, world: World) -> None:
    import io

    from pypdf import PdfReader

    from documents import service as doc_service
    from tests.factories import session_payload

    case = new_case(db, world, TODAY)
    drive(db, world, case, TODAY, "accept")
    svc.fire_event(db, case_id=case.id, event="record_session", actor=world.actor(world.mediator), today=TODAY,
                   payload={**session_payload(), "recorder": "李记录",
                            "record": "申请人陈述：工资未发。\n被申请人陈述：资金困难。"}, env=world.env)
    doc = doc_service.generate_on_demand(db, actor=world.actor(world.mediator), case_id=case.id,
                                         kind="session_record", params={})
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(doc.content)).pages)
    lines = [re.sub(r"\s+", "", line) for line in text.splitlines()]
    assert "申请人陈述：工资未发。" in lines and "被申请人陈述：资金困难。" in lines
    assert any("李记录" in line for line in lines)


# --- Chinese messages next to the field (QA 6) --------------------------------------------------------------------

ENGLISH = ("Must be", "Length must", "Not a valid", "Field may not", "Missing data", "{0:", "{'")


def test_intake_errors_are_chinese_and_next_to_their_fields(client: FlaskClient, world: World) -> None:
    token = login(client, world.clerk.username)
    r = client.post("/ui/intake", data={"csrf_token": token, "category": "", "worker_name": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and not any(e in html for e in ENGLISH), html
    assert 'data-error-for="category"' in html and 'data-error-for="worker_name"' in html
    r = client.post("/ui/intake", data={"csrf_token": token, "category": "remuneration", "worker_name": "李四",
                                        "worker_id_number": "330402199003070099", "worker_phone": "12",
                                        "employer_name": "某公司", "claim_type": "wages", "claim_amount": "-5"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and not any(e in html for e in ENGLISH), html
    for field, words in (("worker_id_number", "校验位"), ("worker_phone", "电话"), ("claim_amount", "≥ 0")):
        m = re.search(rf'data-error-for="{field}">([^<]+)<', html)
        assert m and words in m[1], (field, html)


def test_agreement_and_performance_errors_are_chinese(client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    drive(db, world, case, TODAY, "accept")
    token = login(client, world.mediator.username)
    r = client.post(f"/ui/cases/{case.id}/act/sign_agreement",
                    data={"csrf_token": token, "version": str(case.version), "terms": "支付工资",
                          "ob_description": ["支付工资", ""], "ob_amount": ["abc", ""],
                          "ob_due_on": [(TODAY + dt.timedelta(days=5)).isoformat(), ""],
                          "ob_claim_type": ["wages", "wages"]})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and not any(e in html for e in ENGLISH), html
    assert re.search(r'data-ob-error="0">第1项金额：应为数字', html)
    assert 'value="abc"' in html  # the typed rows are kept


def test_signal_errors_are_chinese(client: FlaskClient, world: World) -> None:
    token = login(client, world.mediator.username)
    r = client.post("/ui/signals", data={"csrf_token": token, "source": "bogus", "workers_affected": "x"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and not any(e in html for e in ENGLISH), html
    assert "请从列表中选择" in html


# --- versions, confirmations, error pages (QA 16, 17, 18) --------------------------------------------------------

@pytest.mark.parametrize(("version", "status"), [(None, 428), ("", 428), ("abc", 422), ("-1", 422)])
def test_a_form_without_a_valid_version_does_nothing(client: FlaskClient, db: Session, world: World,
                                                    version: str | None, status: int) -> None:
    case = new_case(db, world, TODAY)
    token = login(client, world.mediator.username)
    data = {"csrf_token": token, "reason": "申请人撤回", "confirm": "yes"}
    if version is not None:
        data["version"] = version
    r = client.post(f"/ui/cases/{case.id}/act/withdraw", data=data)
    assert r.status_code == status and "版本" in r.get_data(as_text=True)
    db.expire_all()
    assert db.get(Case, case.id).status == "applied"  # type: ignore[union-attr]
    r = client.post(f"/ui/cases/{case.id}/act/withdraw", data={**data, "version": str(case.version + 5)})
    assert r.status_code == 409 and "案件已有更新" in r.get_data(as_text=True)


def test_irreversible_actions_need_a_confirmation(client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    token = login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert 'name="confirm"' in _form(html, "withdraw") and 'name="confirm"' in _form(html, "reject")
    assert 'name="confirm"' not in _form(html, "accept")
    data = {"csrf_token": token, "version": str(case.version), "reason": "申请人撤回"}
    r = client.post(f"/ui/cases/{case.id}/act/withdraw", data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'data-error-for="confirm"' in html and "申请人撤回" in html
    db.expire_all()
    assert db.get(Case, case.id).status == "applied"  # type: ignore[union-attr]
    assert client.post(f"/ui/cases/{case.id}/act/withdraw", data={**data, "confirm": "yes"}).status_code == 302
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert 'name="confirm"' in _form(html, "close")


def test_performance_form_withdrawn_once_everything_is_performed(client: FlaskClient, db: Session,
                                                                 world: World) -> None:
    case = new_case(db, world, TODAY)
    drive(db, world, case, TODAY, "accept", "sign_agreement")
    login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert 'name="obligation_id"' in _form(html, "record_performance")
    db.expire_all()
    ob = db.get(Case, case.id).current_agreement.obligations[0]  # type: ignore[union-attr]
    svc.fire_event(db, case_id=case.id, event="record_performance", actor=world.actor(world.mediator), today=TODAY,
                   payload={"obligation_id": ob.id, "performed_on": TODAY.isoformat(), "amount": str(ob.amount),
                            "proof": "银行回单"}, env=world.env)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert 'data-event="record_performance"' not in html  # no form for it any more
    later = html[html.index('data-later="record_performance"'):]
    assert "协议约定的义务均已履行完毕" in later[:later.index("</li>")]  # the guard's reason, among 暂不能办理


@pytest.mark.parametrize("url", ["/ui/cases/abc", "/ui/cases/-1", "/ui/cases/99999999999999999999999",
                                 "/ui/nonexistent", "/ui/cases/999999"])
def test_unknown_ui_urls_are_chinese_pages(client: FlaskClient, world: World, url: str) -> None:
    login(client, world.mediator.username)
    r = client.get(url)
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "未找到" in r.get_data(as_text=True) and "返回工作台" in r.get_data(as_text=True)


def test_api_404_stays_a_problem(client: FlaskClient, world: World) -> None:
    login(client, world.mediator.username)
    r = client.get("/api/v1/cases/abc")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"


def test_csrf_failure_on_a_form_explains_and_keeps_the_typed_text(client: FlaskClient, db: Session,
                                                                  world: World) -> None:
    case = new_case(db, world, TODAY)
    drive(db, world, case, TODAY, "accept")
    login(client, world.mediator.username)
    r = client.post(f"/ui/cases/{case.id}/act/record_session",
                    data={"csrf_token": "stale", "version": str(case.version), "place": "调解室",
                          "record": "申请人陈述：工资未发。"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert "表单已过期" in html and f"/ui/cases/{case.id}" in html
    assert "申请人陈述：工资未发。" in html  # what was typed, to copy back
    db.expire_all()
    assert not db.get(Case, case.id).sessions  # type: ignore[union-attr]


def test_favicon(client: FlaskClient) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.mimetype.startswith("image/")
