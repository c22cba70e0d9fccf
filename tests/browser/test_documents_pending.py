"""Documents off the request, in a real browser: a document still being rendered shows 生成中 on the case page,
and the page updates itself (htmx polls the documents' table) when the worker has rendered it — no reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from documents import service as doc_service
from mediation.accounts.users import actor_for
from mediation.blobs import DirectoryBlobStore
from mediation.cases import service as svc
from mediation.db.models import User
from mediation.queue import RecordingQueue
from tests.browser.test_ui import CHROMIUM, _login, live, page  # noqa: F401  (fixtures)
from tests.factories import World, application, standard_env

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="SKIPPED: Debian's chromium is not installed (scripts/install-system.sh)")


def test_the_case_page_shows_rendering_and_updates_itself(
        live: tuple[str, World, dict[str, int]], page: object,  # noqa: F811
        committing_engine: Engine, tmp_path: Path) -> None:
    base, world, _ = live
    blobs, queue = DirectoryBlobStore(tmp_path / "blobs"), RecordingQueue()
    with Session(committing_engine, expire_on_commit=False) as s:
        env = standard_env(s, documents=doc_service.PdfProducer(blobs, queue))  # a worker that has not run yet
        clerk, mediator = s.get(User, world.clerk.id), s.get(User, world.mediator.id)
        assert clerk is not None and mediator is not None
        case = svc.create_case(s, actor=actor_for(clerk), data=application(world), env=env)
        svc.fire_event(s, case_id=case.id, event="accept", actor=actor_for(mediator),
                       payload={"respondent_consents": True}, env=env)
        case_id = case.id
    assert queue.deferred and {task for task, _ in queue.deferred} == {doc_service.RENDER_TASK}
    pg = page
    _login(pg, base, world.mediator.username)
    pg.goto(f"{base}/ui/cases/{case_id}")  # type: ignore[attr-defined]
    row = pg.locator('#documents tr[data-kind="acceptance_notice"]')  # type: ignore[attr-defined]
    assert "生成中" in row.inner_text() and row.locator("a.download").count() == 0

    with Session(committing_engine) as s:  # the worker's turn
        for _, kwargs in queue.deferred:
            doc_service.render_document(s, blobs=blobs, **kwargs)
            s.commit()
    link = pg.locator('#documents tr[data-kind="acceptance_notice"] a.download')  # type: ignore[attr-defined]
    link.wait_for(timeout=8000)  # the table polled itself every 2 s
    assert "生成中" not in pg.locator("#documents").inner_text()  # type: ignore[attr-defined]
    assert pg.locator("#doc-table[hx-trigger]").count() == 0  # polling stopped  # type: ignore[attr-defined]
    assert pg.url.endswith(f"/ui/cases/{case_id}")  # type: ignore[attr-defined]  (no reload)
