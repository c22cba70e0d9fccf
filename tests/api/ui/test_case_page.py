"""The case page: refusals that name the missing box, no internal notes, one row per deadline, only the actions
that apply, documents without checksums for mediators, and the stale-version page that keeps what was typed."""

from __future__ import annotations

import datetime as dt
import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.ui.wording import public
from mediation.cases import service as svc
from tests.api.ui.test_ui_pages import TODAY, app, login, text_of  # noqa: F401  (fixture)
from tests.factories import World, agreement_payload, application, drive, new_case


def _errors(html: str) -> str:
    start = html.index(">", html.index('id="form-errors"')) + 1
    return text_of(html[start:html.index("</div></div>", start)]).strip()


def test_accept_with_the_consent_box_unticked_names_the_box_and_hides_internal_notes(
        client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    token = login(client, world.mediator.username)
    r = client.post(f"/ui/cases/{case.id}/act/accept",
                    data={"csrf_token": token, "version": str(case.version), "has_respondent_consents": "1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    summary = _errors(html)
    assert "未能受理：未勾选“被申请人同意调解”" in summary
    assert "明确拒绝" not in summary  # an empty box is not a refusal
    assert "待核实" not in html  # internal notes never reach a user (the reject form's description had one)
    m = re.search(r'<input type="checkbox" id="f-accept-respondent_consents"[^>]*>', html)
    assert m and 'aria-invalid="true"' in m[0] and 'aria-describedby="f-accept-respondent_consents-err"' in m[0]
    assert re.search(r'data-error-for="respondent_consents">请核实被申请人同意调解后勾选', html)
    db.expire_all()
    assert db.get(type(case), case.id).status == "applied"  # type: ignore[union-attr]


def test_sign_without_the_seal_names_the_seal_box(client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    drive(db, world, case, TODAY, "accept")
    token = login(client, world.mediator.username)
    due = (TODAY + dt.timedelta(days=10)).isoformat()
    r = client.post(f"/ui/cases/{case.id}/act/sign_agreement", data={
        "csrf_token": token, "version": str(case.version), "terms": "申请人放弃其他请求。\n双方再无争议。",
        "ob_description": ["支付工资（第1期）", "支付工资（第2期）"], "ob_amount": ["6000", "6000"],
        "ob_due_on": [due, ""], "ob_claim_type": ["wages", "wages"],
        "signed_by_parties": "on", "signed_by_mediator": "on"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    summary = _errors(html)
    assert summary.startswith("未能签署调解协议：") and "第2项履行事项的履行期限" in summary
    assert "未勾选“已加盖调解组织印章”" in summary
    seal = re.search(r'data-error-for="sealed">([^<]+)<', html)
    assert seal and seal[1] == "请在加盖调解组织印章后勾选“已加盖调解组织印章”"  # not the art. 14 sentence
    assert re.search(r'data-ob-error="1">第2项履行期限：(请填写|必填|此项)', html)
    # the typed rows and the line breaks are kept
    assert html.count('name="ob_amount"') >= 2 and "申请人放弃其他请求。\n双方再无争议。" in html


def test_terms_keep_their_line_breaks_on_the_page(client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    drive(db, world, case, TODAY, "accept")
    svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator), today=TODAY,
                   payload={**agreement_payload(TODAY), "terms": "一、申请人放弃其他请求。\n二、双方再无争议。"},
                   env=world.env)
    login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert '<p class="pre terms">一、申请人放弃其他请求。\n二、双方再无争议。</p>' in html


def test_stale_form_from_another_tab_of_the_same_user_keeps_the_typed_record(
        client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    drive(db, world, case, TODAY, "accept")
    token = login(client, world.mediator.username)
    page = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    seen = re.search(r'name="seen_seq" value="(\d+)"', page)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert seen and version
    form = {"csrf_token": token, "version": version[1], "seen_seq": seen[1], "started_at": f"{TODAY}T09:30",
            "place": "调解室", "attendees": "张三、王建国", "record": "第一次会议：双方陈述。"}
    assert client.post(f"/ui/cases/{case.id}/act/record_session", data=form).status_code == 302  # tab A
    # tab B, opened before tab A's submission, submits its own record
    r = client.post(f"/ui/cases/{case.id}/act/record_session",
                    data={**form, "record": "第二次会议：被申请人同意分期支付。\n申请人同意。"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    summary = _errors(html)
    assert "您已在另一个窗口或标签页中办理了：记录调解会议" in summary and "他人" not in summary
    assert "第二次会议：被申请人同意分期支付。\n申请人同意。</textarea>" in html  # kept in the open form
    assert re.search(r'<details class="action" id="act-record_session" open', html)
    # someone else's change is named as theirs
    page = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    seen = re.search(r'name="seen_seq" value="(\d+)"', page)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert seen and version
    db.expire_all()
    svc.fire_event(db, case_id=case.id, event="record_session", actor=world.actor(world.mediator2), today=TODAY,
                   payload={"started_at": f"{TODAY}T14:00:00+08:00", "place": "调解室", "attendees": ["张三"],
                            "record": "mediator2的笔录"}, env=world.env)
    r = client.post(f"/ui/cases/{case.id}/act/record_session",
                    data={**form, "version": version[1], "seen_seq": seen[1], "record": "我的笔录"})
    summary = _errors(r.get_data(as_text=True))
    assert r.status_code == 409 and "mediator2在您打开本页后办理了：记录调解会议" in summary


def test_stale_form_for_an_action_no_longer_offered_shows_what_was_typed(
        client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    drive(db, world, case, TODAY, "accept")
    token = login(client, world.mediator.username)
    version = case.version
    drive(db, world, case, TODAY, "sign_agreement")  # signed in the other tab
    r = client.post(f"/ui/cases/{case.id}/act/sign_agreement", data={
        "csrf_token": token, "version": str(version), "terms": "我刚写的协议内容", "ob_description": "支付工资",
        "ob_amount": "100", "ob_due_on": TODAY.isoformat()})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and 'id="typed"' in html and "我刚写的协议内容</textarea>" in html


def test_deadlines_one_row_each_named_by_obligation_and_windows_not_red(
        client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY - dt.timedelta(days=40))
    drive(db, world, case, TODAY - dt.timedelta(days=39), "accept")
    first, second = (TODAY + dt.timedelta(days=5)).isoformat(), (TODAY + dt.timedelta(days=35)).isoformat()
    payload = {**agreement_payload(TODAY - dt.timedelta(days=38)), "obligations": [
        {"description": "第一期工资", "claim_type": "wages", "amount": "3000", "due_on": first},
        {"description": "第二期工资", "claim_type": "wages", "amount": "3000", "due_on": second}]}
    svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator),
                   today=TODAY - dt.timedelta(days=38), payload=payload, env=world.env)
    login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    table = html[html.index('id="h-deadlines"'):html.index("</table>", html.index('id="h-deadlines"'))]
    rows = re.findall(r'<tr data-kind="([a-z_]+)" class="nature-(\w+)"><td data-label="期限">([^<]+)'
                      r'(?:<span class="muted">（([^）]+)）)?', table)
    limitation = [(label, detail) for kind, _, label, detail in rows if kind == "limitation"]
    assert limitation == [("仲裁时效", "第一期工资"), ("仲裁时效", "第二期工资")]
    assert len(rows) == len(set(rows))
    # the review windows passed: not in the running list, never red
    assert "arbitration_review" not in [k for k, *_ in rows] and "countdown overdue" not in table
    past = html[html.index("已完成或取消的期限"):html.index("</details>", html.index("已完成或取消的期限"))]
    assert "申请仲裁审查期限" in past
    # dates never wrap; no versions or checksums for a mediator
    assert re.search(r'<td data-label="日期" class="nowrap">', table)
    assert "SHA-256" not in html and "版本" not in text_of(html[html.index('id="documents"'):])


def test_only_the_actions_that_can_apply(client: FlaskClient, db: Session, world: World) -> None:
    single = new_case(db, world, TODAY)
    login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{single.id}").get_data(as_text=True)
    assert 'data-event="escalate"' not in html and "上报集体争议" not in html  # a one-worker case
    assert 'data-event="accept"' in html and 'data-event="withdraw"' in html
    # withdrawing comes last, after the acts that move the case forward
    assert html.index('data-event="accept"') < html.index('data-event="withdraw"')
    parties = [*application(world)["parties"], {"role": "representative", "name": "代表甲"}]
    collective = new_case(db, world, TODAY, workers_count=20, is_collective=True, parties=parties)
    html = client.get(f"/ui/cases/{collective.id}").get_data(as_text=True)
    assert 'id="act-escalate"' in html and 'href="#act-escalate" class="button small">上报</a>' in html
    # the clerk who took the dispute in sees the limit and reports it; accepting is the mediator's
    login(client, world.clerk.username)
    html = client.get(f"/ui/cases/{collective.id}").get_data(as_text=True)
    assert 'data-event="escalate"' in html and 'href="#act-escalate" class="button small">上报</a>' in html
    assert 'data-event="accept"' not in html
    # a city supervisor: no 受理 / 撤回申请 on the street committee's case, the early report and assignment only
    login(client, world.city_supervisor.username)
    html = client.get(f"/ui/cases/{collective.id}").get_data(as_text=True)
    assert 'data-event="accept"' not in html and 'data-event="withdraw"' not in html
    assert 'data-event="escalate"' in html and 'id="assignment"' in html
    assert 'id="committee-acts"' in html  # the page says who accepts, beside the early report it may make


def test_the_clerk_reports_a_collective_dispute_from_the_case_page(
        client: FlaskClient, db: Session, world: World) -> None:
    collective = new_case(db, world, TODAY, workers_count=20, is_collective=True)
    token = login(client, world.clerk.username)
    r = client.post(f"/ui/cases/{collective.id}/act/escalate",
                    data={"csrf_token": token, "version": str(collective.version)})
    assert r.status_code == 302, r.get_data(as_text=True)
    db.expire_all()
    case = db.get(type(collective), collective.id)
    assert case is not None and case.escalated_at is not None
    assert [d.status for d in case.deadlines if d.kind == "collective_report"] == ["met"]
    html = client.get(f"/ui/cases/{collective.id}").get_data(as_text=True)
    assert 'data-event="escalate"' not in html and "集体争议上报" in html  # reported once, the time shown


def test_the_history_names_each_missed_deadline_and_a_passed_window_is_not_overdue(
        client: FlaskClient, db: Session, world: World) -> None:
    from mediation.cases.sweep import run_sweep
    from tests.mediation.cases.test_sweep_and_recompute import _factory

    case = new_case(db, world, TODAY - dt.timedelta(days=40))
    drive(db, world, case, TODAY - dt.timedelta(days=39), "accept")
    svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator),
                   today=TODAY - dt.timedelta(days=38), payload=agreement_payload(TODAY - dt.timedelta(days=38)),
                   env=world.env)
    run_sweep(_factory(db), today=TODAY, env=world.env)
    login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    timeline = text_of(html[html.index('class="timeline"'):])
    assert re.search(r"履行期限已逾期\s?（\d{4}-\d\d-\d\d）", timeline)
    assert re.search(r"申请仲裁审查期限已过\s?（\d{4}-\d\d-\d\d，当事人未申请）", timeline)
    assert "期限逾期" not in timeline and "申请仲裁审查期限已逾期" not in timeline


def test_public_strips_internal_notes() -> None:
    assert public("须先确认对方当事人同意调解（《企业劳动争议协商调解规定》（条号待核实））") == \
        "须先确认对方当事人同意调解（《企业劳动争议协商调解规定》）"
    assert public("某县欠薪预警分级（地方做法，待核实）") == "某县欠薪预警分级（地方做法）"
    assert public("地方工作惯例（待核实）") == "地方工作惯例"


def test_the_case_page_shows_the_limitation_rule_the_collective_note_and_the_told_state(
        client: FlaskClient, db: Session, world: World) -> None:
    world.township.kind = "enterprise_committee"
    db.commit()
    case = new_case(db, world, dt.date(2025, 9, 28), workers_count=12, common_claim="")
    case = drive(db, world, case, dt.date(2025, 9, 29), "accept")
    case = drive(db, world, case, dt.date(2025, 10, 20), "terminate", "refer")
    login(client, world.mediator.username)
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    text = text_of(html)
    # ELDNMP art. 31: no agreement within the art. 29 period (accepted 09-29, to 10-14) restarted the year on the
    # period's last day, though the termination was recorded later; the page says which rule
    assert ("仲裁时效自2025年10月14日起计算（依据：《中华人民共和国劳动争议调解仲裁法》第二十七条第二款、"
            "《企业劳动争议协商调解规定》第三十一条），按本会记录推算约至2026年10月14日届满") in text
    assert "涉及12名劳动者，但未登记共同请求，不属于调解仲裁法第七条规定的集体争议" in text
    assert "已告知申请仲裁" in text and "已移送仲裁" not in text
    assert "待核实" not in html and "有关规定" not in html


def test_a_collective_agreement_takes_each_workers_amount_and_checks_the_authorisation(
        client: FlaskClient, db: Session, world: World) -> None:
    from mediation.cases import parties

    authorised = {"authorised_to_sign": True, "authorisation_scope": "代为达成、签署调解协议"}
    data = application(world, workers_count=12, is_collective=True, common_claim="支付拖欠的工资")
    reps = [{"role": "representative", "name": n, **authorised} for n in ("赵一", "钱二")]
    data["parties"] = [*data["parties"], *reps, {"role": "representative", "name": "孙三"}]
    case = svc.create_case(db, actor=world.actor(world.clerk), data=data, today=TODAY, env=world.env)
    case = drive(db, world, case, TODAY, "accept")
    token = login(client, world.mediator.username)
    text = text_of(client.get(f"/ui/cases/{case.id}").get_data(as_text=True))
    # signing is not offered yet, and the page says why
    assert "（未经特别授权，不能代为签署协议）" in text and "代表孙三未经劳动者特别授权" in text
    sun = next(p for p in case.parties if p.name == "孙三")
    parties.update_party(db, case_id=case.id, party_id=sun.id, actor=world.actor(world.mediator),
                         data=authorised, expected_version=case.version)
    db.expire_all()
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert 'name="ob_beneficiary"' in html
    due = (TODAY + dt.timedelta(days=10)).isoformat()
    form = {"csrf_token": token, "version": str(db.get(type(case), case.id).version),  # type: ignore[union-attr]
            "terms": "双方再无争议。",
            "ob_description": ["支付工资", "支付工资"], "ob_amount": ["6000", "5000"], "ob_due_on": [due, due],
            "ob_claim_type": ["wages", "wages"], "ob_beneficiary": ["张三", "李四"],
            "signed_by_parties": "on", "signed_by_mediator": "on", "sealed": "on"}
    r = client.post(f"/ui/cases/{case.id}/act/sign_agreement", data=form)
    assert r.status_code == 302, text_of(r.get_data(as_text=True))[:500]
    db.expire_all()
    signed = db.get(type(case), case.id)
    assert [(o.beneficiary, str(o.amount)) for o in signed.current_agreement.obligations] == [  # type: ignore[union-attr]
        ("张三", "6000.00"), ("李四", "5000.00")]


def test_correcting_the_collective_flag_on_the_page_names_the_common_claim(
        client: FlaskClient, db: Session, world: World) -> None:
    case = new_case(db, world, TODAY, workers_count=12, common_claim="")
    token = login(client, world.mediator.username)
    form = {"csrf_token": token, "version": str(case.version), "is_collective": "on", "reason": "经核实请求一致"}
    r = client.post(f"/ui/cases/{case.id}/act/correct_collective", data=form)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "缺少“劳动者的共同请求”" in _errors(html)
    assert "请填写劳动者的共同请求（十人以上并有共同请求的才是集体争议）" in html
    r = client.post(f"/ui/cases/{case.id}/act/correct_collective", data={**form, "common_claim": "支付拖欠的工资"})
    assert r.status_code == 302
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert "集体争议 12人" in text_of(html) and "共同请求：支付拖欠的工资" in text_of(html)
