"""Documents off the request: the transition numbers the document and stores its snapshot (``pending``), the
``documents.render`` job renders it into the blob store and records ``document_generated`` once; the API answers
with ``status`` and a ``Location`` to poll, the case page shows 生成中 and polls itself; a render that fails for
good is ``failed`` (its number kept, the supervisors' today list shows it) and a mediator or supervisor renders
it again — never a number lost or reused."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.app import create_app
from documents import service as doc_service
from mediation.blobs import DirectoryBlobStore
from mediation.db.models import CaseEvent
from mediation.db.models_documents import GeneratedDocument
from mediation.queue import RecordingQueue
from mediation.runtime.env import EnvFactory
from mediation.wiring import OBSERVERS
from tests.api.ui.test_ui_pages import login
from tests.factories import World, application
from tests.fixtures import Api
from tests.helpers import TODAY as TODAY_


class Manual:
    """What the test app's render jobs see: a queue that only records (a worker that has not run yet)."""

    def __init__(self, root: Path) -> None:
        self.blobs = DirectoryBlobStore(root)
        self.queue = RecordingQueue()

    def run(self, db: Session) -> list[str]:
        """Run every recorded render job as a worker does (its own unit, committed)."""
        out = []
        for task, kwargs in self.queue.deferred:
            assert task == doc_service.RENDER_TASK
            out.append(doc_service.render_document(db, blobs=self.blobs, **kwargs))
            db.commit()
        self.queue.deferred.clear()
        return out


@pytest.fixture
def manual(tmp_path: Path) -> Manual:
    return Manual(tmp_path / "blobs")


@pytest.fixture
def app(db: Session, manual: Manual) -> Iterator[Flask]:
    conn = db.connection()

    def factory() -> Session:
        return Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)

    envs = EnvFactory(observers=OBSERVERS, documents=doc_service.PdfProducer(manual.blobs, manual.queue))
    yield create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True,
                      "BLOB_STORE": f"dir:{manual.blobs.root}"}, session_factory=factory, env_factory=envs)


def _accepted(api: Api, world: World) -> dict[str, Any]:
    r = api.as_(world.clerk).post("/api/v1/cases/", json=application(world))
    assert r.status_code == 201, r.json
    case = r.json
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case['id']}/transitions", json={
        "event": "accept", "payload": {"respondent_consents": True, "mediator_id": world.mediator.id},
        "version": case["version"]})
    assert r.status_code == 200, r.json
    return r.json


def _generated_events(db: Session, document_id: int) -> list[CaseEvent]:
    return [e for e in db.scalars(select(CaseEvent).where(CaseEvent.event == "document_generated"))
            if e.payload.get("document_id") == document_id]


def test_the_transition_numbers_the_document_and_the_job_renders_it_once(api: Api, world: World, db: Session,
                                                                         manual: Manual) -> None:
    case = _accepted(api, world)
    docs = api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}/documents").json
    notice = next(d for d in docs if d["kind"] == "acceptance_notice")
    assert notice["status"] == "pending" and notice["sha256"] is None and notice["pages"] is None
    assert notice["number"].endswith("劳调受字第1号")  # numbered by the transition itself
    assert ("documents.render", {"document_id": notice["id"]}) in manual.queue.deferred
    assert _generated_events(db, notice["id"]) == []

    r = api.as_(world.mediator).get(notice["url"])
    assert r.status_code == 200 and r.json["status"] == "pending" and r.headers["Retry-After"] == "1"
    r = api.as_(world.mediator).get(notice["download_url"])
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
    assert r.json["code"] == "document_not_ready" and "生成中" in r.json["detail"]

    # the case page says so and polls its documents' table
    client = api.client
    login(client, world.mediator.username)
    page = client.get(f"/ui/cases/{case['id']}").get_data(as_text=True)
    assert "生成中" in page and 'hx-trigger="every 2s"' in page
    assert f"/ui/cases/{case['id']}/documents/table" in page

    assert any("已生成" in line for line in manual.run(db))
    r = api.as_(world.mediator).get(notice["url"])
    assert r.status_code == 200 and r.json["status"] == "ready" and "Retry-After" not in r.headers
    assert r.json["number"] == notice["number"] and r.json["rendered_at"]
    pdf = api.as_(world.mediator).get(notice["download_url"])
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == r.json["sha256"]
    assert len(_generated_events(db, notice["id"])) == 1
    fragment = client.get(f"/ui/cases/{case['id']}/documents/table").get_data(as_text=True)
    assert "下载 PDF" in fragment and "hx-trigger" not in fragment and "生成中" not in fragment

    # the job run again (a retry after a lost acknowledgement) changes nothing: the document appears once
    assert "已生成" in doc_service.render_document(db, document_id=notice["id"], blobs=manual.blobs)
    db.commit()
    assert len(_generated_events(db, notice["id"])) == 1


def test_on_demand_generation_answers_202_with_a_location_while_pending(api: Api, world: World, db: Session,
                                                                       manual: Manual) -> None:
    case = _accepted(api, world)
    manual.run(db)
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case['id']}/documents", json={"kind": "acceptance_notice"})
    assert r.status_code == 202, r.json
    assert r.headers["Location"] == r.json["url"] and r.json["status"] == "pending" and r.json["version"] == 2
    assert r.headers["Retry-After"] == "1"
    manual.run(db)
    polled = api.as_(world.mediator).get(r.headers["Location"])
    assert polled.json["status"] == "ready" and polled.json["number"] == r.json["number"]


