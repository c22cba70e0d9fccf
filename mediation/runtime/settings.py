"""Application settings, read from the environment in one place.

Nothing here reads the environment at import time: call :func:`Settings.from_env`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from mediation.db.engine import make_engine

DEFAULT_INSTANCE = Path.cwd() / "instance"


@dataclass(frozen=True)
class Settings:
    database_url: str
    instance_path: Path
    secret_key: str = "dev-only-secret-change-me"
    environment: str = "development"
    #: Folder that may hold official FangSong / 小标宋 fonts; Noto Serif CJK SC is the fallback.
    font_dir: Path | None = None
    #: Where the cut document font (see ``documents.fonts``) is cached; default ``<instance>/fonts``.
    font_cache: Path = Path("instance/fonts")
    #: Transitions render the documents they produce (``MEDIATION_DOCUMENTS_ON_TRANSITION=0`` turns it off,
    #: e.g. for a bulk migration; the documents can then be generated on demand).
    documents_on_transition: bool = True
    sql_echo: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        instance = Path(env.get("MEDIATION_INSTANCE", str(DEFAULT_INSTANCE))).resolve()
        default_db = f"sqlite:///{instance / 'mediation.sqlite3'}"
        font_dir = env.get("MEDIATION_FONT_DIR")
        return cls(
            database_url=env.get("DATABASE_URL", default_db),
            instance_path=instance,
            secret_key=env.get("SECRET_KEY", "dev-only-secret-change-me"),
            environment=env.get("MEDIATION_ENV", "development"),
            font_dir=Path(font_dir) if font_dir else None,
            font_cache=Path(env.get("MEDIATION_FONT_CACHE", str(instance / "fonts"))).resolve(),
            documents_on_transition=env.get("MEDIATION_DOCUMENTS_ON_TRANSITION", "1").lower()
            not in {"0", "false", "no"},
            sql_echo=env.get("SQL_ECHO", "") in {"1", "true", "yes"},
        )


def engine_from_settings(settings: Settings) -> Engine:
    """The database engine the settings name (``DATABASE_URL``, ``MEDIATION_SQL_ECHO``)."""
    return make_engine(settings.database_url, echo=settings.sql_echo)
