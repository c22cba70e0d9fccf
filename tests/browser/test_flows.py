"""The flows of the UX issue, walked in a real browser (Debian's chromium through Playwright, as in test_ui.py),
checking what the user sees at each step. Screenshots of each page go to test-artifacts/screenshots/.

- the clerk registers a case; the mediator finds the new, unassigned case from the list and the header search,
  accepts it (first without the consent box: the message names the box), records a session, drafts the
  agreement with the embedded calculator (a bad amount is named, the result fills two instalment rows), signs
  it (first without the seal), reads the PDF, and records two payments with uploaded proof files (the ledger's
  balances, a proof downloaded, the amounts in the history);
- the same mediator in two tabs: the stale tab keeps what was typed and says it was the same user;
- the clerk registers a collective dispute: every error at once, the employer found by search, the workers
  pasted as a list (rows appear, the head count follows), the common claim; and reports it (上报) within its
  1-day limit from the case page.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mediation.db.models import Case
from mediation.domain.clock import china_today
from mediation.domain.identity import id_check_character
from tests.browser.test_ui import CHROMIUM, _action, _login, _shot, live, page  # noqa: F401  (fixtures)
from tests.factories import World
from tests.helpers import pdf_pages, pdf_text

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="SKIPPED: Debian's chromium is not installed (scripts/install-system.sh)")


def _register(pg: object, base: str, name: str) -> str:
    pg.goto(f"{base}/ui/intake")  # type: ignore[attr-defined]
    pg.select_option("select[name=category]", "remuneration")  # type: ignore[attr-defined]
    pg.fill("input[name=worker_name]", name)  # type: ignore[attr-defined]
    pg.fill("input[name=worker_id_number]", "330402199003070015")  # type: ignore[attr-defined]
    pg.fill("input[name=worker_address]", "嘉兴市南湖区建国路1号")  # type: ignore[attr-defined]
    pg.fill("#f-enterprise_id", "南湖精密")  # type: ignore[attr-defined]
    pg.locator("#ent-results button.pick").first.click()  # type: ignore[attr-defined]
    pg.fill("input[name=claim_amount]", "12000")  # type: ignore[attr-defined]
    pg.fill("textarea[name=requests]", "支付拖欠工资12,000元")  # type: ignore[attr-defined]
    pg.click("form#intake-form button[type=submit]")  # type: ignore[attr-defined]
    pg.wait_for_selector("text=已登记案件")  # type: ignore[attr-defined]
    return str(pg.url)  # type: ignore[attr-defined]


def test_mediator_finds_accepts_records_drafts_signs_and_records_payments(
        live: tuple[str, World, dict[str, int]], page: object, committing_engine: Engine) -> None:  # noqa: F811
    base, world, _ = live
    pg = page
    _login(pg, base, world.clerk.username)
    case_url = _register(pg, base, "李堃")
    case_id = int(case_url.rsplit("/", 1)[1])
    number = pg.inner_text("h1 .nowrap")  # type: ignore[attr-defined]

    # --- the mediator finds the new, unassigned case: the queue on the workbench, the list, the search box
    _login(pg, base, world.mediator.username)
    queue = pg.locator("a[data-queue=intake]")  # type: ignore[attr-defined]
    assert queue.inner_text().startswith("1")
    _shot(pg, "flow-workbench-mediator")
    queue.click()
    pg.wait_for_selector(f"#case-table tr[data-case='{case_id}']")  # type: ignore[attr-defined]
    row = pg.inner_text(f"#case-table tr[data-case='{case_id}']")  # type: ignore[attr-defined]
    assert number in row and "未指派" in row and "受理期限" in row
    _shot(pg, "flow-case-list-intake")
    pg.click("a[data-view=unassigned]")  # type: ignore[attr-defined]
    pg.wait_for_selector(f"#case-table tr[data-case='{case_id}']")  # type: ignore[attr-defined]
    pg.fill("#global-q", "330402199003070015")  # the ID number, typed in the header  # type: ignore[attr-defined]
    pg.press("#global-q", "Enter")  # type: ignore[attr-defined]
    pg.wait_for_url(case_url)  # one hit: the case itself  # type: ignore[attr-defined]

    # --- accept: without the consent box the message names the box, and the focus is on it
    accept = _action(pg, "accept")
    accept.locator("button[type=submit]").click()
    pg.wait_for_selector("#form-errors .error-box")  # type: ignore[attr-defined]
    summary = pg.inner_text("#form-errors")  # type: ignore[attr-defined]
    assert "未能受理：未勾选“被申请人同意调解”" in summary and "待核实" not in pg.content()  # type: ignore[attr-defined]
    assert pg.evaluate("document.activeElement.name") == "respondent_consents"  # type: ignore[attr-defined]
    assert pg.get_attribute("#f-accept-respondent_consents", "aria-invalid") == "true"  # type: ignore[attr-defined]
    _shot(pg, "flow-accept-refused")
    accept = _action(pg, "accept")
    accept.locator("input[name=respondent_consents]").check()
    accept.locator("button[type=submit]").click()
    pg.wait_for_selector("text=已完成：受理")  # type: ignore[attr-defined]

    # --- a session record with line breaks
    session = _action(pg, "record_session")
    session.locator("input[name=started_at]").fill(f"{china_today().isoformat()}T09:30")
    session.locator("input[name=place]").fill("东栅街道调解室")
    session.locator("input[name=attendees]").fill("李堃、王建国")
    session.locator("textarea[name=record]").fill("申请人陈述：工资未发。\n被申请人陈述：资金困难，同意分期支付。")
    session.locator("button[type=submit]").click()
    pg.wait_for_selector("text=已完成：记录调解会议")  # type: ignore[attr-defined]
    assert "工资未发。\n被申请人陈述" in pg.inner_text("#sessions .record")  # type: ignore[attr-defined]

    # --- drafting: the calculator inside the agreement form
    sign = _action(pg, "sign_agreement")
    sign.locator("textarea[name=terms]").fill("申请人放弃其他仲裁请求。\n双方就本劳动争议再无其他争议。")
    sign.locator("input[name=performance_method]").fill("银行转账")
    sign.locator("details[data-calc] summary").click()
    sign.locator("select[name=calc_kind]").select_option("unpaid_wages")
    assert sign.locator("input[name=calc_start]").is_hidden()  # only the fields of the chosen kind
    sign.locator("input[name=calc_monthly_wage]").fill("六千")
    sign.locator("input[name=calc_months]").fill("2")
    sign.locator("details[data-calc] button:has-text('计算')").click()
    sign.locator(".calc-result .error-box").wait_for()
    assert "月工资应填写阿拉伯数字" in sign.locator(".calc-result").inner_text()
    assert "参考金额" not in sign.locator(".calc-result").inner_text()  # no old or partial result
    assert sign.locator("input[name=calc_monthly_wage]").get_attribute("aria-invalid") == "true"
    assert pg.evaluate("document.activeElement.name") == "calc_monthly_wage"  # type: ignore[attr-defined]
    sign.locator("input[name=calc_monthly_wage]").fill("6000")
    sign.locator("details[data-calc] button:has-text('计算')").click()
    sign.locator(".calc-result .calc-amount").wait_for()
    assert "12,000.00元（人民币壹万贰仟元整）" in sign.locator(".calc-amount").inner_text()
    first_due = china_today() + dt.timedelta(days=10)
    sign.locator("input[name=calc_fill_count]").fill("2")
    sign.locator("input[name=calc_fill_first]").fill(first_due.isoformat())
    sign.locator("button[data-fill-rows]").click()
    assert sign.locator("input[name=ob_amount]").evaluate_all("els => els.map(e => e.value)") == ["6000.00", "6000.00"]
    dues = sign.locator("input[name=ob_due_on]").evaluate_all("els => els.map(e => e.value)")
    assert dues[0] == first_due.isoformat() and dues[1] > dues[0]
    assert "支付拖欠工资（第2期，共2期）" in sign.locator("input[name=ob_description]").nth(1).input_value()
    assert "已填入2项履行事项" in sign.locator(".fill-status").inner_text()
    _shot(pg, "flow-agreement-calculator")
    # signed without the seal: the message names the box, the rows stay
    sign.locator("input[name=signed_by_parties]").check()
    sign.locator("input[name=signed_by_mediator]").check()
    sign.locator("button[type=submit]:has-text('签署调解协议')").click()
    pg.wait_for_selector("#form-errors .error-box")  # type: ignore[attr-defined]
    assert "未勾选“已加盖调解组织印章”" in pg.inner_text("#form-errors")  # type: ignore[attr-defined]
    assert "第十四条" not in pg.inner_text("[data-error-for=sealed]")  # type: ignore[attr-defined]
    assert pg.evaluate("document.activeElement.name") == "sealed"  # type: ignore[attr-defined]
    sign = _action(pg, "sign_agreement")
    assert sign.locator("input[name=ob_amount]").evaluate_all("els => els.map(e => e.value)") == ["6000.00", "6000.00"]
    _shot(pg, "flow-sign-refused")
    sign.locator("input[name=sealed]").check()
    sign.locator("button[type=submit]:has-text('签署调解协议')").click()
    pg.wait_for_selector("text=已完成：签署调解协议")  # type: ignore[attr-defined]
    terms = pg.inner_text(".agreement .terms")  # type: ignore[attr-defined]
    assert terms == "申请人放弃其他仲裁请求。\n双方就本劳动争议再无其他争议。"  # the line break kept
    _shot(pg, "flow-case-agreed")

    # --- the agreement PDF: the file number on it, the terms once, two pages
    links = pg.locator("#documents a.download")  # type: ignore[attr-defined]
    names = [links.nth(i).inner_text() for i in range(links.count())]
    assert len(set(names)) == len(names)  # each download link has its own name
    with pg.expect_download() as info:  # type: ignore[attr-defined]
        pg.locator("#documents tr[data-kind=mediation_agreement] a.download").click()  # type: ignore[attr-defined]
    pdf = Path(info.value.path()).read_bytes()
    words = pdf_text(pdf)
    assert f"案号：{number}" in words and "3.申请人放弃其他仲裁请求。" in words
    assert words.count("支付拖欠工资（第1期，共2期）") == 1 and pdf_pages(pdf) <= 2

    # --- two payments, each with an uploaded proof file; the ledger shows the balance, the proof downloads
    proofs = (("工商银行转账回单1001.pdf", "application/pdf", b"%PDF-1.7\n%%EOF\n"),
              ("转账截图1002.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32))
    for i, (name, mime, data) in enumerate(proofs):
        pay = _action(pg, "record_performance")
        pay.locator("select[name=obligation_id]").select_option(index=0)
        pay.locator("input[name=amount]").fill("6000")
        if i == 1:
            pay.locator("input[name=payer]").fill("嘉兴某建设总承包公司")
        pay.locator("input[name=proof_files]").set_input_files([{"name": name, "mimeType": mime, "buffer": data}])
        pay.locator("button[type=submit]").click()
        pg.wait_for_selector("text=已登记付款6,000.00元，凭证文件1个")  # type: ignore[attr-defined]
        balances = pg.locator(".agreement [data-balance]").all_inner_texts()  # type: ignore[attr-defined]
        assert balances.count("0.00元") == i + 1  # one more instalment paid each time
    payments = pg.inner_text(".agreement table")  # type: ignore[attr-defined]
    assert "凭证：工商银行转账回单1001.pdf" in payments and "凭证：转账截图1002.png" in payments
    assert "嘉兴某建设总承包公司支付给李堃" in payments and "支付给李堃" in payments
    with pg.expect_download() as info:  # type: ignore[attr-defined]
        pg.locator(".agreement a.download").nth(1).click()  # type: ignore[attr-defined]
    assert Path(info.value.path()).read_bytes() == proofs[1][2]
    history = pg.inner_text(".timeline")  # type: ignore[attr-defined]
    assert "6,000.00元" in history and "余额0.00元" in history
    assert re.search(r"生成文书 · .*劳动争议调解协议书\s?（（\d{4}）东栅劳调协字第\d+号）", history)  # which document
    _shot(pg, "flow-payments")
    with Session(committing_engine) as s:
        case = s.get(Case, case_id)
        assert case is not None and [o.status for o in case.current_agreement.obligations] == ["performed"] * 2
    assert 'data-event="confirm_performed"' in pg.content()  # type: ignore[attr-defined]


def test_two_tabs_of_the_same_user_keep_the_typed_record(
        live: tuple[str, World, dict[str, int]], page: object) -> None:  # noqa: F811
    base, world, _ = live
    pg = page
    _login(pg, base, world.clerk.username)
    case_url = _register(pg, base, "王二")
    _login(pg, base, world.mediator.username)
    pg.goto(case_url)  # type: ignore[attr-defined]
    accept = _action(pg, "accept")
    accept.locator("input[name=respondent_consents]").check()
    accept.locator("button[type=submit]").click()
    pg.wait_for_selector("text=已完成：受理")  # type: ignore[attr-defined]
    other = pg.context.new_page()  # type: ignore[attr-defined]
    other.goto(case_url)
    for tab, record in ((pg, "第一次会议：双方陈述。"), (other, "第二次会议：被申请人同意支付。\n申请人同意。")):
        s = _action(tab, "record_session")
        s.locator("input[name=started_at]").fill(f"{china_today().isoformat()}T09:30")
        s.locator("input[name=place]").fill("调解室")
        s.locator("input[name=attendees]").fill("王二、王建国")
        s.locator("textarea[name=record]").fill(record)
    _action(pg, "record_session").locator("button[type=submit]").click()
    pg.wait_for_selector("text=已完成：记录调解会议")  # type: ignore[attr-defined]
    _action(other, "record_session").locator("button[type=submit]").click()
    other.wait_for_selector("#form-errors .error-box")
    message = other.inner_text("#form-errors")
    assert "您已在另一个窗口或标签页中办理了：记录调解会议" in message and "他人" not in message
    kept = _action(other, "record_session").locator("textarea[name=record]").input_value()
    assert kept == "第二次会议：被申请人同意支付。\n申请人同意。"
    assert re.search(r"调解会议及笔录（1）", other.content())  # the current page: tab A's session is there
    _shot(other, "flow-two-tabs")
    other.close()


def _id(n: int) -> str:
    body = f"33040219850101{n:03d}"
    return body + id_check_character(body)


def test_clerk_registers_a_collective_dispute_with_a_pasted_list(
        live: tuple[str, World, dict[str, int]], page: object, committing_engine: Engine) -> None:  # noqa: F811
    base, world, _ = live
    pg = page
    _login(pg, base, world.clerk.username)
    pg.goto(f"{base}/ui/intake")  # type: ignore[attr-defined]
    # a first submit with several mistakes: all of them at once, each naming its field, focus on the first
    pg.fill("#f-worker_name", "   ")  # type: ignore[attr-defined]
    pg.fill("#f-worker_id_number", "330402199003070099")  # wrong check digit  # type: ignore[attr-defined]
    pg.fill("#f-received_on", (china_today() + dt.timedelta(days=2)).isoformat())  # type: ignore[attr-defined]
    pg.click("form#intake-form > button[type=submit]")  # type: ignore[attr-defined]
    pg.wait_for_selector("#form-errors .error-box")  # type: ignore[attr-defined]
    summary = pg.inner_text("#form-errors")  # type: ignore[attr-defined]
    for words in ("争议类别：请选择争议类别", "申请人姓名：请填写申请人姓名", "申请人身份证号码：", "校验位",
                  "被申请人（用人单位）：", "收到申请日期：日期不能晚于今天"):
        assert words in summary, words
    assert "长度应为" not in summary
    assert pg.evaluate("document.activeElement.id") == "f-category"  # type: ignore[attr-defined]
    _shot(pg, "flow-intake-errors")

    pg.select_option("#f-category", "remuneration")  # type: ignore[attr-defined]
    pg.fill("#f-worker_name", "张三")  # type: ignore[attr-defined]
    pg.fill("#f-worker_id_number", "330402199003070015")  # type: ignore[attr-defined]
    pg.fill("#f-received_on", china_today().isoformat())  # type: ignore[attr-defined]
    # the employer: searched within the area, picked
    pg.fill("#f-enterprise_id", "南湖精密")  # type: ignore[attr-defined]
    pg.wait_for_selector("#ent-results button.pick")  # type: ignore[attr-defined]
    pg.click(f"#ent-results button[data-pick-enterprise='{world.enterprise.id}']")  # type: ignore[attr-defined]
    assert world.enterprise.name in pg.inner_text("#ent-chosen")  # type: ignore[attr-defined]
    # the workers: one typed row (a representative), then twelve pasted lines
    rows = pg.locator("[data-roster] [data-rows] > [data-row]")  # type: ignore[attr-defined]
    pg.click("[data-roster] [data-add-row]")  # type: ignore[attr-defined]
    assert rows.count() == 1 and rows.first.locator("select[name=extra_role]").input_value() == "worker"
    rows.first.locator("select[name=extra_role]").select_option("representative")
    rows.first.locator("input[name=extra_name]").fill("代表甲")
    rows.first.locator("input[name=extra_id_number]").fill(_id(99))
    pg.click("details.import summary")  # type: ignore[attr-defined]
    pasted = "\n".join(f"工人{i}\t{_id(i)}\t1381234{i:04d}" for i in range(1, 13))
    pg.fill("#f-roster_text", pasted)  # type: ignore[attr-defined]
    pg.click("[data-import-text]")  # type: ignore[attr-defined]
    pg.wait_for_selector("#roster-status:has-text('已导入12人')")  # type: ignore[attr-defined]
    assert rows.count() == 13 and rows.nth(12).locator("input[name=extra_name]").input_value() == "工人12"
    assert rows.nth(12).locator("label").first.inner_text() == "第13行 身份"  # renumbered labels
    assert pg.input_value("#f-roster_text") == ""  # type: ignore[attr-defined]
    pg.fill("#f-workers_unlisted", "5")  # type: ignore[attr-defined]
    headcount = pg.inner_text("[data-headcount]")  # type: ignore[attr-defined]
    assert "涉及劳动者：19人" in headcount and "集体争议" in headcount  # 1 + 13 + 5
    rows.nth(3).locator("button[data-remove-row]").click()  # a wrong line: removed
    assert rows.count() == 12 and "涉及劳动者：18人" in pg.inner_text("[data-headcount]")  # type: ignore[attr-defined]
    _shot(pg, "flow-intake-collective")
    pg.click("form#intake-form > button[type=submit]")  # no common claim yet  # type: ignore[attr-defined]
    pg.wait_for_selector("#form-errors .error-box")  # type: ignore[attr-defined]
    assert "集体争议请写明全体劳动者的共同请求" in pg.inner_text("#form-errors")  # type: ignore[attr-defined]
    assert rows.count() == 12  # the list survives the refusal
    pg.fill("#f-requests", "全体职工共同请求支付拖欠的2个月工资")  # type: ignore[attr-defined]
    pg.click("form#intake-form > button[type=submit]")  # type: ignore[attr-defined]
    pg.wait_for_selector("text=已登记案件")  # type: ignore[attr-defined]
    assert "集体争议 18人" in pg.inner_text("h1")  # type: ignore[attr-defined]
    parties = pg.inner_text("table.parties")  # type: ignore[attr-defined]
    assert "劳动者代表" in parties and "职工代表" not in parties and "工人12" in parties
    _shot(pg, "flow-case-collective")
    with Session(committing_engine) as s:
        case = s.get(Case, int(pg.url.rsplit("/", 1)[1]))  # type: ignore[attr-defined]
        assert case is not None and case.workers_count == 18 and case.is_collective
        assert case.requests == "全体职工共同请求支付拖欠的2个月工资"
    # the clerk reports the collective dispute from the limit's row
    pg.click("#deadlines a[href='#act-escalate']")  # type: ignore[attr-defined]
    _action(pg, "escalate").locator("button[type=submit]").click()
    pg.wait_for_selector("text=已完成：上报集体争议")  # type: ignore[attr-defined]
    assert "集体争议上报" in pg.inner_text("header.case-head")  # type: ignore[attr-defined]
    assert pg.locator("details[data-event=escalate]").count() == 0  # type: ignore[attr-defined]
    _shot(pg, "flow-collective-reported")
