"""Security hardening, item 3: security headers on every response, cookie flags, HSTS over HTTPS only, and no
template that a strict Content-Security-Policy would break (inline scripts, event handler or style attributes).
That the pages really work under the policy is checked in a real browser (tests/browser/test_csp.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.security import CONTENT_SECURITY_POLICY
from tests.factories import PASSWORD, World
from tests.fixtures import Api
from tests.helpers import ui_get

TEMPLATES = Path(__file__).resolve().parents[3] / "api"


def _secure_headers(headers: dict[str, str] | object) -> None:
    h = headers
    assert h["Content-Security-Policy"] == CONTENT_SECURITY_POLICY  # type: ignore[index]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                      "object-src 'none'"):
        assert directive in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert h["X-Frame-Options"] == "DENY"  # type: ignore[index]
    assert h["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert h["Referrer-Policy"] == "same-origin"  # type: ignore[index]
    assert "camera=()" in h["Permissions-Policy"] and "geolocation=()" in h["Permissions-Policy"]  # type: ignore[index]


@pytest.mark.parametrize("url", ["/login", "/healthz", "/api/v1/me", "/api/v1/openapi.json", "/api/v1/docs",
                                 "/static/ui/app.css", "/no-such-page", "/api/v1/no-such-thing"])
def test_every_response_has_the_security_headers(client: FlaskClient, url: str) -> None:
    r = client.get(url)
    _secure_headers(r.headers)
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP here
    r.close()


def test_pages_and_errors_of_a_logged_in_user(client: FlaskClient, world: World) -> None:
    _secure_headers(ui_get(client, world.clerk, "/ui/").headers)
    r = client.post("/api/v1/enterprises", json={"name": "x"})  # no CSRF token: a problem, headers all the same
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    _secure_headers(r.headers)


def test_hsts_over_https(client: FlaskClient) -> None:
    r = client.get("/healthz", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_hsts_behind_a_trusted_tls_proxy(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIATION_TRUSTED_PROXIES", "1")
    app = create_app({"TESTING": True, "SECRET_KEY": "t"}, session_factory=lambda: db)
    r = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.1"})
    assert "Strict-Transport-Security" in r.headers
    # without a trusted proxy the header is the client's word, and not taken
    monkeypatch.setenv("MEDIATION_TRUSTED_PROXIES", "0")
    app = create_app({"TESTING": True, "SECRET_KEY": "t"}, session_factory=lambda: db)
    r = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in r.headers


def _login_cookie(app: Flask, world: World, base_url: str = "http://localhost") -> str:
    client = app.test_client()
    r = client.post("/api/v1/auth/login", json={"username": world.clerk.username, "password": PASSWORD},
                    base_url=base_url)
    assert r.status_code == 200, r.json
    return r.headers["Set-Cookie"]


def test_cookies_are_httponly_lax_and_secure_outside_development(db: Session, world: World,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    conn = db.connection()

    def factory() -> Session:
        return Session(bind=conn, join_transaction_mode="create_savepoint")

    monkeypatch.setenv("MEDIATION_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x7Gq2LrV9tZc4bNw8Hs1KdPe6YfJm3Ua0Qo5")
    monkeypatch.setenv("DATABASE_URL", "postgresql://mediation@127.0.0.1:5432/mediation")  # production settings;
    monkeypatch.setenv("MEDIATION_BLOB_STORE", "s3://mediation-documents/pdf")  # the test's session is used
    cookie = _login_cookie(create_app({"TESTING": True}, session_factory=factory), world, "https://localhost")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    monkeypatch.setenv("MEDIATION_ENV", "development")
    cookie = _login_cookie(create_app({"TESTING": True}, session_factory=factory), world)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
_STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
_HX_EVAL = re.compile(r"hx-on|hx-vars|[\"']js:|javascript:", re.I)


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")
                                            if "static" not in p.parts))
def test_templates_need_nothing_the_policy_refuses(template: str) -> None:
    text = re.sub(r"\{#.*?#\}", "", (TEMPLATES / template).read_text(encoding="utf-8"), flags=re.S)  # comments
    assert not _INLINE_SCRIPT.search(text), "inline <script>: move it to api/static/ui/*.js"
    assert not _HANDLER.search(text), "on…= event handler attribute"
    assert not _STYLE_ATTR.search(text), "style= attribute: use a class in app.css"
    assert "<style" not in text, "<style> element: use a stylesheet file"
    assert not _HX_EVAL.search(text), "htmx evaluation (hx-on, js:) is turned off"


def test_nothing_dynamic_is_kept_by_caches(client: FlaskClient, api: Api, world: World) -> None:
    """Attack pass: pages, API answers, exports and errors carried no Cache-Control, so a browser could keep a
    logged-in page with personal data on disk and show it again after logout. Now all of them say no-store;
    static files and the map outlines keep their own caching."""
    ui_get(client, world.city_supervisor, "/ui/")
    for url in ("/ui/", "/ui/cases", "/ui/dashboard", "/ui/dashboard/export.csv", "/ui/dashboard/export.xlsx",
                "/ui/cases/99999999", "/api/v1/me", "/api/v1/cases/", "/api/v1/cases/99999999"):
        r = client.get(url)
        assert r.status_code in (200, 404), (url, r.status_code)
        assert r.headers["Cache-Control"] == "private, no-store", (url, r.headers.get("Cache-Control"))
    bearer = api.as_(world.supervisor)
    for url in ("/api/v1/cases/", "/api/v1/hotspots/export.xlsx", "/api/v1/hotspots/export.csv"):
        r = bearer.get(url)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "private, no-store", url
    for url in ("/login", "/api/v1/openapi.json", "/no-such-page"):
        assert client.get(url).headers["Cache-Control"] == "private, no-store", url
    static = client.get("/static/ui/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    missing = client.get("/static/ui/no-such-file.js")  # an error is no static file
    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "private, no-store"
    geo = client.get("/ui/dashboard/geo/330400.json")
    assert geo.status_code == 200 and "max-age" in geo.headers["Cache-Control"]