def test_a_failed_render_keeps_its_number_shows_to_supervisors_and_can_be_rendered_again(
        api: Api, world: World, db: Session, manual: Manual, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _accepted(api, world)
    notice_id = next(d["id"] for d in api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}/documents").json
                     if d["kind"] == "acceptance_notice")

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("字体文件损坏")

    monkeypatch.setattr(doc_service, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        doc_service.render_document(db, document_id=notice_id, blobs=manual.blobs)
    db.rollback()
    doc_service.render_failed(db, RuntimeError("字体文件损坏"), document_id=notice_id)  # after the last attempt
    db.commit()
    manual.queue.deferred.clear()
    failed = api.as_(world.mediator).get(f"/api/v1/cases/{case['id']}/documents/{notice_id}").json
    assert failed["status"] == "failed" and "字体文件损坏" in failed["error"] and failed["sha256"] is None
    assert _generated_events(db, notice_id) == []

    # the supervisors' today list shows it, with the way to the case
    client = api.client
    login(client, world.supervisor.username)
    today = client.get("/ui/today").get_data(as_text=True)
    assert "文书生成失败" in today and failed["number"] in today and "字体文件损坏" in today

    url = f"/api/v1/cases/{case['id']}/documents/{notice_id}/render"
    assert api.as_(world.clerk).post(url).status_code == 403  # a clerk may not
    monkeypatch.undo()
    r = api.as_(world.supervisor).post(url)
    assert r.status_code == 202 and r.json["status"] == "pending" and r.headers["Location"] == failed["url"]
    again = api.as_(world.supervisor).post(url)  # a second click while it is pending
    assert again.status_code == 409 and again.json["code"] == "document_not_ready"
    manual.run(db)
    ready = api.as_(world.mediator).get(failed["url"]).json
    assert ready["status"] == "ready" and ready["number"] == failed["number"] and ready["version"] == 1
    assert len(_generated_events(db, notice_id)) == 1
    assert api.as_(world.mediator).post(url).status_code == 409  # nothing to render again

    # the next document of the kind takes the next number: none lost, none reused
    _accepted(api, world)
    numbers = db.scalars(select(GeneratedDocument.number).where(GeneratedDocument.kind == "acceptance_notice",
                                                                 GeneratedDocument.version == 1)
                         .order_by(GeneratedDocument.id)).all()
    assert numbers == [failed["number"], failed["number"].replace("第1号", "第2号")]


@pytest.mark.postgres_only
def test_workers_retry_a_render_mark_it_failed_after_the_last_attempt_and_render_it_again(
        committing_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real task (``mediation.tasks.unit_tasks``) on procrastinate: every attempt fails → ``failed`` with the
    reason and no event; rendered again (``rerender``) once the cause is gone → ready, the same number, one event."""
    import asyncio
    from dataclasses import replace

    from mediation.queue import PostgresQueue, conninfo
    from mediation.tasks import unit_tasks
    from mediation.tasks.worker import build_app
    from tests.factories import build_world, new_case

    blobs = DirectoryBlobStore(tmp_path / "blobs")
    tasks = {name: replace(spec, retries=2, wait=0) for name, spec in unit_tasks(blobs).items()}  # no waiting
    factory = lambda: Session(committing_engine, expire_on_commit=False)  # noqa: E731
    app = build_app(factory, conninfo=conninfo(committing_engine.url.render_as_string(hide_password=False)),
                    tasks=tasks, periodic=False)

    def drain() -> None:
        async def run() -> None:
            async with app.open_async():
                await app.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)

        asyncio.run(run())

    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s, "_retry")
        case = new_case(s, world, TODAY_)
        doc = doc_service.generate_on_demand(s, actor=world.actor(world.mediator), case_id=case.id,
                                             kind="application", blobs=blobs, queue=PostgresQueue())
        doc_id, number, case_id = doc.id, doc.number, case.id
        supervisor = world.actor(world.supervisor)
    attempts: list[int] = []

    def broken(*_: Any, **__: Any) -> Any:
        attempts.append(1)
        raise RuntimeError("字体文件损坏")

    monkeypatch.setattr(doc_service, "render_pdf", broken)
    for _ in range(3):
        drain()
    assert len(attempts) == 3  # the first attempt and two retries
    with Session(committing_engine) as s:
        failed = s.get(GeneratedDocument, doc_id)
        assert failed is not None and failed.status == "failed" and "字体文件损坏" in failed.error
        assert _generated_events(s, doc_id) == []
    monkeypatch.undo()
    with Session(committing_engine, expire_on_commit=False) as s:
        again = doc_service.rerender(s, actor=supervisor, case_id=case_id, document_id=doc_id,
                                     queue=PostgresQueue(), blobs=blobs)
        assert again.status == "pending"
    drain()
    with Session(committing_engine) as s:
        ready = s.get(GeneratedDocument, doc_id)
        assert ready is not None and ready.status == "ready" and ready.number == number and not ready.error
        assert len(_generated_events(s, doc_id)) == 1
