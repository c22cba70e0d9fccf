"""Run Alembic migrations programmatically (used by the CLI and the tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

from mediation.db.engine import normalise_url


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "mediation.db:migrations")
    if url:
        cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    """The applied revision(s): one per branch head (e.g. ``0002, 0004``), ``None`` for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ", ".join(sorted(heads)) if heads else None


def script_heads() -> tuple[str, ...]:
    """The heads of this code's migrations (cached: the scripts don't change while the process runs)."""
    global _SCRIPT_HEADS
    if _SCRIPT_HEADS is None:
        from alembic.script import ScriptDirectory

        _SCRIPT_HEADS = tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))
    return _SCRIPT_HEADS


_SCRIPT_HEADS: tuple[str, ...] | None = None


def current_heads(conn: Connection) -> tuple[str, ...]:
    """The revisions applied to the database of ``conn``."""
    from alembic.runtime.migration import MigrationContext

    return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
