"""The committed OpenAPI document matches the code, and is a valid OpenAPI 3 document."""

from __future__ import annotations

import re
from typing import Any

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
    assert r.status_code == 200 and r.json["info"]["title"] == "Labour Mediation API"
    assert r.json["info"]["x-title-zh"] == "劳动争议调解案件管理 API"


def test_title_is_ascii_and_the_client_config_names_the_client() -> None:
    """Client generators derive the package name from info.title; api/openapi-client.yaml fixes it."""
    import json

    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert spec["info"]["title"].isascii()
    config = SPEC_PATH.with_name("openapi-client.yaml").read_text(encoding="utf-8")
    assert re.search(r"^project_name_override: labour-mediation-client$", config, re.M)
    assert re.search(r"^package_name_override: labour_mediation_client$", config, re.M)


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: The resource a path belongs to (first match wins): its operations carry exactly this one tag.
RESOURCE_TAGS = (
    ("/api/v1/auth/", "auth"),
    ("/api/v1/cases/{case_id}/documents", "documents"),
    ("/api/v1/cases/{case_id}/handoff", "handoff"),
    ("/api/v1/cases/{case_id}/notifications", "notifications"),
    ("/api/v1/cases/{case_id}/appointments", "notifications"),
    ("/api/v1/me/notification", "notifications"),
    ("/api/v1/notifications", "notifications"),
    ("/api/v1/cases/{case_id}/payments", "payments"),
    ("/api/v1/document-kinds", "documents"),
    ("/api/v1/cases/", "cases"),
    ("/api/v1/users", "users"),
    ("/api/v1/me", "users"),
    ("/api/v1/enterprises", "reference"),
    ("/api/v1/organisations", "reference"),
    ("/api/v1/workflows", "reference"),
    ("/api/v1/risk/signals", "signals"),
    ("/api/v1/risk/enterprises", "signals"),
    ("/api/v1/risk/alerts", "alerts"),
    ("/api/v1/risk/rules", "rules"),
    ("/api/v1/hotspots", "hotspots"),
)


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method in HTTP_METHODS]


def test_every_operation_has_a_stable_operation_id_and_one_resource_tag() -> None:
    """Client generators name their functions after operationId and group them by tag."""
    import json

    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    operations = _operations(spec)
    assert len(operations) > 50
    ids = [op.get("operationId") for _, _, op in operations]
    missing = [f"{m} {p}" for m, p, op in operations if not op.get("operationId")]
    assert not missing, f"operations without operationId: {missing}"
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)
    bad = [i for i in ids if not re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", i)]
    assert not bad, f"operationIds must be camelCase ASCII: {bad}"

    declared = {t["name"]: t for t in spec["tags"]}
    for name, tag in declared.items():
        assert name.isascii() and re.fullmatch(r"[a-z]+", name), name
        assert tag.get("description"), f"tag {name} needs a (Chinese) description"
    for method, path, op in operations:
        expected = next(tag for prefix, tag in RESOURCE_TAGS if path.startswith(prefix))
        assert op.get("tags") == [expected], f"{method} {path}: tags {op.get('tags')}, expected [{expected!r}]"
    assert {tag for _, _, op in operations for tag in op["tags"]} == set(declared)


def test_essential_operation_ids_are_stable() -> None:
    """Renaming one of these breaks every generated client: don't."""
    import json

    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    by_id = {op["operationId"]: (m, p) for m, p, op in _operations(spec)}
    assert by_id["createToken"] == ("POST", "/api/v1/auth/tokens")
    assert by_id["revokeToken"] == ("DELETE", "/api/v1/auth/tokens/{token_id}")
    assert by_id["listCases"] == ("GET", "/api/v1/cases/")
    assert by_id["createCase"] == ("POST", "/api/v1/cases/")
    assert by_id["getCase"] == ("GET", "/api/v1/cases/{case_id}")
    assert by_id["fireTransition"] == ("POST", "/api/v1/cases/{case_id}/transitions")
    assert by_id["listCaseEvents"] == ("GET", "/api/v1/cases/{case_id}/events")
    assert by_id["listDocuments"] == ("GET", "/api/v1/cases/{case_id}/documents")
    assert by_id["downloadDocumentPdf"] == ("GET", "/api/v1/cases/{case_id}/documents/{document_id}/pdf")
    assert by_id["getMe"] == ("GET", "/api/v1/me")
