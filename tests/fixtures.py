"""Shared fixtures (registered from tests/conftest.py): the services' environment, the Flask app on the test's own
transaction (rolled back afterwards), a token-authenticated API client, the standard world, and a case with a
signed agreement."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.app import create_app
from mediation.accounts.tokens import issue_token
from mediation.db.models import Case, User
from mediation.runtime.env import ServiceEnv
from tests.factories import World, build_world, drive, new_case, standard_env
from tests.helpers import TODAY


@pytest.fixture
def env(db: Session, request: pytest.FixtureRequest) -> ServiceEnv:
    """The environment the services run with in a test (what :mod:`mediation.wiring` gives the application: the
    risk observer), with the calendar of the test's database; transitions produce their documents only when
    the test also asks for the ``producer`` fixture."""
    documents = request.getfixturevalue("producer") if "producer" in request.fixturenames else None
    return standard_env(db, documents=documents)


@pytest.fixture
def app(db: Session, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    conn = db.connection()

    def factory() -> Session:
        return Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)

    blobs = tmp_path_factory.mktemp("blobs")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True, "BLOB_STORE": f"dir:{blobs}",
                      "JOBS_INLINE": True},
                     session_factory=factory)
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def world(db: Session, env: ServiceEnv) -> World:
    return build_world(db, env=env)


class Api:
    """A client that authenticates as a given user with a bearer token."""

    def __init__(self, client: FlaskClient, db: Session) -> None:
        self.client = client
        self.db = db
        self._tokens: dict[int, str] = {}

    def token(self, user: User) -> str:
        if user.id not in self._tokens:
            _, plain = issue_token(self.db, user=user, name="test")
            self._tokens[user.id] = plain
        return self._tokens[user.id]

    def as_(self, user: User | None) -> _As:
        return _As(self, user)


class _As:
    def __init__(self, api: Api, user: User | None) -> None:
        self.api = api
        self.headers = {"Authorization": f"Bearer {api.token(user)}"} if user is not None else {}

    def _h(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {**self.headers, **(headers or {})}

    def get(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.api.client.get(url, headers=self._h(headers), **kw)

    def post(self, url: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.api.client.post(url, json=json, headers=self._h(headers), **kw)

    def patch(self, url: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.api.client.patch(url, json=json, headers=self._h(headers), **kw)

    def delete(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.api.client.delete(url, headers=self._h(headers), **kw)


@pytest.fixture
def api(client: FlaskClient, db: Session) -> Api:
    return Api(client, db)


@pytest.fixture
def agreed(db: Session, world: World) -> Case:
    """A case with a signed mediation agreement (one obligation), on TODAY."""
    case = new_case(db, world, TODAY)
    return drive(db, world, case, TODAY, "accept", "record_session", "sign_agreement")
