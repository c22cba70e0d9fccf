"""``mediation blobs …``: files out of the database into the blob store (``MEDIATION_BLOB_STORE``)."""

from __future__ import annotations

import click

from mediation.cli.common import engine


def _store() -> object:
    from mediation.blobs import store_from_spec
    from mediation.runtime.settings import Settings

    settings = Settings.from_env()
    return store_from_spec(settings.blob_store, endpoint_url=settings.s3_endpoint_url)


@click.group("blobs", help="文件存储（PDF 等）：从数据库迁出、核验")
def blobs() -> None:
    pass


@blobs.command("migrate", help="把仍存于数据库的文书 PDF 移入文件存储（按 SHA-256 寻址；可重复运行）")
@click.option("--batch", type=click.IntRange(1, 10000), default=200, show_default=True)
def migrate_command(batch: int) -> None:
    from sqlalchemy.orm import Session

    from mediation.db.models_documents import move_content_to_store

    with Session(engine()) as s:
        moved = move_content_to_store(s, _store(), batch=batch)  # type: ignore[arg-type]
    click.echo(f"已迁出{moved}份文书的 PDF")


@blobs.command("verify", help="逐一读取文书 PDF 并核对 SHA-256")
def verify_command() -> None:
    from sqlalchemy.orm import Session

    from mediation.db.models_documents import verify_all

    with Session(engine()) as s:
        checked, bad = verify_all(s, _store())  # type: ignore[arg-type]
    click.echo(f"核验{checked}份，异常{len(bad)}份")
    for line in bad[:50]:
        click.echo(line, err=True)
    if bad:
        raise SystemExit(1)
