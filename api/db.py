"""One SQLAlchemy session per request (created lazily, closed on teardown), and the service environment of the
request (built from the application's environment factory, see :mod:`mediation.wiring`)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from mediation.blobs import BlobStore
from mediation.runtime.env import EnvFactory, ServiceEnv

SessionFactory = Callable[[], Session]


def init_app(app: Flask, factory: SessionFactory, env_factory: EnvFactory) -> None:
    app.extensions["mediation.session_factory"] = factory
    app.extensions["mediation.env_factory"] = env_factory

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        g.pop("service_env", None)
        session: Session | None = g.pop("db", None)
        if session is not None:
            try:
                session.close()  # rolls back whatever the request left unfinished
            except Exception:  # a connection that died with the database: nothing left to roll back
                app.logger.warning("closing the request's database session failed", exc_info=True)


def db_session() -> Session:
    session: Session | None = g.get("db")
    if session is None:
        session = current_app.extensions["mediation.session_factory"]()
        g.db = session
    return session


def service_env() -> ServiceEnv:
    """The environment the services of this request run with (observers, document producer, clock, rules and
    the calendar of the request's database)."""
    env: ServiceEnv | None = g.get("service_env")
    if env is None:
        env = g.service_env = current_app.extensions["mediation.env_factory"](db_session())
    return env


def blob_store() -> BlobStore:
    """The store of the application's files (PDFs), built from the settings by the application factory."""
    return current_app.extensions["mediation.blobs"]
