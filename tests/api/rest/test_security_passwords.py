"""Security hardening, item 6: password guessing is slowed down (per client across usernames, per account and
client, per account for clients that failed), with backoff instead of a lock-out of the owner; password
changes are throttled too; weak passwords are refused; behind a proxy only the trusted header names the client.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.app import create_app
from mediation.accounts import throttle
from mediation.accounts.passwords import common_passwords, password_problems
from mediation.accounts.users import create_user, operator_reset_password
from mediation.cli.seed import DEMO_PASSWORD
from mediation.db.models_access import LoginAttempt, UserSession
from mediation.domain.errors import ValidationFailed
from tests.factories import PASSWORD, World
from tests.fixtures import Api

ATTACKER = "203.0.113.5"
OWNER = "198.51.100.7"


def _login(client: FlaskClient, username: str, password: str, ip: str = ATTACKER, **kw: Any) -> Any:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, **kw)


def _throttled(r: Any) -> int:
    assert r.status_code == 429, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/problem+json" and r.json["code"] == "too_many_attempts"
    assert re.search(r"请\d+(秒|分钟)后再试", r.json["detail"]), r.json
    return int(r.headers["Retry-After"])


def _age_attempts(db: Session, seconds: float) -> None:
    """Let time pass for the throttle: every recorded attempt moves ``seconds`` into the past."""
    db.expire_all()
    for a in db.scalars(select(LoginAttempt)):
        a.at = a.at - dt.timedelta(seconds=seconds)
    db.commit()


# --- throttling -------------------------------------------------------------------------------------------


def test_spraying_many_usernames_from_one_client_is_slowed_down(client: FlaskClient, world: World) -> None:
    statuses = [_login(client, f"user{i:02d}", "Summer2026!").status_code for i in range(30)]
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}
    # also for a real account with its right password, from that client
    _throttled(_login(client, world.clerk.username, PASSWORD))
    # another client is not affected
    assert _login(client, world.clerk.username, PASSWORD, ip=OWNER).status_code == 200


def test_guessing_one_account_does_not_lock_the_owner_out(client: FlaskClient, world: World) -> None:
    for _ in range(5):
        assert _login(client, world.mediator.username, "guess-guess-guess").status_code == 401
    _throttled(_login(client, world.mediator.username, PASSWORD))  # the guesser waits, even if right now
    r = _login(client, world.mediator.username, PASSWORD, ip=OWNER)  # the owner, elsewhere, does not
    assert r.status_code == 200, r.json


def test_backoff_doubles_and_then_lets_the_client_try_again(client: FlaskClient, db: Session, world: World) -> None:
    for _ in range(5):
        _login(client, world.mediator.username, "guess-guess-guess")
    waits = [_throttled(_login(client, world.mediator.username, "guess-guess-guess"))]
    for _ in range(3):
        _age_attempts(db, waits[-1])
        assert _login(client, world.mediator.username, "guess-guess-guess").status_code == 401
        waits.append(_throttled(_login(client, world.mediator.username, "guess-guess-guess")))
    assert waits == [1, 2, 4, 8]
    _age_attempts(db, 8)
    assert _login(client, world.mediator.username, PASSWORD).status_code == 200
    # a success starts the account-and-client count afresh
    assert _login(client, world.mediator.username, "guess-guess-guess").status_code == 401


def test_distributed_guessing_slows_the_guessers_not_the_owner(client: FlaskClient, world: World) -> None:
    for i in range(25):
        assert _login(client, world.supervisor.username, "guess-guess-guess", ip=f"192.0.2.{i + 1}").status_code \
            in (401, 429)
    _throttled(_login(client, world.supervisor.username, PASSWORD, ip="192.0.2.25"))
    assert _login(client, world.supervisor.username, PASSWORD, ip=OWNER).status_code == 200


def test_token_requests_share_the_throttle(client: FlaskClient, world: World) -> None:
    for _ in range(5):
        client.post("/api/v1/auth/tokens", json={"username": world.clerk.username, "password": "nope-nope-nope"},
                    environ_base={"REMOTE_ADDR": ATTACKER})
    r = client.post("/api/v1/auth/tokens", json={"username": world.clerk.username, "password": PASSWORD},
                    environ_base={"REMOTE_ADDR": ATTACKER})
    _throttled(r)


def test_the_web_login_form_is_throttled_too(app: Flask, world: World) -> None:
    browser = app.test_client()
    page = browser.get("/login", environ_base={"REMOTE_ADDR": ATTACKER}).get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m is not None
    form = {"username": world.clerk.username, "password": "wrong-wrong-wrong", "csrf_token": m.group(1)}
    for _ in range(5):
        assert browser.post("/login", data=form, environ_base={"REMOTE_ADDR": ATTACKER}).status_code == 401
    r = browser.post("/login", data={**form, "password": PASSWORD}, environ_base={"REMOTE_ADDR": ATTACKER})
    assert r.status_code == 429, r.status_code
    assert int(r.headers["Retry-After"]) >= 1
    assert r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert re.search(r"请\d+(秒|分钟)后再试（北京时间 \d\d:\d\d:\d\d 以后）", page), page
    assert "Content-Security-Policy" in r.headers  # the page keeps the usual headers
    # the owner from elsewhere still logs in through the form
    owner = app.test_client()
    page = owner.get("/login", environ_base={"REMOTE_ADDR": OWNER}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    r = owner.post("/login", data={**form, "password": PASSWORD, "csrf_token": token.group(1)},
                   environ_base={"REMOTE_ADDR": OWNER})
    assert r.status_code == 302


def _form_login(app: Flask, username: str, password: str, ip: str) -> Any:
    browser = app.test_client()
    page = browser.get("/login", environ_base={"REMOTE_ADDR": ip}).get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m is not None
    return browser.post("/login", data={"username": username, "password": password, "csrf_token": m.group(1)},
                        environ_base={"REMOTE_ADDR": ip})


def _without_times(text: str) -> str:
    """The answer without what differs on every request anyway (times, request id, CSRF token, nonce)."""
    text = re.sub(r'"request_id": "[0-9a-f]+"|value="[^"]+"|nonce="[^"]+"', "#", text)
    return re.sub(r"\d+(秒|分钟)|\d\d:\d\d:\d\d", "#", text)


@pytest.mark.parametrize("form", [False, True], ids=["api", "form"])
def test_a_throttled_login_does_not_tell_whether_the_username_exists(app: Flask, client: FlaskClient,
                                                                      world: World, form: bool) -> None:
    answers = {}
    for username, ip in ((world.mediator.username, "192.0.2.101"), ("no-such-user-2026", "192.0.2.102")):
        for _ in range(5):
            r = _form_login(app, username, "guess-guess-guess", ip) if form else \
                _login(client, username, "guess-guess-guess", ip=ip)
            assert r.status_code == 401
        r = _form_login(app, username, "guess-guess-guess", ip) if form else \
            _login(client, username, "guess-guess-guess", ip=ip)
        assert r.status_code == 429 and r.headers["Retry-After"] == "1"
        body = r.get_data(as_text=True)
        answers[username] = (r.status_code, r.mimetype, r.headers["Retry-After"],
                             _without_times(body.replace(username, "")))
        assert username not in body
    assert answers[world.mediator.username] == answers["no-such-user-2026"]


def test_password_changes_are_throttled(api: Api, world: World) -> None:
    me = api.as_(world.clerk)
    for _ in range(5):
        r = me.post("/api/v1/me/password", json={"current_password": "not-my-password",
                                                 "new_password": "a-brand-new-passphrase"},
                    environ_base={"REMOTE_ADDR": ATTACKER})
        assert r.status_code == 422 and "current_password" in r.json["errors"]
    r = me.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "a-brand-new-passphrase"},
                environ_base={"REMOTE_ADDR": ATTACKER})
    _throttled(r)


def test_wait_doubles_up_to_a_cap() -> None:
    scope = throttle.ACCOUNT_CLIENT
    assert [throttle.delay(scope, n).total_seconds() for n in range(4, 9)] == [0, 1, 2, 4, 8]
    assert throttle.delay(scope, 500) == throttle.MAX_DELAY


# --- proxies ----------------------------------------------------------------------------------------------


def _app(db: Session, **config: Any) -> Flask:
    conn = db.connection()
    return create_app({"TESTING": True, "SECRET_KEY": "test", **config},
                      session_factory=lambda: Session(bind=conn, join_transaction_mode="create_savepoint"))


def test_forwarded_for_is_ignored_without_trusted_proxies(db: Session, world: World) -> None:
    client = _app(db).test_client()
    statuses = [_login(client, f"user{i:02d}", "Summer2026!", headers={"X-Forwarded-For": f"10.9.{i}.1"}).status_code
                for i in range(12)]
    assert statuses[-1] == 429  # a made-up X-Forwarded-For is not a new client


def test_the_trusted_proxy_header_names_the_client(db: Session, world: World,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIATION_TRUSTED_PROXIES", "1")
    client = _app(db).test_client()
    for i in range(12):  # the proxy appends the real client; what the client itself sent before is ignored
        r = _login(client, f"user{i:02d}", "Summer2026!", ip="127.0.0.1",
                   headers={"X-Forwarded-For": f"1.2.3.4, {ATTACKER}"})
    _throttled(r)
    r = _login(client, world.clerk.username, PASSWORD, ip="127.0.0.1", headers={"X-Forwarded-For": OWNER})
    assert r.status_code == 200
    row = db.scalars(select(UserSession).order_by(UserSession.id.desc())).first()
    assert row is not None and row.ip == OWNER


# --- the password policy ----------------------------------------------------------------------------------


WEAK = ["12345678", "password", "1234567890", "qwertyuiop", "iloveyou2026!", "Password123", "aaaaaaaaaaaa",
        "zhangsan-2026"]


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused_everywhere(api: Api, world: World, weak: str) -> None:
    admin = api.as_(world.admin)
    body = {"username": "zhangsan", "display_name": "张三", "role": "mediator", "organisation_id": world.township.id,
            "password": weak}
    r = admin.post("/api/v1/users", json=body)
    assert r.status_code == 422 and r.mimetype == "application/problem+json", r.json
    assert re.search(r"[\u4e00-\u9fff]", r.json["errors"]["password"][0])
    if "zhangsan" in weak:  # weak for that user only
        return
    r = admin.post(f"/api/v1/users/{world.mediator2.id}/password", json={"password": weak})
    assert r.status_code == 422 and "password" in r.json["errors"], r.json
    r = api.as_(world.clerk).post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": weak})
    assert r.status_code == 422 and "new_password" in r.json["errors"], r.json


def test_names_in_the_password_are_refused(api: Api, world: World) -> None:
    r = api.as_(world.admin).post(f"/api/v1/users/{world.mediator2.id}/password",
                                  json={"password": "i-am-mediator2-ok"})
    assert r.status_code == 422 and "用户名" in r.json["errors"]["password"][0]


def test_strong_passwords_pass() -> None:
    assert common_passwords() and len(common_passwords()) > 5000
    for good in (DEMO_PASSWORD, PASSWORD, "correct-horse-battery-staple", "调解员的长密码2026"):
        assert password_problems(good, username="zhangsan", display_name="张三") == [], good


def test_the_command_line_and_the_seed_path_apply_the_policy(db: Session, world: World) -> None:
    """``mediation create-user`` / ``user reset-password`` call these services."""
    with pytest.raises(ValidationFailed) as exc:
        create_user(db, username="weakling", password="12345678", display_name="弱密码", role="mediator",
                    organisation_id=world.township.id)
    assert "password" in exc.value.errors
    with pytest.raises(ValidationFailed):
        operator_reset_password(db, username=world.clerk.username, password="password")
    assert create_user(db, username="demo_like", password=DEMO_PASSWORD, display_name="演示", role="mediator",
                       organisation_id=world.township.id).id


@pytest.mark.parametrize(("form", "field"), [({"username": "", "password": "x"}, "用户名"),
                                             ({"username": "a" * 65, "password": "x"}, "用户名"),
                                             ({"username": "clerk"}, "密码"),
                                             ({"username": "clerk", "password": "p" * 257}, "密码")])
def test_the_login_form_names_the_field_that_is_wrong(app: Flask, db: Session, form: dict[str, str],
                                                      field: str) -> None:
    """The form goes through its schema: an empty or overlong field is named in Chinese (422), no password is
    checked and no attempt recorded."""
    browser = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").get_data(as_text=True))
    assert token is not None
    before = db.scalar(select(func.count()).select_from(LoginAttempt))
    r = browser.post("/login", data={**form, "csrf_token": token.group(1)})
    assert r.status_code == 422 and r.mimetype == "text/html"
    assert re.search(field + r"：(必填|长度应为\d+至\d+个字符)", r.get_data(as_text=True)), r.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == before
