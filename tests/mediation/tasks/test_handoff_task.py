"""The hand-off package job: registered among the unit tasks (documents queue, failure recorded on the package),
and run inline in the caller's session where the database has no worker (SQLite)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from documents import handoff
from mediation.blobs import DirectoryBlobStore
from mediation.queue import DOCUMENTS_QUEUE, InlineQueue
from mediation.tasks import inline_handlers, unit_tasks
from tests.factories import World, drive, new_case
from tests.helpers import TODAY


def test_the_package_job_is_registered_and_runs_inline(db: Session, world: World, tmp_path: Path) -> None:
    blobs = DirectoryBlobStore(tmp_path)
    tasks = unit_tasks(blobs)
    spec = tasks[handoff.BUILD_TASK]
    assert spec.queue == DOCUMENTS_QUEUE and spec.on_failure is handoff.mark_failed
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept", "terminate")
    pkg = handoff.create_package(db, actor=world.actor(world.mediator), case_id=case.id, data={"kind": "referral"},
                                 env=world.env, blobs=blobs, queue=InlineQueue(inline_handlers(tasks)), today=TODAY)
    assert pkg.status == "ready" and blobs.exists(pkg.zip_key) and blobs.exists(pkg.pdf_key)
    assert pkg.manifest["package"]["built_on"] == TODAY.isoformat()
