"""Every error is ``application/problem+json`` (RFC 9457) with Chinese wording and a stable ``code``."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, json
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from api.messages import translate
from mediation.domain.errors import DomainError, ValidationFailed

PROBLEM = "application/problem+json"

_TITLES = {
    400: ("bad_request", "请求格式有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "无权操作"),
    404: ("not_found", "未找到"),
    405: ("method_not_allowed", "不支持该请求方法"),
    406: ("not_acceptable", "无法提供所请求的格式"),
    409: ("conflict", "操作冲突"),
    412: ("precondition_failed", "案件已被他人修改"),
    413: ("payload_too_large", "提交的内容过大"),
    415: ("unsupported_media_type", "请以JSON格式提交"),
    422: ("validation_failed", "输入有误"),
    428: ("precondition_required", "请提供您看到的案件版本"),
    429: ("too_many_requests", "请求过于频繁"),
    500: ("internal_error", "系统内部错误"),
    503: ("service_unavailable", "服务暂时不可用"),
}
_DETAILS = {
    400: "请求无法解析，请检查提交的JSON格式。",
    401: "请先登录，或在 Authorization 头中提供有效的 API 令牌。",
    403: "您无权执行该操作。",
    404: "请求的资源不存在或不在您的管辖范围内。",
    405: "该地址不支持此请求方法。",
    413: "提交的内容超过了允许的大小。",
    415: "请使用 Content-Type: application/json 提交。",
    500: "系统内部错误，已记录，请稍后重试或联系管理员。",
    503: "数据库暂时无法连接，请稍后重试。",
}


def problem(status: int, *, code: str | None = None, title: str | None = None, detail: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    default_code, default_title = _TITLES.get(status, ("error", "错误"))
    body: dict[str, Any] = {
        "type": "about:blank",
        "status": status,
        "code": code or default_code,
        "title": title or default_title,
        "detail": detail or _DETAILS.get(status, default_title),
    }
    body.update({k: (translate(v) if k == "errors" else v) for k, v in extra.items() if v is not None})
    rid = g.get("request_id") if has_request_context() else None
    if rid:
        body["request_id"] = rid  # the same id as the response's X-Request-ID header and the log lines
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _field_errors(exc: HTTPException) -> dict[str, Any] | None:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        messages = data.get("messages")
        if isinstance(messages, dict):
            # webargs nests by location ({"json": {...}, "query": {...}}); flatten a single location
            if len(messages) == 1 and next(iter(messages)) in {"json", "query", "headers", "form", "files"}:
                return next(iter(messages.values()))
            return messages
    return None


NUL_MARKERS = (b"\x00", b"\\u0000", b"%00")


def reject_nul_characters() -> None:
    """NUL (U+0000) is never meaningful in this domain and PostgreSQL text cannot hold it: refuse it in
    the query string and the body up front (422), instead of failing in the database."""
    from flask import request

    where = []
    if any(m in request.query_string for m in (b"\x00", b"%00")):
        where.append("query")
    if request.content_length and request.mimetype != "application/pdf":
        body = request.get_data(cache=True)
        if any(m in body for m in NUL_MARKERS if m != b"%00") or (
                request.mimetype == "application/x-www-form-urlencoded" and b"%00" in body):
            where.append("body")
    if where:
        raise ValidationFailed("输入中含有不允许的空字符（U+0000），请删除后重试",
                               errors={w: ["不能包含空字符（U+0000）"] for w in where})


def register_error_handlers(app: Flask) -> None:
    app.before_request(reject_nul_characters)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Response:
        extra = dict(exc.extra)
        headers = {}
        if exc.status == 429 and "retry_after" in extra:
            headers["Retry-After"] = str(extra["retry_after"])
        return problem(exc.status, code=exc.code, title=exc.title, detail=exc.detail, headers=headers, **extra)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        if _is_page():
            from api.ui.pages import csrf_page

            return csrf_page()
        return problem(400, code="csrf_failed", title="表单已过期或来源不明",
                       detail="请刷新页面后重新提交（CSRF 校验失败）。")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        if _is_page():
            from api.ui.pages import page_error

            return page_error(exc)
        errors = _field_errors(exc)
        headers: dict[str, str] = {}
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        detail = None
        if status == 422 and errors:
            detail = "提交的内容有误，请按字段提示修改。"
        elif status == 400 and errors:
            flat = [str(v) for v in _flat(errors)]
            if any("Invalid JSON" in v for v in flat):
                detail, errors = "请求体不是有效的JSON，请检查格式。", None
            else:
                detail = "请求格式有误：" + "；".join(flat)[:300]
        return problem(status, detail=detail, errors=errors, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        if _database_unavailable(exc):
            current_app.logger.error("database unavailable: %s", type(exc).__name__)
            if _is_page():  # a plain page: the usual one reads the user from the database
                return Response("<!doctype html><meta charset=utf-8><title>服务暂时不可用</title>"
                                "<h1>服务暂时不可用</h1><p>数据库暂时无法连接，请稍后刷新重试。</p>",
                                status=503, mimetype="text/html", headers={"Retry-After": "5"})
            return problem(503, code="database_unavailable", headers={"Retry-After": "5"})
        current_app.logger.exception("unhandled error", exc_info=exc)
        return problem(500)


def _database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached (down, restarting, connection lost): 503, not 500."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _is_page() -> bool:
    """The request is for a web page (the Chinese UI), whose errors are pages too, not JSON problems."""
    from flask import request

    path = request.path
    return path == "/ui" or path.startswith("/ui/") or path in ("/", "/login", "/logout")


def _flat(errors: Any) -> list[Any]:
    if isinstance(errors, dict):
        return [x for v in errors.values() for x in _flat(v)]
    if isinstance(errors, list):
        return [x for v in errors for x in _flat(v)]
    return [errors]
