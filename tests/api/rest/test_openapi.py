"""The committed OpenAPI document matches the code, and is a valid OpenAPI 3 document."""

from __future__ import annotations

from openapi_spec_validator import validate

from api.spec import SPEC_PATH, generate, render


def test_committed_spec_is_current() -> None:
    assert SPEC_PATH.read_text(encoding="utf-8") == render(generate()), "run `python -m api.spec` and commit"


def test_spec_is_valid_and_complete() -> None:
    import json

    spec = json.loads(render(generate()))
    validate(spec)
    for path in ("/api/v1/cases/", "/api/v1/cases/{case_id}", "/api/v1/cases/{case_id}/transitions",
                 "/api/v1/cases/{case_id}/events", "/api/v1/cases/{case_id}/sessions",
                 "/api/v1/cases/{case_id}/parties", "/api/v1/enterprises", "/api/v1/organisations",
                 "/api/v1/me", "/api/v1/workflows", "/api/v1/auth/tokens"):
        assert path in spec["paths"], path


def test_served_spec(client) -> None:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.json["info"]["title"] == "劳动争议调解案件管理 API"
