"""Hand-off packages and the supervisors' bulk actions in a real browser (Debian's chromium, as
tests/browser/test_ui.py): the case page's 移交材料 section (htmx), the case list's bulk reassignment and the
alerts inbox's bulk acknowledgement."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mediation.accounts.users import actor_for
from mediation.cases import service as svc
from mediation.db.models import Case, User
from mediation.db.models_handoff import HandoffPackage
from mediation.db.models_risk import RiskAlert
from mediation.domain.clock import china_today
from tests.browser.test_ui import CHROMIUM, _login, _shot, live, page  # noqa: F401  (fixtures)
from tests.factories import World, application, session_payload

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="SKIPPED: Debian's chromium is not installed (scripts/install-system.sh)")


PAYLOADS = {"accept": {"respondent_consents": True}, "record_session": session_payload(),
            "terminate": {"end_reason": "failed", "reason": "双方分歧较大，调解不成"}}


def _cases(engine: Engine, world: World, n: int, *events: str, **overrides: object) -> list[int]:
    ids = []
    with Session(engine, expire_on_commit=False) as s:
        clerk, mediator = s.get(User, world.clerk.id), s.get(User, world.mediator.id)
        assert clerk is not None and mediator is not None
        for i in range(n):
            case = svc.create_case(s, actor=actor_for(clerk), data=application(world, title=f"浏览器测试案件{i}",
                                                                                **overrides), env=world.env)
            for ev in events:
                payload = {**PAYLOADS[ev], **({"mediator_id": mediator.id} if ev == "accept" else {})}
                case = svc.fire_event(s, case_id=case.id, event=ev, actor=actor_for(mediator), payload=payload,
                                      env=world.env, today=china_today())
            ids.append(case.id)
    return ids


def test_referral_package_made_and_sent_from_the_case_page(
        live: tuple[str, World, dict[str, int]], page: object, committing_engine: Engine) -> None:  # noqa: F811
    base, world, _ = live
    [case_id] = _cases(committing_engine, world, 1, "accept", "record_session", "terminate")
    pg = page
    _login(pg, base, world.mediator.username)
    pg.goto(f"{base}/ui/cases/{case_id}")  # type: ignore[attr-defined]
    section = pg.locator("section#handoff[data-handoff]")  # type: ignore[attr-defined]
    section.wait_for()
    assert "可以制作" in section.locator("tr[data-option=referral]").inner_text()
    section.locator("#handoff-addressee").fill("嘉兴市南湖区劳动人事争议仲裁委员会")
    section.locator("form.handoff-create button[type=submit]").click()
    pg.wait_for_selector(".flash.ok:has-text('已制作申请仲裁材料')", timeout=60_000)  # type: ignore[attr-defined]
    pkg = pg.locator("article.handoff-package[data-status=ready]")  # type: ignore[attr-defined]
    pkg.wait_for()
    # the page was reloaded: the documents the package generated are listed
    assert pg.locator("#documents tr[data-kind=referral_letter]").count() >= 1  # type: ignore[attr-defined]
    assert "移交材料清单" in pkg.inner_text() and pkg.locator("a.download").count() == 2
    _shot(pg, "case-handoff-package")
    with pg.expect_download() as dl:  # type: ignore[attr-defined]
        pkg.locator("a.download").first.click()
    assert dl.value.suggested_filename.endswith(".zip")
    # dispatch without a method: the error beside the field, nothing written
    pkg.locator("details.action summary").first.click()
    pkg.locator("form button[type=submit]").first.click()
    pg.wait_for_selector("[data-error-for=method]")  # type: ignore[attr-defined]
    with Session(committing_engine) as s:
        assert s.get(Case, case_id).status == "terminated"  # type: ignore[union-attr]
    pkg = pg.locator("article.handoff-package")  # type: ignore[attr-defined]
    pkg.locator("select[name=method]").select_option("post")
    pkg.locator("input[name=tracking_number]").fill("EMS1234567890CN")
    pkg.locator("form button[type=submit]").first.click()
    pg.wait_for_selector("[data-dispatch]", timeout=30_000)  # type: ignore[attr-defined]
    assert "EMS1234567890CN" in pg.locator("[data-dispatch]").inner_text()  # type: ignore[attr-defined]
    with Session(committing_engine) as s:
        assert s.get(Case, case_id).status == "referred"  # type: ignore[union-attr]
        assert s.scalar(select(HandoffPackage.tracking_number).where(HandoffPackage.case_id == case_id)) \
            == "EMS1234567890CN"


def test_supervisor_reassigns_ticked_cases_from_the_case_list(
        live: tuple[str, World, dict[str, int]], page: object, committing_engine: Engine) -> None:  # noqa: F811
    base, world, _ = live
    ids = _cases(committing_engine, world, 2, "accept")
    pg = page
    _login(pg, base, world.supervisor.username)
    pg.goto(f"{base}/ui/cases?mediator={world.mediator.id}")  # type: ignore[attr-defined]
    for cid in ids:
        pg.locator(f"tr[data-case='{cid}'] input[name=case_ids]").check()  # type: ignore[attr-defined]
    pg.locator("#bulk-reassign-box summary").click()  # type: ignore[attr-defined]
    pg.select_option("#bulk-to", str(world.mediator2.id))  # type: ignore[attr-defined]
    pg.fill("#bulk-reason", "原调解员休假")  # type: ignore[attr-defined]
    pg.locator("#bulk-reassign button[type=submit]").click()  # type: ignore[attr-defined]
    pg.wait_for_selector("#bulk-summary")  # type: ignore[attr-defined]
    assert "已改派2件" in pg.inner_text("#bulk-summary")  # type: ignore[attr-defined]
    _shot(pg, "cases-bulk-reassign-result")
    with Session(committing_engine) as s:
        assert {s.get(Case, i).lead_mediator_id for i in ids} == {world.mediator2.id}  # type: ignore[union-attr]


def test_supervisor_acknowledges_ticked_alerts_with_a_note(
        live: tuple[str, World, dict[str, int]], page: object, committing_engine: Engine) -> None:  # noqa: F811
    base, world, _ = live
    _cases(committing_engine, world, 1, workers_count=12)
    pg = page
    _login(pg, base, world.supervisor.username)
    pg.goto(f"{base}/ui/alerts")  # type: ignore[attr-defined]
    boxes = pg.locator("input[name=alert_ids]")  # type: ignore[attr-defined]
    assert boxes.count() >= 1
    ticked = []
    for i in range(boxes.count()):
        boxes.nth(i).check()
        ticked.append(int(boxes.nth(i).get_attribute("value")))
    pg.fill("#bulk-note", "已电话核实，统一签收")  # type: ignore[attr-defined]
    pg.locator("#bulk-ack button[type=submit]").click()  # type: ignore[attr-defined]
    pg.wait_for_selector(".flash.ok:has-text('已批量签收')")  # type: ignore[attr-defined]
    with Session(committing_engine) as s:
        rows = s.scalars(select(RiskAlert).where(RiskAlert.id.in_(ticked))).all()
        assert {a.status for a in rows} == {"acknowledged"} and {a.actions for a in rows} == {"已电话核实，统一签收"}
