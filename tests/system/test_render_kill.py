"""A worker killed (``kill -9``) in the middle of rendering a document loses nothing: its job comes back through
the stalled-job check of the next worker, the document is rendered once — one ``document_generated``, the number
it got from the transition, a PDF that matches its hash — and no job is left behind (PostgreSQL, real worker
processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from documents import service as doc_service
from mediation.blobs import DirectoryBlobStore
from mediation.db import migrate
from mediation.db.engine import make_engine
from mediation.db.models import Case, CaseEvent
from mediation.db.models_documents import GeneratedDocument, read_content
from mediation.queue import PostgresQueue
from tests.conftest import PG_ADMIN_URL, PG_PREFIX
from tests.factories import build_world, new_case
from tests.helpers import TODAY
from tests.pgdb import drop_database, recreate_database

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    name = f"{PG_PREFIX}_kill_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    url = recreate_database(PG_ADMIN_URL, name)
    engine = make_engine(url)
    migrate.upgrade(engine)
    try:
        yield url, engine
    finally:
        engine.dispose()
        drop_database(PG_ADMIN_URL, name)


def _until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as c:
        return c.execute(text(sql), params).scalar()


def test_a_worker_killed_mid_render_loses_nothing(database: tuple[str, Engine], tmp_path: Path) -> None:
    url, engine = database
    blobs = DirectoryBlobStore(tmp_path / "blobs")
    with Session(engine) as s:
        world = build_world(s, "_kill")
        case = new_case(s, world, TODAY)
        s.commit()
        doc = doc_service.generate_on_demand(s, actor=world.actor(world.clerk), case_id=case.id,
                                             kind="application", blobs=blobs, queue=PostgresQueue())
        case_id, doc_id, number = case.id, doc.id, doc.number
        assert doc.status == "pending"
    fonts = ROOT / "instance" / "fonts"
    env = {**os.environ, "DATABASE_URL": url, "MEDIATION_BLOB_STORE": f"dir:{blobs.root}",
           "MEDIATION_INSTANCE": str(tmp_path), "MEDIATION_LOG_LEVEL": "WARNING",
           **({"MEDIATION_FONT_CACHE": str(fonts)} if fonts.is_dir() else {})}
    worker_cmd = [sys.executable, "-m", "mediation.cli.main", "worker", "--processes", "1", "--queues", "documents",
                  "--heartbeat", "0.5", "--stalled-after", "3"]

    # Hold the case row: the worker renders the PDF, puts it in the store, then waits for the case lock to record
    # the document — it is in the middle of its job, with nothing committed, when it is killed.
    holder = engine.connect()
    holder.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": case_id})
    first = subprocess.Popen(worker_cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=open(tmp_path / "worker1.log", "wb"))
    second: subprocess.Popen[bytes] | None = None
    try:
        _until(lambda: _scalar(engine, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND wait_event_type = 'Lock' AND query ILIKE '%FOR UPDATE%'"), 90,
               "the worker to reach the case lock after rendering")
        assert _scalar(engine, "SELECT status::text FROM procrastinate_jobs WHERE task_name = 'documents.render'") \
            == "doing"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        holder.rollback()
        holder.close()
        with Session(engine) as s:
            assert s.get(GeneratedDocument, doc_id).status == "pending"  # nothing of the killed job stayed

        second = subprocess.Popen(worker_cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(tmp_path / "worker2.log", "wb"))
        _until(lambda: _scalar(engine, "SELECT status = 'ready' FROM generated_documents WHERE id = :id", id=doc_id),
               90, "the stalled job to be retried and the document rendered")
        # the documents queue drains (the case's notifications wait on their own queue, which this worker skips)
        _until(lambda: _scalar(engine, "SELECT count(*) = 0 FROM procrastinate_jobs WHERE queue_name = 'documents' "
                                       "AND status IN ('todo', 'doing', 'failed')"), 30, "the documents queue to drain")
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
    with Session(engine) as s:
        doc = s.get(GeneratedDocument, doc_id)
        assert doc.status == "ready" and doc.number == number and doc.version == 1
        assert read_content(doc, blobs)  # the PDF is there and has the recorded hash
        events = [e for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                              CaseEvent.event == "document_generated"))
                  if e.payload.get("document_id") == doc_id]
        assert len(events) == 1 and events[0].payload["sha256"] == doc.sha256
        assert s.scalar(select(Case.last_event_seq).where(Case.id == case_id)) == max(
            s.scalars(select(CaseEvent.seq).where(CaseEvent.case_id == case_id)))
        assert s.scalar(select(text("count(*)")).select_from(GeneratedDocument.__table__)) == 1
    log = (tmp_path / "worker2.log").read_text()
    assert "put back in the queue" in log or "stalled" in log.lower()
