"""Security hardening, items 1 and 2: no forged sessions, sessions and tokens end when they should.

- Outside development the app refuses to start without a strong SECRET_KEY (create_app and a real gunicorn).
- A cookie signed with the public development key, or naming a bare user id, is nobody.
- Logout ends the browser's server-side session: the old cookie answers 401 and its CSRF token writes nothing.
- A password change ends every browser session of the user and revokes their API tokens; a reset and a
  deactivation end the sessions too. The CSRF token changes at login.
- A session cookie plus a made-up bearer header is not a way around the CSRF check.
- The user lists and ends their own sessions (GET/DELETE /api/v1/me/sessions).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import login_id
from mediation.accounts.tokens import user_for_token
from mediation.runtime.settings import DEV_SECRET_KEY, InsecureConfiguration
from tests.factories import PASSWORD, World
from tests.fixtures import Api

ROOT = Path(__file__).resolve().parents[3]
NEW_PASSWORD = "a-fresh-passphrase-2026"


def _login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r


def _csrf(client: FlaskClient) -> str:
    page = client.get("/login")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert m is not None
    return m.group(1)


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/problem+json"
    body: dict[str, Any] = r.json
    assert re.search(r"[\u4e00-\u9fff]", body["detail"]), body  # in Chinese
    return body


# --- item 1: the secret key ------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", DEV_SECRET_KEY, "short-secret", "a" * 64])
def test_production_refuses_to_start_without_a_strong_secret(monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture,
                                                             secret: str | None) -> None:
    monkeypatch.setenv("MEDIATION_ENV", "production")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(InsecureConfiguration) as exc:
        create_app(session_factory=lambda: None)
    assert "SECRET_KEY" in str(exc.value)
    assert any("拒绝启动" in r.getMessage() and r.levelname == "CRITICAL" for r in caplog.records)


def test_production_starts_with_a_strong_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIATION_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x7Gq2LrV9tZc4bNw8Hs1KdPe6YfJm3Ua0Qo5")
    monkeypatch.setenv("DATABASE_URL", "postgresql://mediation@127.0.0.1:5432/mediation")  # production: PostgreSQL
    monkeypatch.setenv("MEDIATION_BLOB_STORE", "s3://mediation-documents/pdf")  # and a shared file store
    app = create_app(session_factory=lambda: None)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_still_starts_with_the_dev_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDIATION_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app(session_factory=lambda: None)
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY
    assert app.config["SESSION_COOKIE_SECURE"] is False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None,
                    reason="SKIPPED: gunicorn is not installed in this environment")
def test_gunicorn_refuses_to_start_in_production_without_a_secret(tmp_path: Path) -> None:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(MEDIATION_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
               MEDIATION_INSTANCE=str(tmp_path), PYTHONPATH=str(ROOT))
    proc = subprocess.run([str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{_free_port()}", "--timeout", "20",
                           "api.app:create_app()"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "SECRET_KEY" in proc.stderr and "拒绝启动" in proc.stderr, proc.stderr[-2000:]


def _forged_cookie(app: Flask, key: str, data: dict[str, Any]) -> str:
    probe = Flask("forger")
    probe.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(probe)
    assert serializer is not None
    return str(serializer.dumps(data))


def test_a_cookie_forged_with_the_public_key_is_nobody(db: Session, world: World,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIATION_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x7Gq2LrV9tZc4bNw8Hs1KdPe6YfJm3Ua0Qo5")
    monkeypatch.setenv("DATABASE_URL", "postgresql://mediation@127.0.0.1:5432/mediation")  # production settings;
    monkeypatch.setenv("MEDIATION_BLOB_STORE", "s3://mediation-documents/pdf")  # the test's session is used
    conn = db.connection()
    app = create_app({"TESTING": True},
                     session_factory=lambda: Session(bind=conn, join_transaction_mode="create_savepoint"))
    client = app.test_client()
    for user_id in (str(world.admin.id), login_id(world.admin, "forged")):
        cookie = _forged_cookie(app, DEV_SECRET_KEY, {"_user_id": user_id, "_fresh": True})
        headers = {"Cookie": f"session={cookie}"}
        _problem(client.get("/api/v1/me", base_url="https://localhost", headers=headers), 401)
        _problem(client.get("/api/v1/users", base_url="https://localhost", headers=headers), 401)


def test_a_bare_user_id_or_a_made_up_session_is_nobody(app: Flask, world: World) -> None:
    """Even signed with the app's real key, a session must name a live server-side session."""
    for user_id in (str(world.admin.id), f"{world.admin.id}.{login_id(world.admin, 'x').split('.')[1]}",
                    login_id(world.admin, "made-up-session-id"), "abc", ""):
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = user_id
            sess["_fresh"] = True
        _problem(client.get("/api/v1/me"), 401)


