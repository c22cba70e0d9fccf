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
#: The key used when ``SECRET_KEY`` is not set — in development and tests only: it is public (it is in this
#: file), so anyone could sign a session cookie with it.
DEV_SECRET_KEY = "dev-only-secret-change-me"
#: Environments where the public development key and plain-HTTP cookies are acceptable; any other
#: ``MEDIATION_ENV`` (``production``, ``staging``…) is treated as production.
DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "test"})
MIN_SECRET_LENGTH = 32


class InsecureConfiguration(RuntimeError):
    """The application refuses to start: a setting would let anyone forge sessions."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    instance_path: Path
    #: Signs the session cookies. Empty: the public development key (refused outside development).
    secret_key: str = ""
    environment: str = "development"
    #: Folder that may hold official FangSong / 小标宋 fonts; Noto Serif CJK SC is the fallback.
    font_dir: Path | None = None
    #: Where the cut document font (see ``documents.fonts``) is cached; default ``<instance>/fonts``.
    font_cache: Path = Path("instance/fonts")
    #: Transitions render the documents they produce (``MEDIATION_DOCUMENTS_ON_TRANSITION=0`` turns it off,
    #: e.g. for a bulk migration; the documents can then be generated on demand).
    documents_on_transition: bool = True
    sql_echo: bool = False
    #: How many reverse proxies in front of the app set ``X-Forwarded-For``/``-Proto`` (0: none, the headers
    #: are ignored and the client address is the socket's; the throttle counts per client address).
    trusted_proxies: int = 0
    #: A browser session ends this many hours after login at the latest.
    session_hours: int = 12
    #: Login attempts, ended or expired browser sessions and revoked API tokens are deleted this many days
    #: later by the daily jobs (``MEDIATION_ACCESS_RETENTION_DAYS``, 1 to 3650).
    access_retention_days: int = 180
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
    def is_development(self) -> bool:
        return self.environment in DEVELOPMENT_ENVIRONMENTS

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return not self.is_development

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
            secret_key=env.get("SECRET_KEY", ""),
            environment=environment,
            font_dir=Path(font_dir) if font_dir else None,
            font_cache=Path(env.get("MEDIATION_FONT_CACHE", str(instance / "fonts"))).resolve(),
            documents_on_transition=env.get("MEDIATION_DOCUMENTS_ON_TRANSITION", "1").lower()
            not in {"0", "false", "no"},
            sql_echo=env.get("SQL_ECHO", "") in {"1", "true", "yes"},
            log_format=env.get("MEDIATION_LOG_FORMAT", "json" if environment == "production" else "plain"),
            log_level=env.get("MEDIATION_LOG_LEVEL", "INFO").upper(),
            blob_store=blobs or f"dir:{instance / 'blobs'}",
            blob_store_set=bool(blobs),
            s3_endpoint_url=env.get("MEDIATION_S3_ENDPOINT_URL") or None,
            ready_max_queue_lag=float(env.get("MEDIATION_READY_MAX_QUEUE_LAG", "300")),
            trusted_proxies=_int_setting(env, "MEDIATION_TRUSTED_PROXIES", 0, minimum=0, maximum=5),
            session_hours=_int_setting(env, "MEDIATION_SESSION_HOURS", 12, minimum=1, maximum=24 * 30),
            access_retention_days=_int_setting(env, "MEDIATION_ACCESS_RETENTION_DAYS", 180, minimum=1, maximum=3650),
        )


def _int_setting(env: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InsecureConfiguration(f"{name}={raw!r} 不是整数（应为{minimum}至{maximum}）") from None
    if not minimum <= value <= maximum:
        raise InsecureConfiguration(f"{name}={value} 超出范围（应为{minimum}至{maximum}）")
    return value


def secret_key_problem(environment: str, key: str | None) -> str | None:
    """Why ``key`` may not sign sessions in ``environment`` (None: it may). Outside development the key must be
    set, not the public development key, at least 32 characters and not a repetition of a few characters."""
    if environment in DEVELOPMENT_ENVIRONMENTS:
        return None
    hint = ("请设置随机生成的 SECRET_KEY（至少32个字符），例如："
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    if not key:
        return (f"MEDIATION_ENV={environment} 时必须设置 SECRET_KEY"
                f"（未设置时使用的开发密钥是公开的，任何人都能伪造登录会话）。{hint}")
    if key == DEV_SECRET_KEY:
        return f"MEDIATION_ENV={environment} 时不能使用公开的开发密钥作为 SECRET_KEY。{hint}"
    if len(key) < MIN_SECRET_LENGTH or len(set(key)) < 8:
        return f"SECRET_KEY 过弱（少于{MIN_SECRET_LENGTH}个字符或字符种类太少），可被猜出后伪造登录会话。{hint}"
    return None


class ConfigurationError(RuntimeError):
    """The settings cannot run this environment (raised at start-up, before anything is served)."""


def engine_from_settings(settings: Settings) -> Engine:
    """The database engine the settings name (``DATABASE_URL``, ``MEDIATION_SQL_ECHO``)."""
    return make_engine(settings.database_url, echo=settings.sql_echo)
