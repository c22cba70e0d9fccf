"""``mediation token create|list|revoke``, and the token then working (or not) against the API."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.app import create_app
from mediation.cli.main import main
from mediation.db.engine import make_session_factory
from tests.factories import build_world


@pytest.fixture
def run(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    runner = CliRunner()

    def _run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return _run


def test_token_lifecycle_from_the_command_line(run, committing_engine: Engine) -> None:
    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s)
        username = world.mediator.username
    app = create_app({"TESTING": True, "SECRET_KEY": "t"}, session_factory=make_session_factory(committing_engine))
    client = app.test_client()

    created = run("token", "create", "--username", username, "--name", "sync", "--quiet")
    assert created.exit_code == 0, created.output
    token = created.output.strip()
    assert token.startswith("lm_") and len(token) > 40
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["username"] == username

    listed = run("token", "list", "--username", username)
    assert listed.exit_code == 0 and "sync" in listed.output and token not in listed.output
    token_id = listed.output.split("\t", 1)[0].lstrip("#")

    revoked = run("token", "revoke", token_id)
    assert revoked.exit_code == 0 and "已吊销" in revoked.output
    after = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401 and after.mimetype == "application/problem+json"

    assert run("token", "create", "--username", "nobody").exit_code != 0
    assert run("token", "revoke", "99999").exit_code != 0
