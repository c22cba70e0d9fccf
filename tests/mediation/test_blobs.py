"""The blob store: content-addressed (stored once, keyed by SHA-256), every read verified; a directory by
default, any S3-compatible store in production (tested against moto's server mode, started here); the command
that moves PDFs out of the database; downloads through the API come from the store, verified."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mediation.blobs import BlobIntegrityError, BlobNotFound, DirectoryBlobStore, S3BlobStore, store_from_spec
from mediation.db.models_documents import GeneratedDocument, move_content_to_store, read_content, verify_all
from tests.factories import World, drive, new_case
from tests.fixtures import Api
from tests.helpers import TODAY

PDF = b"%PDF-1.7 \xe8\xb0\x83\xe8\xa7\xa3 test"


def _roundtrip(store: object) -> None:
    ref = store.put(PDF)  # type: ignore[attr-defined]
    assert ref.sha256 == hashlib.sha256(PDF).hexdigest() and ref.size == len(PDF)
    assert ref.key.endswith(ref.sha256) and store.exists(ref.key)  # type: ignore[attr-defined]
    assert store.put(PDF) == ref  # type: ignore[attr-defined]  # same bytes, same key, stored once
    assert store.get(ref.key, ref.sha256) == PDF  # type: ignore[attr-defined]
    with pytest.raises(BlobIntegrityError):
        store.get(ref.key, "0" * 64)  # type: ignore[attr-defined]
    with pytest.raises(BlobNotFound):
        store.get("sha256/00/00/" + "0" * 64, "0" * 64)  # type: ignore[attr-defined]


def test_directory_store(tmp_path: Path) -> None:
    store = DirectoryBlobStore(tmp_path)
    _roundtrip(store)
    ref = store.put(PDF)
    (tmp_path / ref.key).write_bytes(PDF + b"tampered")
    with pytest.raises(BlobIntegrityError):
        store.get(ref.key, ref.sha256)
    with pytest.raises(ValueError):
        store.get("../etc/passwd", "0" * 64)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto in server mode (a real HTTP S3 endpoint on loopback), for this module."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_s3_store_against_moto_server(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    for k, v in credentials.items():
        monkeypatch.setenv(k, v)
    store = store_from_spec("s3://mediation-pdf/prod/docs", endpoint_url=s3_endpoint)
    assert isinstance(store, S3BlobStore) and store.prefix == "prod/docs"
    store.client.create_bucket(Bucket="mediation-pdf")
    _roundtrip(store)
    ref = store.put(PDF)
    listed = store.client.list_objects_v2(Bucket="mediation-pdf")["Contents"]
    assert [o["Key"] for o in listed] == [f"prod/docs/{ref.key}"]
    store.client.put_object(Bucket="mediation-pdf", Key=f"prod/docs/{ref.key}", Body=b"replaced")
    with pytest.raises(BlobIntegrityError):
        store.get(ref.key, ref.sha256)


def test_a_bad_spec_is_refused() -> None:
    with pytest.raises(ValueError):
        store_from_spec("/var/lib/pdf")


def test_pdfs_move_out_of_the_database(db: Session, world: World, tmp_path: Path) -> None:
    from documents import service as doc_service

    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    doc = doc_service.generate_on_demand(db, actor=world.actor(world.mediator), case_id=case.id,
                                         kind="acceptance_notice", params={})
    assert doc.content is not None and doc.blob_key is None  # generated without a store: in the row
    pdf = doc.content
    store = DirectoryBlobStore(tmp_path)
    assert move_content_to_store(db, store, batch=1) >= 1
    assert move_content_to_store(db, store) == 0  # again: nothing left
    db.expire_all()
    moved = db.get(GeneratedDocument, doc.id)
    assert moved is not None and moved.content is None and moved.blob_key is not None
    assert read_content(moved, store) == pdf
    checked, bad = verify_all(db, store)
    assert checked >= 1 and bad == []


def test_downloads_come_from_the_store_verified(api: Api, world: World, db: Session) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case.id}/documents", json={"kind": "acceptance_notice"})
    assert r.status_code == 201, r.json
    doc = db.scalars(select(GeneratedDocument).where(GeneratedDocument.id == r.json["id"])).one()
    assert doc.content is None and doc.blob_key is not None
    pdf = api.as_(world.mediator).get(f"/api/v1/cases/{case.id}/documents/{doc.id}/pdf")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == doc.sha256


def test_blobs_commands(committing_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mediation.cli.main import main

    monkeypatch.setenv("DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("MEDIATION_BLOB_STORE", f"dir:{tmp_path}")
    r = CliRunner().invoke(main, ["blobs", "migrate"], catch_exceptions=False)
    assert r.exit_code == 0 and "已迁出0份" in r.output
    r = CliRunner().invoke(main, ["blobs", "verify"], catch_exceptions=False)
    assert r.exit_code == 0 and "异常0份" in r.output
