"""Backups: one archive with the database and, when configured, the blob store (``MEDIATION_BLOB_DIR``).

``backup`` writes ``<name>.tar.gz`` holding

- ``manifest.json``: format, creation time, database kind, Alembic revision, and the SHA-256 of every file;
- ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``, no owners or privileges) or ``database.sqlite3``
  (SQLite: a consistent copy through SQLite's online backup API);
- ``blobs/…``: the blob directory's files, if a blob directory is configured (PDFs live in the database
  today; files kept beside it go with it).

``restore`` checks every checksum first, then replaces the database — PostgreSQL with ``pg_restore --clean
--if-exists --single-transaction`` (all or nothing), SQLite by swapping in the restored file — and the blob
directory (restored beside it, then swapped). Both need the database kind the archive was made from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from mediation.db.engine import make_engine, normalise_url

FORMAT = 1
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot be done (the message says why, in Chinese)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]


def _kind(url: str) -> str:
    name = make_url(normalise_url(url)).get_backend_name()
    if name not in ("postgresql", "sqlite"):
        raise BackupError(f"不支持的数据库：{name}")
    return name


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore, the password passed in the environment (not argv)."""
    u = make_url(normalise_url(url))
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"找不到 {cmd[0]}（请安装 PostgreSQL 客户端工具，如 postgresql-client）") from None
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} 失败：{done.stderr.strip()[-800:]}")


def _revision(url: str) -> str | None:
    from mediation.db import migrate

    engine = make_engine(url)
    try:
        return migrate.current(engine)
    finally:
        engine.dispose()


def backup(database_url: str, output: Path, *, blob_dir: Path | None = None) -> BackupResult:
    """Write the archive to ``output`` (a ``.tar.gz`` file, or a directory to put a dated one in)."""
    kind = _kind(database_url)
    if output.is_dir() or output.suffix == "":
        output.mkdir(parents=True, exist_ok=True)
        output = output / f"mediation-{dt.datetime.now():%Y%m%d-%H%M%S}.tar.gz"
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mediation-backup-") as tmp:
        work = Path(tmp)
        files: dict[str, str] = {}
        if kind == "postgresql":
            dump = work / "database.dump"
            dsn, env = _libpq(database_url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}", f"--dbname={dsn}"],
                 env)
        else:
            path = make_url(normalise_url(database_url)).database
            if not path or not Path(path).exists():
                raise BackupError(f"SQLite 数据库文件不存在：{path}")
            dump = work / "database.sqlite3"
            src = sqlite3.connect(path)
            dst = sqlite3.connect(dump)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        files[dump.name] = _sha256(dump)
        blob_files = 0
        if blob_dir is not None and blob_dir.is_dir():
            for f in sorted(p for p in blob_dir.rglob("*") if p.is_file()):
                files[f"blobs/{f.relative_to(blob_dir).as_posix()}"] = _sha256(f)
                blob_files += 1
        manifest = {
            "format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(), "database": kind,
            "revision": _revision(database_url), "blob_dir": str(blob_dir) if blob_dir else None,
            "blob_files": blob_files, "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        partial = output.with_name(output.name + ".part")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(work / MANIFEST, arcname=MANIFEST)
            tar.add(dump, arcname=dump.name)
            if blob_files and blob_dir is not None:
                tar.add(blob_dir, arcname="blobs")
        partial.replace(output)  # a crash never leaves a half-written archive under the final name
    return BackupResult(output, manifest)


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile(MANIFEST)
        if member is None:
            raise BackupError("备份文件中没有 manifest.json")
        manifest: dict[str, Any] = json.loads(member.read().decode("utf-8"))
    return manifest


def restore(archive: Path, database_url: str, *, blob_dir: Path | None = None) -> dict[str, Any]:
    """Check the archive, then replace the database (and the blob directory, if the archive has blobs)."""
    if not archive.is_file():
        raise BackupError(f"备份文件不存在：{archive}")
    kind = _kind(database_url)
    with tempfile.TemporaryDirectory(prefix="mediation-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        manifest_path = work / MANIFEST
        if not manifest_path.is_file():
            raise BackupError("备份文件中没有 manifest.json")
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"不认识的备份格式：{manifest.get('format')}")
        if manifest.get("database") != kind:
            raise BackupError(f"备份来自 {manifest.get('database')} 数据库，不能恢复到 {kind} 数据库")
        for name, digest in manifest["files"].items():
            f = work / name
            if not f.is_file() or _sha256(f) != digest:
                raise BackupError(f"备份文件已损坏：{name} 的校验值不符")
        if kind == "postgresql":
            dsn, env = _libpq(database_url)
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  f"--dbname={dsn}", str(work / "database.dump")], env)
        else:
            target = Path(str(make_url(normalise_url(database_url)).database))
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = target.with_name(target.name + ".restoring")
            shutil.copyfile(work / "database.sqlite3", staged)
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            staged.replace(target)
        if manifest.get("blob_files") and blob_dir is not None:
            staged_dir = blob_dir.with_name(blob_dir.name + ".restoring")
            shutil.rmtree(staged_dir, ignore_errors=True)
            shutil.copytree(work / "blobs", staged_dir)
            old = blob_dir.with_name(blob_dir.name + ".before-restore")
            shutil.rmtree(old, ignore_errors=True)
            if blob_dir.exists():
                blob_dir.replace(old)
            staged_dir.replace(blob_dir)
            shutil.rmtree(old, ignore_errors=True)
    return manifest
