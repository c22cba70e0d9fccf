"""``mediation backup`` and ``mediation restore``: the database (pg_dump / SQLite's backup API) and, when
``MEDIATION_BLOB_DIR`` is set, the blob directory, in one checked archive (see :mod:`mediation.db.backup`)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from mediation.runtime.settings import Settings


def _blob_dir() -> Path | None:
    value = os.environ.get("MEDIATION_BLOB_DIR")
    return Path(value).resolve() if value else None


@click.command("backup", help="备份数据库（及 MEDIATION_BLOB_DIR 指定的文件目录）到一个带校验值的归档文件")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="归档文件（.tar.gz）或目录（默认 <instance>/backups/）")
def backup_command(output: Path | None) -> None:
    from mediation.db.backup import BackupError, backup

    settings = Settings.from_env()
    target = output or settings.instance_path / "backups"
    try:
        result = backup(settings.database_url, target, blob_dir=_blob_dir())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    m = result.manifest
    blobs = f"，文件{m['blob_files']}个" if m["blob_dir"] else "（未配置 MEDIATION_BLOB_DIR，无文件目录）"
    click.echo(f"已备份到 {result.path}：{m['database']} 数据库（版本 {m['revision']}）{blobs}")


@click.command("restore", help="从备份归档恢复数据库（及文件目录）：先核对校验值，再整体替换")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="确认覆盖当前数据库")
def restore_command(archive: Path, yes: bool) -> None:
    from mediation.db.backup import BackupError, read_manifest, restore

    settings = Settings.from_env()
    try:
        manifest = read_manifest(archive)
    except (BackupError, OSError, ValueError) as exc:
        raise click.ClickException(f"无法读取备份：{exc}") from exc
    if not yes:
        click.confirm(f"将用 {manifest['created_at']} 的备份覆盖当前数据库（{settings.database_url.split('@')[-1]}），"
                      "确定吗？", abort=True)
    try:
        restore(archive, settings.database_url, blob_dir=_blob_dir())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已恢复 {manifest['created_at']} 的备份（数据库版本 {manifest['revision']}）；"
               "如代码版本更新，请再运行 mediation db upgrade")
