"""A third party's client, generated from the committed OpenAPI document with openapi-python-client and the
committed generator config (api/openapi-client.yaml), drives a case over real HTTP: token, list, detail,
transition with If-Match, a stale If-Match refused with a 409 problem, token revoked.

Only the generated package talks to the server; the database is used to set up the world and the case.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from api.app import create_app
from api.spec import SPEC_PATH
from mediation.db.engine import make_session_factory
from mediation.domain.clock import china_today
from tests.factories import PASSWORD, build_world, new_case

pytestmark = pytest.mark.slow

CONFIG_PATH = SPEC_PATH.with_name("openapi-client.yaml")
PROJECT = "labour-mediation-client"
PACKAGE = "labour_mediation_client"


def _generate(into: Path) -> Path:
    """Run the generator as a third party would (its CLI, in a subprocess); returns the project folder."""
    pytest.importorskip("openapi_python_client", reason="openapi-python-client is in the `test` extra")
    out = into / PROJECT
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(SPEC_PATH),
         "--config", str(CONFIG_PATH), "--meta", "uv", "--output-path", str(out), "--fail-on-warning"],
        cwd=into, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, f"generator failed:\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.fixture
def client_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    project = _generate(tmp_path)
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["name"] == PROJECT
    assert (project / PACKAGE / "api" / "cases" / "fire_transition.py").is_file()
    monkeypatch.syspath_prepend(str(project))
    importlib.invalidate_caches()
    yield importlib.import_module(PACKAGE)
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def server_url(committing_engine: Engine) -> Iterator[str]:
    app = create_app({"TESTING": True, "SECRET_KEY": "generated-client", "DOCUMENTS_ON_TRANSITION": False},
                     session_factory=make_session_factory(committing_engine))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_generated_client_drives_a_case(client_package: ModuleType, server_url: str,
                                        committing_engine: Engine) -> None:
    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s)
        case = new_case(s, world, china_today())
        case_id, number, mediator = case.id, case.number, world.mediator
    c = client_package
    models = _module(c, "models")
    create_token = _module(c, "api.auth.create_token")
    revoke_token = _module(c, "api.auth.revoke_token")
    list_cases = _module(c, "api.cases.list_cases")
    get_case = _module(c, "api.cases.get_case")
    fire_transition = _module(c, "api.cases.fire_transition")

    # Token (createToken), anonymous client.
    with c.Client(base_url=server_url) as anonymous:
        r = create_token.sync_detailed(client=anonymous, body=models.TokenRequest(
            username=mediator.username, password=PASSWORD, name="generated client"))
    assert r.status_code == 201, r.content
    token = r.parsed
    assert isinstance(token, models.Token) and token.token and token.id

    with c.AuthenticatedClient(base_url=server_url, token=token.token) as api:
        # List (listCases): the mediator's organisation's case is there.
        r = list_cases.sync_detailed(client=api)
        assert r.status_code == 200, r.content
        page = r.parsed
        assert isinstance(page, models.CasePageOut)
        assert case_id in [item.id for item in page.items] and page.total >= 1

        # Detail (getCase): version in the body and the ETag.
        r = get_case.sync_detailed(case_id, client=api)
        assert r.status_code == 200, r.content
        detail = r.parsed
        assert isinstance(detail, models.CaseDetailOut)
        assert detail.number == number and detail.status == "applied"
        assert "accept" in [e.event for e in detail.available_events]
        etag = r.headers["ETag"]
        assert etag == f'"{detail.version}"'

        # Transition with If-Match (fireTransition): new state, new version, new ETag.
        body = models.TransitionIn(event="accept", payload=models.TransitionInPayload.from_dict(
            {"respondent_consents": True, "mediator_id": mediator.id}))
        r = fire_transition.sync_detailed(case_id, client=api, body=body, if_match=etag)
        assert r.status_code == 200, r.content
        after = r.parsed
        assert isinstance(after, models.CaseDetailOut)
        assert after.status == "mediating" and after.version == detail.version + 1
        assert r.headers["ETag"] == f'"{after.version}"'
        assert get_case.sync(case_id, client=api).status == "mediating"

        # The same If-Match again is stale: 409 problem with the current version.
        r = fire_transition.sync_detailed(case_id, client=api, if_match=etag, body=models.TransitionIn(
            event="record_session", payload=models.TransitionInPayload.from_dict({})))
        assert r.status_code == 409, r.content
        assert r.headers["Content-Type"] == "application/problem+json"
        problem = r.parsed
        assert isinstance(problem, models.Problem)
        assert problem.status == 409 and problem.code == "conflict" and problem.detail
        assert problem.current_version == after.version

        # Revoke the token (revokeToken): it stops working (401 problem).
        r = revoke_token.sync_detailed(token.id, client=api)
        assert r.status_code == 204, r.content
        r = get_case.sync_detailed(case_id, client=api)
        assert r.status_code == 401 and isinstance(r.parsed, models.Problem)
        assert r.parsed.code == "unauthorized"
