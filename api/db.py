"""One SQLAlchemy session per request (created lazily, closed on teardown)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from mediation.blobs import BlobStore

SessionFactory = Callable[[], Session]


def init_app(app: Flask, factory: SessionFactory) -> None:
    app.extensions["mediation.session_factory"] = factory

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db", None)
        if session is not None:
            session.close()


def db_session() -> Session:
    session: Session | None = g.get("db")
    if session is None:
        session = current_app.extensions["mediation.session_factory"]()
        g.db = session
    return session


def blob_store() -> BlobStore:
    """The store of the application's files (PDFs), built from the settings by the application factory."""
    return current_app.extensions["mediation.blobs"]
