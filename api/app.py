"""Flask application: REST API under /api/v1 (OpenAPI) and the Chinese web UI. The only Flask layer."""

from __future__ import annotations

import http
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from apispec import BasePlugin
from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import INCLUDE, Schema, fields
from werkzeug.routing import IntegerConverter

from api import auth, db, errors, ops, security
from api.errors import PROBLEM
from api.rest import alerts, bulk, cases, documents, handoff, hotspots, notifications, payments, reference, rules, users  # noqa: F401 (bulk: routes on cases, alerts)
from api.rest import signals as risk_signals
from api.rest.representations import MAX_ID
from api.ui import bulk as ui_bulk
from api.ui import caselist, dashboard, intake, login, pages, parties, signals
from api.ui import handoff as ui_handoff
from api.ui import notices as ui_notices
from documents import renderer
from mediation.blobs import store_from_spec
from mediation.db import registry  # noqa: F401  (all tables)
from mediation.db.engine import make_session_factory
from mediation.runtime.env import EnvFactory
from mediation.runtime.logs import configure_logging
from mediation.runtime.settings import DEV_SECRET_KEY, Settings, engine_from_settings
from mediation.wiring import env_factory as build_env_factory
from mediation.wiring import job_queue, session_info

#: ASCII: client generators name their package after it (the Chinese name is ``info.x-title-zh``).
API_TITLE = "Labour Mediation API"
API_TITLE_ZH = "劳动争议调解案件管理 API"
API_VERSION = "1.0.0"


class IdConverter(IntegerConverter):
    """``<id:case_id>``: a database key; a number outside the key range simply matches no route (404)."""

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error of this API is returned."""

    class Meta:
        unknown = INCLUDE

    type = fields.String()
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "稳定的机器可读错误码"})
    title = fields.String(required=True)
    detail = fields.String(required=True)
    errors = fields.Raw(metadata={"description": "字段错误（来自输入校验）"})
    allowed_events = fields.List(fields.String(), metadata={"description": "当前状态下可执行的操作"})
    blockers = fields.List(fields.Dict(), metadata={"description": "不满足的条件及原因"})
    current_version = fields.Integer(allow_none=True)
    request_id = fields.String(metadata={"description": "本次请求的编号（与响应头 X-Request-ID、日志一致）"})


class ProblemResponses(BasePlugin):
    """An error response documented by its description alone (``alt_response(409, description=…)``) has the
    problem body that every error of this API has: say so, so that generated clients parse it."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            for status, response in operation.get("responses", {}).items():
                if isinstance(response, dict) and "content" not in response and str(status)[:1] in ("4", "5"):
                    response["content"] = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}


