"""Phone and accessibility, in a real browser (Debian's chromium, as tests/browser/test_ui.py): at 390 px no page
scrolls sideways and tables become stacked cards (names never wrap one character per line); a skip link leads to
the content; every field has a label; each "下载 PDF" link has its own name."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from documents.service import PdfProducer
from mediation.accounts.users import actor_for
from mediation.cases import service as svc
from mediation.db.models import User
from mediation.domain.clock import china_today
from tests.browser.test_ui import CHROMIUM, _login, _shot, live, page  # noqa: F401  (fixtures)
from tests.factories import World, agreement_payload, application, session_payload, standard_env

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="SKIPPED: Debian's chromium is not installed (scripts/install-system.sh)")

#: Form controls without an accessible name (a label, aria-label/-labelledby, a title, or a button's text).
UNLABELLED = """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea, button'))
  .filter(el => !((el.labels && el.labels.length) || el.getAttribute('aria-label') ||
                  el.getAttribute('aria-labelledby') || el.title || (el.tagName === 'BUTTON' && el.textContent.trim())))
  .map(el => el.tagName + ':' + (el.name || el.id))"""


def _check_page(pg: object, name: str) -> None:
    width = pg.viewport_size["width"]  # type: ignore[attr-defined]
    assert pg.evaluate("() => document.documentElement.scrollWidth") <= width, name  # type: ignore[attr-defined]
    assert pg.evaluate(UNLABELLED) == [], name  # type: ignore[attr-defined]


def test_phone_width_labels_skip_link_and_download_names(
        live: tuple[str, World, dict[str, int]], page: object, committing_engine: Engine) -> None:  # noqa: F811
    base, world, _ = live
    today = china_today()
    with Session(committing_engine, expire_on_commit=False) as s:
        env = standard_env(s, documents=PdfProducer())  # the documents the transitions produce, as in the app
        clerk, mediator = s.get(User, world.clerk.id), s.get(User, world.mediator.id)
        assert clerk is not None and mediator is not None
        case = svc.create_case(s, actor=actor_for(clerk), data=application(
            world, title="欧阳娜娜与嘉兴市南湖精密机械有限公司劳动争议"), env=env)
        for event, payload in (("accept", {"respondent_consents": True}), ("record_session", session_payload()),
                               ("sign_agreement", agreement_payload(today))):
            svc.fire_event(s, case_id=case.id, event=event, actor=actor_for(mediator), payload=payload,
                           env=env)
        case_id = case.id
    pg = page
    pg.set_viewport_size({"width": 390, "height": 844})  # type: ignore[attr-defined]
    _login(pg, base, world.mediator.username)
    for url, name in (("/ui/", "phone-workbench"), ("/ui/cases", "phone-case-list"),
                      (f"/ui/cases/{case_id}", "phone-case"), ("/ui/intake", "phone-intake"),
                      ("/ui/calculator", "phone-calculator")):
        pg.goto(base + url)  # type: ignore[attr-defined]
        pg.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
        _check_page(pg, name)
        _shot(pg, name)
    # the case page: stacked cards, names on one line, each download link named by its document
    pg.goto(f"{base}/ui/cases/{case_id}")  # type: ignore[attr-defined]
    assert pg.evaluate("() => getComputedStyle(document.querySelector('table.parties td')).display") == "block"  # type: ignore[attr-defined]
    name_cell = pg.locator("table.parties td.name").first  # type: ignore[attr-defined]
    box = name_cell.bounding_box()
    assert box is not None and box["width"] > 200  # not one character per line
    links = pg.locator("#documents a.download")  # type: ignore[attr-defined]
    names = [links.nth(i).evaluate("el => el.textContent.trim()") for i in range(links.count())]
    assert len(names) >= 3 and len(set(names)) == len(names)
    assert any("劳动争议调解协议书" in n for n in names)
    # the skip link: the first thing the keyboard reaches, and it moves the focus to the content
    pg.keyboard.press("Tab")  # type: ignore[attr-defined]
    assert pg.evaluate("() => document.activeElement.textContent") == "跳到主要内容"  # type: ignore[attr-defined]
    pg.keyboard.press("Enter")  # type: ignore[attr-defined]
    assert pg.evaluate("() => document.activeElement.id") == "main"  # type: ignore[attr-defined]

    _login(pg, base, world.city_supervisor.username)
    for url, name in (("/ui/dashboard", "phone-dashboard"), ("/ui/alerts", "phone-alerts"),
                      ("/ui/today", "phone-today")):
        pg.goto(base + url)  # type: ignore[attr-defined]
        pg.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
        _check_page(pg, name)
        _shot(pg, name)
