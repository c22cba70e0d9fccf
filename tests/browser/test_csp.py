"""The pages work under the strict Content-Security-Policy, in a real browser (Debian's chromium, as
tests/browser/test_ui.py): no CSP violation and no console error on the main pages — login, workbench,
intake, risk signals, the calculator (an htmx swap), a case page, the dashboard (ECharts map and charts, their
tooltips), the alerts inbox and the interactive API documentation (Swagger UI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.security import CONTENT_SECURITY_POLICY
from mediation.accounts.users import actor_for
from mediation.cases import service as svc
from mediation.db.models import User
from mediation.risk.signals import record_signal
from tests.browser.test_ui import CHROMIUM, _login, _shot, live, page  # noqa: F401  (fixtures)
from tests.factories import World, application
from tests.helpers import signal_data

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="SKIPPED: Debian's chromium is not installed (scripts/install-system.sh)")

#: Runs before any page script (DevTools injects it, outside the page's CSP): records every violation.
_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  var what = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 160) : '';
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber
                    + ' ' + what);
});
"""


class Watch:
    def __init__(self, pg: Any) -> None:
        self.pg = pg
        self.console: list[str] = []
        self.headers: dict[str, dict[str, str]] = {}
        pg.add_init_script(_WATCH)
        pg.on("console", self._console)
        pg.on("pageerror", lambda e: self.console.append(f"pageerror {e}"))

    def _console(self, msg: Any) -> None:
        if msg.type in ("error", "warning") or "Content Security Policy" in msg.text:
            self.console.append(f"{msg.type} {msg.text}")

    def login(self, base: str, username: str) -> None:
        _login(self.pg, base, username)  # it visits a missing page first (a 404 on purpose): not counted
        self.console.clear()

    def visit(self, url: str) -> None:
        resp = self.pg.goto(url)
        assert resp is not None and resp.status == 200, (url, resp and resp.status)
        self.headers[url] = resp.headers
        self.pg.wait_for_load_state("networkidle")

    def check(self, where: str) -> None:
        violations = self.pg.evaluate("() => window.__csp || []")
        assert violations == [], (where, violations)
        assert self.console == [], (where, self.console)


def test_no_csp_violation_on_the_main_pages(live: tuple[str, World, dict[str, int]], page: Any,  # noqa: F811
                                            committing_engine: Engine) -> None:
    base, world, _ = live
    with Session(committing_engine, expire_on_commit=False) as s:
        clerk = s.get(User, world.clerk.id)
        assert clerk is not None
        case_id = svc.create_case(s, actor=actor_for(clerk), data=application(world, title="CSP页面检查"),
                                  env=world.env).id
        record_signal(s, actor=actor_for(clerk), data=signal_data(world, wage_arrears_months="3"))  # a red alert

    w = Watch(page)
    w.visit(f"{base}/login")
    w.check("login")
    w.login(base, world.mediator.username)
    for path in ("/ui/", "/ui/intake", "/ui/signals", f"/ui/cases/{case_id}", "/ui/calculator"):
        w.visit(base + path)
        w.check(path)
    form = page.locator("form:has(select[name=calc_kind])")
    form.locator("select[name=calc_kind]").select_option("compensation")
    form.locator("input[name=calc_monthly_wage]").fill("8000")
    form.locator("input[name=calc_start]").fill("2022-03-01")
    form.locator("input[name=calc_end]").fill("2025-09-30")
    form.locator("button[type=submit]").first.click()
    page.wait_for_selector("#calc-result >> text=32,000.00元")  # htmx did the swap, CSRF header and all
    w.check("calculator (htmx)")

    w.login(base, world.city_supervisor.username)
    w.visit(f"{base}/ui/dashboard")
    page.wait_for_selector("#map[data-ready]")
    w.check("dashboard (loaded)")
    for chart in ("#map", "#trend", "#categories", "#levels"):  # tooltips are HTML: no inline style refused
        box = page.locator(chart).bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(300)
    assert page.locator(".level-dot.level-red").count() >= 1  # the alert's colour, from a class
    colour = page.evaluate("() => getComputedStyle(document.querySelector('.level-dot.level-red')).backgroundColor")
    assert colour == "rgb(217, 54, 62)"
    w.check("dashboard")
    _shot(page, "dashboard-csp")
    w.visit(f"{base}/ui/alerts")
    w.check("alerts")

    w.visit(f"{base}/api/v1/docs")
    page.wait_for_selector(".opblock-tag", timeout=15000)  # Swagger UI rendered the operations
    page.locator(".opblock-tag").first.click()
    page.wait_for_selector(".opblock-summary")
    w.check("docs")
    _shot(page, "api-docs")

    for url, headers in w.headers.items():
        assert headers.get("content-security-policy") == CONTENT_SECURITY_POLICY, url
        assert headers.get("x-frame-options") == "DENY" and headers.get("x-content-type-options") == "nosniff", url