# --- item 2: sessions end -----------------------------------------------------------------------------------


def test_logout_ends_the_session_and_its_csrf_token(app: Flask, world: World) -> None:
    client = app.test_client()
    anonymous_csrf = _csrf(client)
    _login(client, world.clerk.username)
    csrf = _csrf(client)
    assert csrf != anonymous_csrf  # rotated at login
    assert client.get("/api/v1/me").status_code == 200
    stolen = client.get_cookie("session")
    assert stolen is not None
    r = client.post("/api/v1/enterprises", json={"name": "会话内登记的企业"}, headers={"X-CSRFToken": csrf})
    assert r.status_code == 201, r.json
    assert client.post("/api/v1/auth/logout", headers={"X-CSRFToken": csrf}).status_code == 204
    _problem(client.get("/api/v1/me"), 401)
    # a copy of the old cookie, with its CSRF token, is worth nothing now
    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    _problem(thief.get("/api/v1/me"), 401)
    _problem(thief.post("/api/v1/enterprises", json={"name": "退出后登记的企业"}, headers={"X-CSRFToken": csrf}), 401)


def test_a_new_login_ends_the_session_it_replaces(app: Flask, world: World) -> None:
    client = app.test_client()
    _login(client, world.clerk.username)
    first = client.get_cookie("session")
    assert first is not None
    _login(client, world.mediator.username)
    assert client.get("/api/v1/me").json["username"] == world.mediator.username
    old = app.test_client()
    old.set_cookie("session", first.value)
    _problem(old.get("/api/v1/me"), 401)


