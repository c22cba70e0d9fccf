"""Over real HTTP on PostgreSQL: concurrent transitions on one case -> one 200, the rest 409."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from api.app import create_app
from mediation.accounts.tokens import issue_token
from mediation.db.engine import make_session_factory
from mediation.db.models import CaseEvent
from mediation.domain.clock import china_today
from tests.factories import build_world, new_case

N = 8


@pytest.mark.postgres_only
def test_concurrent_http_transitions(committing_engine: Engine) -> None:
    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s)
        case = new_case(s, world, china_today())
        tokens = [issue_token(s, user=u, name="race")[1] for u in (world.mediator, world.mediator2)]
        case_id, version = case.id, case.version
    app = create_app({"TESTING": True, "SECRET_KEY": "t"}, session_factory=make_session_factory(committing_engine))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/cases/{case_id}/transitions"
    barrier = threading.Barrier(N)
    statuses: list[int] = [0] * N

    def fire(i: int) -> None:
        body = json.dumps({"event": "accept", "payload": {"respondent_consents": True}}).encode()
        req = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {tokens[i % 2]}",
            "If-Match": f'"{version}"'})
        barrier.wait()
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                statuses[i] = resp.status
        except urllib.error.HTTPError as exc:
            statuses[i] = exc.code
            assert exc.headers["Content-Type"] == "application/problem+json"

    try:
        workers = [threading.Thread(target=fire, args=(i,)) for i in range(N)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=60)
    finally:
        server.shutdown()
    assert sorted(statuses) == [200] + [409] * (N - 1), statuses
    with Session(committing_engine) as s:
        assert s.scalar(select(func.count()).select_from(CaseEvent)
                        .where(CaseEvent.case_id == case_id, CaseEvent.event == "accept")) == 1