class MediationApi(Api):
    """flask-smorest's Api with errors documented as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "错误（application/problem+json）", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


class _Request(Request):
    """Requests are held to ``MAX_CONTENT_LENGTH`` (1 MB), except a payment with its proof files (decided before
    anything reads the body: the NUL and CSRF checks parse forms first)."""

    @property  # type: ignore[override]
    def max_content_length(self) -> int | None:
        if self.method == "POST" and self.endpoint in payments.UPLOAD_ENDPOINTS:
            return payments.MAX_PAYMENT_BODY
        return super().max_content_length


def create_app(test_config: Mapping[str, Any] | None = None, *, session_factory: Any = None,
               env_factory: EnvFactory | None = None) -> Flask:
    """The application. ``session_factory`` and ``env_factory`` default to what the settings name (the database)
    and what :mod:`mediation.wiring` assembles (observers, the document producer unless the settings or the
    ``DOCUMENTS_ON_TRANSITION`` config turn it off, the clock); the routes take both from the app."""
    app = Flask(__name__, instance_relative_config=False)
    app.request_class = _Request
    app.json = _JSONProvider(app)
    settings = Settings.from_env()
    if not app.config.get("TESTING") and not (test_config or {}).get("TESTING"):
        configure_logging(settings)
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key or (DEV_SECRET_KEY if settings.is_development else ""),
        DATABASE_URL=settings.database_url,
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_REDOC_PATH=None,
        OPENAPI_SWAGGER_UI_PATH="docs",  # interactive docs at /api/v1/docs, assets vendored (no CDN)
        OPENAPI_SWAGGER_UI_URL="/static/swagger-ui/",
        OPENAPI_SWAGGER_UI_CONFIG={"deepLinking": True, "docExpansion": "none", "tryItOutEnabled": False},
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.is_development,
        SESSION_HOURS=settings.session_hours,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=not settings.is_development,
        REMEMBER_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    security.init_app(app, settings)  # refuses to start outside development without a strong SECRET_KEY
    settings.check()  # production also refuses settings that keep state on one node

    #: ``JOBS_INLINE``: render documents and fold risk deltas after each commit even on PostgreSQL (tests)
    inline = bool(app.config.get("JOBS_INLINE", False))
    if session_factory is None:
        db_settings = Settings.from_env({**_env_overrides(app)})
        engine = engine_from_settings(db_settings)
        session_factory = make_session_factory(engine, info=session_info(db_settings, inline=inline))
    blobs = store_from_spec(app.config.get("BLOB_STORE") or settings.blob_store, endpoint_url=settings.s3_endpoint_url)
    app.extensions["mediation.blobs"] = blobs
    # jobs that requests defer outside a transition (hand-off packages): to the workers, or inline after the commit
    app.extensions["mediation.queue"] = job_queue(Settings.from_env({**_env_overrides(app)}), blobs, inline=inline)
    if env_factory is None:
        on = app.config.get("DOCUMENTS_ON_TRANSITION", settings.documents_on_transition)
        env_factory = build_env_factory(Settings.from_env({**_env_overrides(app)}), documents=bool(on), blobs=blobs,
                                        inline=inline)
    db.init_app(app, session_factory, env_factory)
    ops.init_app(app, settings)
    auth.init_app(app)
    app.before_request(_authenticate_api_first)

    app.url_map.converters["id"] = IdConverter
    description = (
        "劳动争议调解案件管理引擎的 REST 接口。所有错误均为 application/problem+json。"
        "机器客户端使用 Bearer 令牌（POST /api/v1/auth/tokens）；浏览器使用登录会话，写操作须带 X-CSRFToken 头。"
    )
    api = MediationApi(app, spec_kwargs={"info": {"description": description, "x-title-zh": API_TITLE_ZH},
                                          "extra_plugins": [ProblemResponses()]})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    api.register_converter(IdConverter, lambda _c: {"type": "integer", "minimum": 1, "maximum": MAX_ID})
    for blp in (auth.blp, cases.blp, payments.blp, reference.blp, users.blp, documents.blp, risk_signals.blp,
                alerts.blp, rules.blp, hotspots.blp, handoff.blp,
                notifications.blp):
        api.register_blueprint(blp)
    for w in renderer.check_fonts():
        logging.getLogger("documents").warning(w)
    errors.register_error_handlers(app)

    for bp in (login.bp, pages.bp, caselist.bp, intake.bp, dashboard.bp, signals.bp, parties.bp, ui_handoff.bp,
               ui_notices.bp, ui_bulk.bp):
        app.register_blueprint(bp)
    return app


#: API endpoints anyone may call: the documentation, and logging in.
_PUBLIC_API = {"api-docs.openapi_json", "api-docs.openapi_swagger_ui", "auth.Login", "auth.Tokens", "auth.Logout"}


def _authenticate_api_first() -> None:
    """An API call without valid credentials is a 401 before anything else looks at it: no validation errors,
    version preconditions or not-founds for an anonymous caller (schemathesis: "missing required header
    accepted")."""
    from flask import request
    from flask_login import current_user
    from werkzeug.exceptions import Unauthorized

    if (request.path.startswith("/api/") and request.endpoint is not None and request.endpoint not in _PUBLIC_API
            and request.method != "OPTIONS" and not current_user.is_authenticated):
        raise Unauthorized("请先登录，或在 Authorization 头中提供有效的 API 令牌。")


class _JSONProvider(DefaultJSONProvider):
    """Money in responses is always a string (schemas say ``as_string``); a bare Decimal elsewhere (e.g.
    a schema limit inside the OpenAPI document) is a JSON number."""

    ensure_ascii = False
    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return DefaultJSONProvider.default(o)


def _env_overrides(app: Flask) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["DATABASE_URL"] = app.config["DATABASE_URL"]
    return env

