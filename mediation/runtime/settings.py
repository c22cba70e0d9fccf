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
    #: Timezone used to decide "today" for deadlines.
    timezone: str = "Asia/Shanghai"
    sql_echo: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)
    #: ``DATABASE_URL`` was given (not the local SQLite default): production refuses to start without it.
    database_url_set: bool = True
    #: ``json`` (one object per line; the default in production) or ``plain``.
    log_format: str = "plain"
    log_level: str = "INFO"
    #: Where PDFs and other files live (content-addressed by SHA-256): ``dir:/path`` (default
    #: ``dir:<instance>/blobs``) or ``s3://bucket/prefix`` (any S3-compatible store; ``MEDIATION_S3_ENDPOINT_URL``
    #: and the usual ``AWS_*`` variables).
    blob_store: str = ""
    blob_store_set: bool = False
    s3_endpoint_url: str | None = None
    #: ``/readyz`` answers 503 when the oldest waiting job has waited longer than this (seconds).
    ready_max_queue_lag: float = 300.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def problems(self) -> list[str]:
        """What makes these settings unfit for production (several nodes: nothing on a node's own disk)."""
        if not self.is_production:
            return []
        found = []
        if not self.database_url_set:
            found.append("DATABASE_URL is not set: production never falls back to a local SQLite file")
        elif self.is_sqlite:
            found.append("DATABASE_URL names SQLite: production runs on PostgreSQL (several nodes, the queue)")
        if not self.blob_store_set:
            found.append("MEDIATION_BLOB_STORE is not set: production keeps files in a shared store "
                         "(s3://bucket/prefix, or dir:/path on a volume every node mounts), never on a node's disk")
        return found

    def check(self) -> Settings:
        """Refuse to start in production with :meth:`problems` (raised as :class:`ConfigurationError`)."""
        found = self.problems()
        if found:
            raise ConfigurationError("；".join(found))
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        instance = Path(env.get("MEDIATION_INSTANCE", str(DEFAULT_INSTANCE))).resolve()
        default_db = f"sqlite:///{instance / 'mediation.sqlite3'}"
        font_dir = env.get("MEDIATION_FONT_DIR")
        environment = env.get("MEDIATION_ENV", "development")
        blobs = env.get("MEDIATION_BLOB_STORE", "")
        return cls(
            database_url=env.get("DATABASE_URL") or default_db,
            database_url_set=bool(env.get("DATABASE_URL")),
            instance_path=instance,
            secret_key=env.get("SECRET_KEY", "dev-only-secret-change-me"),
            environment=environment,
            font_dir=Path(font_dir) if font_dir else None,
            font_cache=Path(env.get("MEDIATION_FONT_CACHE", str(instance / "fonts"))).resolve(),
            documents_on_transition=env.get("MEDIATION_DOCUMENTS_ON_TRANSITION", "1").lower()
            not in {"0", "false", "no"},
            timezone=env.get("MEDIATION_TZ", "Asia/Shanghai"),
            sql_echo=env.get("SQL_ECHO", "") in {"1", "true", "yes"},
            log_format=env.get("MEDIATION_LOG_FORMAT", "json" if environment == "production" else "plain"),
            log_level=env.get("MEDIATION_LOG_LEVEL", "INFO").upper(),
            blob_store=blobs or f"dir:{instance / 'blobs'}",
            blob_store_set=bool(blobs),
            s3_endpoint_url=env.get("MEDIATION_S3_ENDPOINT_URL") or None,
            ready_max_queue_lag=float(env.get("MEDIATION_READY_MAX_QUEUE_LAG", "300")),
        )


class ConfigurationError(RuntimeError):
    """The settings cannot run this environment (raised at start-up, before anything is served)."""


def engine_from_settings(settings: Settings) -> Engine:
    """The database engine the settings name (``DATABASE_URL``, ``MEDIATION_SQL_ECHO``)."""
    return make_engine(settings.database_url, echo=settings.sql_echo)