def test_web_logout_ends_the_session(app: Flask, world: World) -> None:
    client = app.test_client()
    csrf = _csrf(client)
    r = client.post("/login", data={"username": world.clerk.username, "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 302
    stolen = client.get_cookie("session")
    assert stolen is not None
    page = client.get("/ui/")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None and token.group(1) != csrf
    assert client.post("/logout", data={"csrf_token": token.group(1)}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    assert thief.get("/ui/").status_code == 302  # to the login page
    _problem(thief.get("/api/v1/me"), 401)


def test_own_password_change_ends_sessions_and_revokes_tokens(app: Flask, api: Api, db: Session,
                                                              world: World) -> None:
    other_browser = app.test_client()
    _login(other_browser, world.mediator.username)
    token = api.token(world.mediator)
    browser = app.test_client()
    _login(browser, world.mediator.username)
    csrf = _csrf(browser)
    r = browser.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                     headers={"X-CSRFToken": csrf})
    assert r.status_code == 204, r.get_data(as_text=True)
    # the browser that changed it stays logged in (a new session, same CSRF token); every other one is out
    assert browser.get("/api/v1/me").status_code == 200
    assert browser.post("/api/v1/me/sessions", headers={"X-CSRFToken": csrf}).status_code == 405
    _problem(other_browser.get("/api/v1/me"), 401)
    _problem(api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)
    db.expire_all()
    assert user_for_token(db, token) is None
    events = api.as_(world.admin).get(f"/api/v1/users/{world.mediator.id}/events").json
    assert events[-1]["action"] == "change_password"
    assert events[-1]["details"]["tokens_revoked"] >= 1 and events[-1]["details"]["sessions_ended"] >= 2


def test_password_change_over_a_token_revokes_that_token_too(api: Api, world: World) -> None:
    me = api.as_(world.mediator)
    r = me.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 204
    _problem(me.get("/api/v1/me"), 401)


def test_admin_reset_and_deactivation_end_every_session(app: Flask, api: Api, world: World) -> None:
    browser = app.test_client()
    _login(browser, world.mediator2.username)
    r = api.as_(world.admin).post(f"/api/v1/users/{world.mediator2.id}/password",
                                  json={"password": NEW_PASSWORD})
    assert r.status_code == 204, r.json
    _problem(browser.get("/api/v1/me"), 401)
    _login(browser, world.mediator2.username, NEW_PASSWORD)
    assert api.as_(world.admin).post(f"/api/v1/users/{world.mediator2.id}/deactivate").status_code == 200
    assert api.as_(world.admin).post(f"/api/v1/users/{world.mediator2.id}/reactivate").status_code == 200
    _problem(browser.get("/api/v1/me"), 401)  # reactivation does not revive it


def test_a_cookie_with_a_bogus_bearer_header_does_not_skip_csrf(app: Flask, world: World) -> None:
    client = app.test_client()
    _login(client, world.clerk.username)
    bogus = {"Authorization": "Bearer lm_not-a-real-token"}
    _problem(client.post("/api/v1/enterprises", json={"name": "伪造的令牌"}, headers=bogus), 401)
    _problem(client.post("/api/v1/enterprises", json={"name": "伪造的令牌"},
                         headers={"Authorization": "Bearer "}), 401)
    # without any bearer header the cookie needs its CSRF token
    body = _problem(client.post("/api/v1/enterprises", json={"name": "没有CSRF令牌"}), 400)
    assert body["code"] == "csrf_failed"


def test_a_logout_without_csrf_token_logs_nobody_out(app: Flask, world: World) -> None:
    """Attack pass: a logout with the cookie and a made-up bearer token (so: anonymous, no CSRF check) emptied the
    browser's cookie. Now an anonymous logout changes nothing; without a bearer header it needs the token."""
    client = app.test_client()
    _login(client, world.clerk.username)
    for headers in ({"Authorization": "Bearer lm_not-a-real-token"}, {"Authorization": "Bearer "}):
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
        assert client.get("/api/v1/me").status_code == 200, headers
    _problem(client.post("/api/v1/auth/logout"), 400)
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/auth/logout", headers={"X-CSRFToken": _csrf(client)}).status_code == 204
    _problem(client.get("/api/v1/me"), 401)


def test_own_sessions_are_listed_and_ended(app: Flask, api: Api, world: World) -> None:
    laptop, phone = app.test_client(), app.test_client()
    _login(laptop, world.clerk.username)
    _login(phone, world.clerk.username)
    csrf = _csrf(laptop)
    listed = laptop.get("/api/v1/me/sessions", headers={"User-Agent": "laptop"})
    assert listed.status_code == 200
    assert len(listed.json) == 2 and sum(s["current"] for s in listed.json) == 1
    assert {"id", "created_at", "last_seen_at", "expires_at", "ip", "user_agent"} <= set(listed.json[0])
    phone_id = next(s["id"] for s in listed.json if not s["current"])
    # nobody else's session: 404, and CSRF is required for a cookie
    outsider = api.as_(world.outsider)
    _problem(outsider.delete(f"/api/v1/me/sessions/{phone_id}"), 404)
    assert laptop.delete(f"/api/v1/me/sessions/{phone_id}").status_code == 400
    assert laptop.delete(f"/api/v1/me/sessions/{phone_id}", headers={"X-CSRFToken": csrf}).status_code == 204
    _problem(phone.get("/api/v1/me"), 401)
    assert laptop.get("/api/v1/me").status_code == 200
    _login(phone, world.clerk.username)
    assert laptop.delete("/api/v1/me/sessions", headers={"X-CSRFToken": csrf}).status_code == 204
    _problem(phone.get("/api/v1/me"), 401)
    assert laptop.get("/api/v1/me").status_code == 200
    assert [s["current"] for s in laptop.get("/api/v1/me/sessions").json] == [True]


def _form_login(app: Flask, user: str, url: str) -> Any:
    browser = app.test_client()
    page = browser.get(url)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    action = re.search(r'<form class="login" method="post" action="([^"]+)"', page.get_data(as_text=True))
    assert token is not None and action is not None
    return browser.post(html.unescape(action.group(1)), data={"username": user, "password": PASSWORD,
                                                              "csrf_token": token.group(1)})


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/ui/", "/\\evil.example/ui/",
                                    "/%5Cevil.example", "/%2F%2Fevil.example", "javascript:alert(1)",
                                    "/ui//evil.example", "/ui/%2F%2Fevil.example", "/ui/\r\nSet-Cookie: x=1",
                                    "ui/cases", "/api/v1/me", "", "/ui/" + "a" * 600])
def test_login_never_redirects_off_the_ui(app: Flask, world: World, target: str) -> None:
    """Attack pass: ``next=`` after login is followed only to a page of this site's UI; anything else lands
    on the workbench (no open redirect, no header injection)."""
    r = _form_login(app, world.clerk.username, "/login?" + urlencode({"next": target}))
    assert r.status_code == 302
    assert r.headers["Location"] == "/", r.headers["Location"]


def test_login_returns_to_the_page_that_asked_for_it(app: Flask, world: World) -> None:
    anonymous = app.test_client().get("/ui/cases?status=mediating")
    assert anonymous.status_code == 302
    r = _form_login(app, world.clerk.username, anonymous.headers["Location"])
    assert r.status_code == 302 and r.headers["Location"] == "/ui/cases", r.headers["Location"]
    r = _form_login(app, world.clerk.username, "/login?" + urlencode({"next": "/ui/cases?status=mediating&page=2"}))
    assert r.headers["Location"] == "/ui/cases?status=mediating&page=2"
