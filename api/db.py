"""One SQLAlchemy session per request (created lazily, closed on teardown)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

SessionFactory = Callable[[], Session]


def init_app(app: Flask, factory: SessionFactory) -> None:
    app.extensions["mediation.session_factory"] = factory

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
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
