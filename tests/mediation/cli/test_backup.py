"""``mediation backup`` / ``restore``: a round trip of the database and the blob directory (PostgreSQL with
pg_dump/pg_restore, SQLite with its backup API); a damaged archive or the wrong database kind is refused and
changes nothing."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from mediation.cli.main import main
from mediation.db import migrate
from mediation.db.engine import make_engine
from mediation.db.models import Case, Party
from mediation.db.models_documents import GeneratedDocument
from tests.conftest import BACKEND, PG_ADMIN_URL, PG_PREFIX
from tests.factories import build_world, new_case
from tests.helpers import TODAY
from tests.pgdb import drop_database, recreate_database

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


@pytest.fixture
def scratch(tmp_path: Path) -> tuple[str, Engine]:
    """A database of its own (the restore replaces it whole), migrated to head."""
    if BACKEND == "postgresql":
        name = f"{PG_PREFIX}_backup_{tmp_path.name[-12:]}".lower().replace("-", "_")
        url = recreate_database(PG_ADMIN_URL, name)
    else:
        name, url = None, f"sqlite:///{tmp_path / 'live.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield url, engine
    engine.dispose()
    if name:
        drop_database(PG_ADMIN_URL, name)


def _state(engine: Engine) -> tuple[int, list[str], str | None]:
    with Session(engine) as s:
        cases = s.scalar(select(func.count()).select_from(Case)) or 0
        names = sorted(s.scalars(select(Party.name)).all())
        doc = s.scalar(select(GeneratedDocument.content))
        return cases, names, hashlib.sha256(doc).hexdigest() if doc else None


def test_backup_and_restore_round_trip(scratch: tuple[str, Engine], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    url, engine = scratch
    with Session(engine, expire_on_commit=False) as s:
        w = build_world(s)
        case = new_case(s, w, TODAY)
        s.add(GeneratedDocument(case_id=case.id, kind="application", subject="", version=1,
                                number="（2025）东栅劳调申字第1号", title="劳动争议调解申请书",
                                sha256=hashlib.sha256(PDF).hexdigest(), size=len(PDF), pages=1, content=PDF,
                                snapshot={"document": {"number": "x"}}))
        s.commit()
    blobs = tmp_path / "blobs"
    (blobs / "2025").mkdir(parents=True)
    (blobs / "2025" / "scan-1.pdf").write_bytes(PDF)
    (blobs / "readme.txt").write_text("附件", encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MEDIATION_BLOB_DIR", str(blobs))
    monkeypatch.setenv("MEDIATION_INSTANCE", str(tmp_path / "instance"))
    before = _state(engine)
    run = CliRunner()

    r = run.invoke(main, ["backup", "--output", str(tmp_path / "backups")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    [archive] = list((tmp_path / "backups").glob("mediation-*.tar.gz"))
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "blobs/2025/scan-1.pdf", "blobs/readme.txt"} <= names
    assert ("database.dump" if BACKEND == "postgresql" else "database.sqlite3") in names

    # Things go wrong after the backup: a case is added, a party renamed, a blob lost and another added.
    with Session(engine, expire_on_commit=False) as s:
        new_case(s, w, TODAY, title="备份之后登记的案件")
        s.execute(text("UPDATE parties SET name = '改错的名字'"))
        s.commit()
    (blobs / "2025" / "scan-1.pdf").unlink()
    (blobs / "stray.bin").write_bytes(b"x")
    assert _state(engine) != before
    engine.dispose()

    r = run.invoke(main, ["restore", str(archive), "--yes"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert _state(engine) == before
    assert (blobs / "2025" / "scan-1.pdf").read_bytes() == PDF and not (blobs / "stray.bin").exists()
    assert migrate.current(engine)  # the schema came back with the data
    # the restored database works: a new case gets the next number
    with Session(engine, expire_on_commit=False) as s:
        from mediation.accounts.users import actor_for
        from mediation.cases import service as svc
        from mediation.db.models import User
        from tests.factories import application

        clerk = s.scalar(select(User).where(User.username == "clerk"))
        assert clerk is not None
        data = application(w)
        nxt = svc.create_case(s, actor=actor_for(clerk), data=data, today=TODAY, env=w.env)
        assert nxt.number.endswith("第2号")


def test_a_damaged_archive_is_refused_and_changes_nothing(scratch: tuple[str, Engine], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    url, engine = scratch
    with Session(engine, expire_on_commit=False) as s:
        w = build_world(s)
        new_case(s, w, TODAY)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("MEDIATION_BLOB_DIR", raising=False)
    run = CliRunner()
    out = tmp_path / "b.tar.gz"
    r = run.invoke(main, ["backup", "--output", str(out)], catch_exceptions=False)
    assert r.exit_code == 0 and "未配置 MEDIATION_BLOB_DIR" in r.output, r.output
    before = _state(engine)
    # rewrite the archive with a flipped byte in the database file
    bad = tmp_path / "bad.tar.gz"
    work = tmp_path / "x"
    with tarfile.open(out) as tar:
        tar.extractall(work, filter="data")
    dump = next(p for p in work.iterdir() if p.name.startswith("database."))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with tarfile.open(bad, "w:gz") as tar:
        for p in work.iterdir():
            tar.add(p, arcname=p.name)
    r = run.invoke(main, ["restore", str(bad), "--yes"])
    assert r.exit_code != 0 and "校验值不符" in r.output, r.output
    assert _state(engine) == before
    # an archive of the other kind of database is refused
    other = "sqlite:///" + str(tmp_path / "other.sqlite3") if BACKEND == "postgresql" else \
        "postgresql://postgres@127.0.0.1:5432/unused"
    monkeypatch.setenv("DATABASE_URL", other)
    r = run.invoke(main, ["restore", str(out), "--yes"])
    assert r.exit_code != 0 and "不能恢复到" in r.output, r.output
