"""Operating the app: /healthz, /readyz (database, migrations at head, fonts, queue lag), /metrics, the request
id (header, problem bodies, log lines), and 503 problems while the database is unreachable."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from api import ops
from mediation.db import migrate
from mediation.runtime.logs import configure_logging
from mediation.runtime.settings import Settings
from tests.conftest import BACKEND
from tests.factories import World, application
from tests.fixtures import Api


def test_healthz_and_readyz(client: FlaskClient) -> None:
    assert client.get("/healthz").status_code == 200
    r = client.get("/readyz")
    assert r.status_code == 200, r.json
    checks = r.json["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"] and checks["fonts"]["ok"]
    assert checks["queue"]["ok"] and (checks["queue"].get("mode") == "inline") == (BACKEND == "sqlite")


def test_readyz_is_503_when_the_schema_is_behind(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrate, "script_heads", lambda: ("9999",))
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json["status"] == "not_ready"
    assert not r.json["checks"]["migrations"]["ok"] and r.json["checks"]["migrations"]["head"] == ["9999"]


@pytest.mark.postgres_only
def test_readyz_is_503_when_the_queue_lags(app: Flask, client: FlaskClient) -> None:
    settings: Settings = app.extensions["mediation.settings"]
    app.extensions["mediation.settings"] = Settings(**{**settings.__dict__, "ready_max_queue_lag": -1.0})
    r = client.get("/readyz")
    assert r.status_code == 503 and not r.json["checks"]["queue"]["ok"]


def test_request_id_is_echoed_in_the_header_and_in_problems(client: FlaskClient) -> None:
    r = client.get("/api/v1/cases/", headers={"X-Request-ID": "req-42"})
    assert r.status_code == 401 and r.headers["X-Request-ID"] == "req-42"
    assert r.mimetype == "application/problem+json" and r.json["request_id"] == "req-42"
    # an unusable incoming id is replaced by one of ours
    r = client.get("/healthz", headers={"X-Request-ID": "bad id; <script>" * 9})
    assert len(r.headers["X-Request-ID"]) == 32


def test_every_log_line_has_the_request_id(app: Flask, client: FlaskClient) -> None:
    stream = io.StringIO()
    handler = configure_logging(Settings.from_env({"MEDIATION_LOG_FORMAT": "json"}), stream=stream)
    try:
        @app.route("/_log")
        def _log() -> str:
            logging.getLogger("mediation.test").warning("办理中")
            return "ok"

        client.get("/_log", headers={"X-Request-ID": "abc-1"})
    finally:
        logging.getLogger().removeHandler(handler)
    import json

    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["request_id"] == "abc-1" and line["message"] == "办理中" and line["level"] == "WARNING"


def test_metrics(api: Api, world: World, client: FlaskClient) -> None:
    r = api.as_(world.clerk).post("/api/v1/cases/", json=application(world))
    assert r.status_code == 201
    case = r.json
    r = api.as_(world.mediator).post(f"/api/v1/cases/{case['id']}/transitions",
                                     json={"event": "accept", "payload": {"respondent_consents": True}},
                                     headers={"If-Match": f'"{case["version"]}"'})
    assert r.status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    assert 'mediation_transitions_total{event="accept"}' in text
    assert 'mediation_http_requests_total{method="POST",route="/api/v1/cases/",status="201"}' in text
    assert "mediation_http_request_duration_seconds_bucket" in text
    assert "mediation_database_up 1.0" in text
    # installation-wide: documents not rendered yet, risk changes not folded yet and how far behind that is
    assert 'mediation_documents_not_ready{status="pending"} 0.0' in text
    assert 'mediation_documents_not_ready{status="failed"} 0.0' in text
    assert "mediation_risk_deltas_waiting 0.0" in text  # the test app folds after each commit
    assert "mediation_dashboard_lag_seconds 0.0" in text


def test_an_unreachable_database_answers_503_problems(api: Api, world: World,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*_a: Any, **_k: Any) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("api.rest.cases.list_cases", down)
    r = api.as_(world.clerk).get("/api/v1/cases/")
    assert r.status_code == 503 and r.mimetype == "application/problem+json", r.data
    assert r.json["code"] == "database_unavailable" and r.headers["Retry-After"] == "5" and r.json["request_id"]


def test_ops_module_has_no_state_between_apps() -> None:
    assert ops.bp.name == "ops"
