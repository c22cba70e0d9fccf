"""The web UI in a real browser: Playwright driving Debian's chromium (never a downloaded browser).

A live server runs the app on the pass's database with real commits. Screenshots of the main pages
are saved under test-artifacts/screenshots/ (kept by CI as artefacts).
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from api.app import create_app
from mediation.cases import service as svc
from mediation.db.engine import make_session_factory
from mediation.domain.clock import china_today
from tests.factories import PASSWORD, World, application, build_world

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="SKIPPED: Debian's chromium is not installed (scripts/install-system.sh)")


@pytest.fixture
def live(committing_engine: Engine) -> Iterator[tuple[str, World, dict[str, int]]]:
    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s)
        other = svc.create_case(s, actor=world.actor(world.outsider),
                                data=application(world, organisation_id=world.other_county.id,
                                                 title="秀洲区的案件"), env=world.env)
        ids = {"other": other.id}
    app = create_app({"TESTING": True, "SECRET_KEY": "browser"},
                     session_factory=make_session_factory(committing_engine))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", world, ids
    finally:
        server.shutdown()


@pytest.fixture
def page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        pg = ctx.new_page()
        yield pg
        ctx.close()
        browser.close()


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _login(page: object, base: str, username: str) -> None:
    page.goto(f"{base}/logout_get_not_exists")  # type: ignore[attr-defined]
    page.context.clear_cookies()  # type: ignore[attr-defined]
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/ui/")  # type: ignore[attr-defined]


def _action(page: object, event: str) -> object:
    details = page.locator(f"details[data-event={event}]")  # type: ignore[attr-defined]
    details.evaluate("d => { d.open = true; }")  # open (it may already be open after a refused submit)
    return details


# The intake-to-agreement walk (list, search, accept, session, calculator, signing, PDF, payments) is in
# tests/browser/test_flows.py.


def test_mediator_cannot_open_another_organisations_case(live: tuple[str, World, dict[str, int]],
                                                         page: object) -> None:
    base, world, ids = live
    _login(page, base, world.mediator.username)
    resp = page.goto(f"{base}/ui/cases/{ids['other']}")  # type: ignore[attr-defined]
    assert resp.status == 404
    page.goto(f"{base}/ui/")  # type: ignore[attr-defined]
    assert "秀洲区的案件" not in page.content()  # type: ignore[attr-defined]
    _login(page, base, world.city_supervisor.username)
    resp = page.goto(f"{base}/ui/cases/{ids['other']}")  # type: ignore[attr-defined]
    assert resp.status == 200 and "秀洲区的案件" in page.content()  # type: ignore[attr-defined]
    _shot(page, "case-supervisor-masked")
    assert "3304**********0015" in page.content()  # masked for supervisors  # type: ignore[attr-defined]


def test_supervisor_dashboard_shows_the_map_with_data(live: tuple[str, World, dict[str, int]], page: object,
                                                      committing_engine: Engine) -> None:
    base, world, _ = live
    with Session(committing_engine, expire_on_commit=False) as s:
        from mediation.accounts.users import actor_for
        from mediation.db.models import User

        clerk = s.get(User, world.clerk.id)
        assert clerk is not None
        for i in range(3):
            svc.create_case(s, actor=actor_for(clerk), data=application(world, title=f"南湖案件{i}"), env=world.env)
        svc.create_case(s, actor=actor_for(clerk), today=china_today() - dt.timedelta(days=3),
                        data=application(world, title="集体欠薪", workers_count=25, is_collective=True), env=world.env)
        from mediation.risk.signals import record_signal
        from tests.helpers import signal_data

        record_signal(s, actor=actor_for(clerk), data=signal_data(world, wage_arrears_months="3"))  # red
    _login(page, base, world.mediator.username)
    assert page.goto(f"{base}/ui/dashboard").status == 403  # type: ignore[attr-defined]
    assert "无权查看" in page.inner_text("main")  # type: ignore[attr-defined]  # a page in Chinese, not JSON

    _login(page, base, world.city_supervisor.username)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))  # type: ignore[attr-defined]
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)  # type: ignore[attr-defined]
    page.goto(f"{base}/ui/dashboard")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert errors == [], page.inner_text("main")  # type: ignore[attr-defined]
    page.wait_for_selector("#map[data-ready]")  # type: ignore[attr-defined]
    shown = page.evaluate(  # type: ignore[attr-defined]
        "() => window.dashboardCharts.map.getOption().series[0].data.filter(d => d.value > 0)"
        ".map(d => [d.name, d.value])")
    assert dict(shown) == {"南湖区": 5}  # counted where the enterprise is (the other case too)
    areas = page.inner_text("#areas")  # type: ignore[attr-defined]
    assert "南湖区" in areas
    assert page.inner_text("#kpi-cases") == "5"  # type: ignore[attr-defined]
    # the same map by current warning level: where the red and orange enterprises are
    assert "1/0" in areas and "红色1家" in page.inner_text("#warn-total")  # type: ignore[attr-defined]
    page.check("input[value='warn:high']")  # type: ignore[attr-defined]
    page.wait_for_selector("#map[data-metric='warn:high']")  # type: ignore[attr-defined]
    shown = page.evaluate(  # type: ignore[attr-defined]
        "() => window.dashboardCharts.map.getOption().series[0].data.filter(d => d.value > 0)"
        ".map(d => [d.name, d.value])")
    assert dict(shown) == {"南湖区": 1}
    _shot(page, "dashboard-warnings")
    page.check("input[value='cases']")  # type: ignore[attr-defined]
    _shot(page, "dashboard")
    page.set_viewport_size({"width": 768, "height": 1024})  # type: ignore[attr-defined]  # a tablet
    page.reload()  # type: ignore[attr-defined]
    page.wait_for_selector("#map[data-ready]")  # type: ignore[attr-defined]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 768  # type: ignore[attr-defined]
    _shot(page, "dashboard-tablet")
    page.set_viewport_size({"width": 1366, "height": 768})  # type: ignore[attr-defined]

    # the levels chart counts enterprises (家), most severe first, like the sentence under it
    page.wait_for_selector("#levels[data-ready]")  # type: ignore[attr-defined]
    assert page.get_attribute("#levels", "data-ready") == "red:1,orange:0,yellow:0"  # type: ignore[attr-defined]

    page.click("#areas >> text=南湖区")  # type: ignore[attr-defined]  # drill down: the district's parks
    page.wait_for_selector("#parks-chart[data-ready]")  # type: ignore[attr-defined]
    assert world.park.name in page.inner_text("#areas")  # type: ignore[attr-defined]
    _shot(page, "dashboard-district")
    page.click(f"#areas >> text={world.park.name}")  # type: ignore[attr-defined]  # and into the park
    page.wait_for_selector("text=园区内各企业案件")  # type: ignore[attr-defined]
    assert world.park.name in page.inner_text("h1")  # type: ignore[attr-defined]
    assert page.inner_text("#kpi-cases") == "5"  # type: ignore[attr-defined]
    _shot(page, "dashboard-park")
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.click("text=Excel 工作簿")  # type: ignore[attr-defined]
    name = info.value.suggested_filename
    assert name.startswith("督导看板_南湖区_") and world.park.name in name and name.endswith(".xlsx")
    page.click(f"#enterprises >> text={world.enterprise.name}")  # type: ignore[attr-defined]  # its cases
    page.wait_for_selector("#case-table")  # type: ignore[attr-defined]
    assert f"用人单位：{world.enterprise.name}" in page.inner_text("main")  # type: ignore[attr-defined]

    # 今日督办: grouped by committee, each item with its action
    page.click("header.top >> text=今日督办")  # type: ignore[attr-defined]
    group = page.locator(f"section[data-org='{world.township.id}']")  # type: ignore[attr-defined]
    text = group.inner_text()
    assert "红色预警，尚未报告" in text and world.enterprise.name in text
    assert "集体争议待上报" in text and "集体欠薪" in text and "已逾期" in text
    _shot(page, "today")
    group.locator("a.button", has_text="去处置").first.click()

    # the alert: signed with a note (shown), then reported with the measures
    page.wait_for_url("**/ui/alerts**")  # type: ignore[attr-defined]
    inbox = page.inner_text("main")  # type: ignore[attr-defined]
    assert "风险等级升高" in inbox and "待处置" not in inbox and "已接报" not in inbox
    item = page.locator("article[data-alert]", has_text=world.enterprise.name).first  # type: ignore[attr-defined]
    _shot(page, "alerts")
    item.locator("input[name=note]").fill("已电话核实，企业承认拖欠三个月工资")
    item.locator("button", has_text="签收").click()
    page.wait_for_selector("text=已签收预警")  # type: ignore[attr-defined]
    page.click("nav.tabs >> text=已签收")  # type: ignore[attr-defined]
    item = page.locator("article[data-alert]", has_text=world.enterprise.name).first  # type: ignore[attr-defined]
    assert "签收说明：已电话核实，企业承认拖欠三个月工资" in item.inner_text()
    item.locator("textarea[name=actions]").fill("约谈企业负责人，督促三日内发放")
    item.locator("button", has_text="报告").click()
    page.wait_for_selector("text=已报告预警")  # type: ignore[attr-defined]
    assert "已采取的措施：约谈企业负责人，督促三日内发放" in page.inner_text("main")  # type: ignore[attr-defined]
    _shot(page, "alerts-reported")


def test_signal_intake_and_conversion_to_a_case(live: tuple[str, World, dict[str, int]], page: object) -> None:
    base, world, _ = live
    pg = page
    _login(pg, base, world.mediator.username)
    pg.goto(f"{base}/ui/signals")  # type: ignore[attr-defined]
    form = pg.locator("#signal-form")  # type: ignore[attr-defined]
    form.locator("button[type=submit]").click()  # nothing chosen: the browser's own check stops it
    assert pg.url.endswith("/ui/signals")  # type: ignore[attr-defined]
    form.locator("select[name=enterprise_id]").select_option(str(world.enterprise.id))
    form.locator("select[name=source]").select_option("hotline_12351")
    form.locator("input[name=wage_arrears_months]").fill("3")
    form.locator("input[name=wage_arrears_amount]").fill("180000")
    form.locator("input[name=workers_affected]").fill("30")
    form.locator("input[name=no_union]").check()
    form.locator("input[name=reporter_phone]").fill("12")  # invalid: shown inline, nothing saved
    form.locator("textarea[name=description]").fill("职工反映三个月未发工资")
    form.locator("button[type=submit]").click()
    pg.wait_for_selector(".field-error")  # type: ignore[attr-defined]
    assert "暂无风险信息" in pg.inner_text("#signals")  # type: ignore[attr-defined]
    pg.locator("#signal-form input[name=reporter_phone]").fill("13812345678")  # type: ignore[attr-defined]
    pg.locator("#signal-form button[type=submit]").click()  # type: ignore[attr-defined]
    pg.wait_for_selector("text=已登记风险信息")  # type: ignore[attr-defined]
    assert "预警等级" in pg.inner_text(".flash")  # type: ignore[attr-defined]
    _shot(pg, "signals")
    pg.locator("#signals tr[data-signal] button").first.click()  # type: ignore[attr-defined]
    pg.wait_for_selector("text=已立案")  # type: ignore[attr-defined]
    assert "/ui/cases/" in pg.url and "风险信息" in pg.content()  # type: ignore[attr-defined]
