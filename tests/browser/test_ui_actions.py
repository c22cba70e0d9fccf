"""The case page's confirmations and error pages in a real browser (Debian's chromium, as tests/browser/test_ui.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mediation.accounts.users import actor_for
from mediation.cases import service as svc
from mediation.db.models import Case, User
from tests.browser.test_ui import CHROMIUM, _action, _login, _shot, live, page  # noqa: F401  (fixtures)
from tests.factories import World, application

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="SKIPPED: Debian's chromium is not installed (scripts/install-system.sh)")


def test_withdrawal_needs_the_confirmation_and_errors_are_pages(
        live: tuple[str, World, dict[str, int]], page: object, committing_engine: Engine) -> None:  # noqa: F811
    base, world, _ = live
    with Session(committing_engine, expire_on_commit=False) as s:
        clerk = s.get(User, world.clerk.id)
        assert clerk is not None
        case_id = svc.create_case(s, actor=actor_for(clerk), data=application(world, title="待撤回的案件"),
                                  env=world.env).id
    pg = page
    _login(pg, base, world.mediator.username)
    problems: list[str] = []
    pg.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)  # type: ignore[attr-defined]
    pg.goto(f"{base}/ui/cases/{case_id}")  # type: ignore[attr-defined]
    pg.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert problems == []  # the icon too: no console error on any page
    withdraw = _action(pg, "withdraw")
    withdraw.locator("textarea[name=reason]").fill("申请人撤回调解申请")
    withdraw.locator("button[type=submit]").click()  # not confirmed: the browser itself holds the form back
    box = withdraw.locator("input[name=confirm]")
    assert box.evaluate("el => el.validity.valueMissing")
    assert pg.url == f"{base}/ui/cases/{case_id}"  # type: ignore[attr-defined]
    with Session(committing_engine) as s:
        assert s.get(Case, case_id).status == "applied"  # type: ignore[union-attr]
    box.check()
    _shot(pg, "case-withdraw-confirm")
    withdraw.locator("button[type=submit]").click()
    pg.wait_for_selector("text=已完成：撤回申请")  # type: ignore[attr-defined]
    with Session(committing_engine) as s:
        assert s.get(Case, case_id).status == "withdrawn"  # type: ignore[union-attr]

    resp = pg.goto(f"{base}/ui/cases/abc")  # type: ignore[attr-defined]
    assert resp.status == 404 and "未找到" in pg.inner_text("main")  # type: ignore[attr-defined]  # not JSON
