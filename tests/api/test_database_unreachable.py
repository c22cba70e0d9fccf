"""An unreachable database is a 503 problem (or a plain Chinese 503 page for a browser), never a 500 or the
WSGI server's HTML error page (security item 7): an app whose DATABASE_URL points at a closed port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from api.app import create_app


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["postgresql", "sqlite"])
def down_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    url = (f"postgresql://postgres@127.0.0.1:{_closed_port()}/mediation" if request.param == "postgresql"
           else f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3")
    yield create_app({"TESTING": False, "SECRET_KEY": "test", "DATABASE_URL": url, "WTF_CSRF_ENABLED": True,
                      "DOCUMENTS_ON_TRANSITION": False})


def test_api_calls_are_503_problems(down_app: Flask) -> None:
    c = down_app.test_client()
    r = c.post("/api/v1/auth/tokens", json={"username": "admin", "password": "secret", "name": "x"})
    assert r.status_code == 503 and r.mimetype == "application/problem+json", r.get_data(as_text=True)[:300]
    assert r.json["code"] == "database_unavailable" and r.headers["Retry-After"]
    r = c.post("/api/v1/auth/login", json={"username": "admin", "password": "secret"})
    assert r.status_code == 503 and r.mimetype == "application/problem+json"
    r = c.get("/api/v1/cases/", headers={"Authorization": "Bearer mdt_" + "a" * 40})
    assert r.status_code in (401, 503) and r.mimetype == "application/problem+json"


def test_login_form_without_csrf_token_is_a_503_page(down_app: Flask) -> None:
    c = down_app.test_client()
    r = c.post("/login", data={"username": "admin", "password": "secret"})
    assert r.status_code == 503 and r.mimetype == "text/html"
    assert "服务暂时不可用" in r.get_data(as_text=True)


def test_login_form_is_a_503_page(down_app: Flask) -> None:
    c = down_app.test_client()
    page = c.get("/login")
    assert page.status_code in (200, 503)
    import re

    m = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    if m is None:
        return
    r = c.post("/login", data={"csrf_token": m[1], "username": "admin", "password": "secret"})
    assert r.status_code == 503, r.get_data(as_text=True)[:300]
