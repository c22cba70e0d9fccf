"""Every error is ``application/problem+json`` (RFC 9457) with Chinese wording and a stable ``code``."""

from __future__ import annotations

import functools
import json as stdjson
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, json
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
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
    412: ("precondition_failed", "案件已有更新"),
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
    503: "数据库暂时无法连接，本次未做任何修改，请稍后重试。",
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
    the URL, the query string, a form's fields and the body up front (422), instead of failing in the database.
    Forms are checked on their parsed fields: once parsed (e.g. for the CSRF check), a form's raw body is gone."""
    from flask import request

    where = []
    if "\x00" in request.path or any(m in request.query_string for m in (b"\x00", b"%00")):
        where.append("query")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields = [*request.form.items(multi=True)]
        fields += [(k, f.filename or "") for k, f in request.files.items(multi=True)]
        if any("\x00" in (k or "") or "\x00" in (v or "") for k, v in fields):
            where.append("form")
    elif request.mimetype != "application/pdf":
        body = request.get_data(cache=True)
        if any(m in body for m in NUL_MARKERS if m != b"%00"):
            where.append("body")
    if where:
        raise ValidationFailed("输入中含有不允许的空字符（U+0000），请删除后重试",
                               errors={w: ["不能包含空字符（U+0000）"] for w in where})


#: JSON bodies: deeper nesting than this is no input of this API (and would exhaust the parser's recursion).
MAX_JSON_DEPTH = 32
#: A number literal longer than this is no amount, key or count of this API (and Python refuses to convert
#: integers of more than 4,300 digits).
MAX_NUMBER_LENGTH = 40


class MalformedBody(DomainError):
    """A body no parser should be handed (see :func:`check_json_body`)."""

    code = "bad_request"
    title = "请求格式有误"
    status = 400


def _bad_json(detail: str) -> MalformedBody:
    return MalformedBody(detail, errors={"json": [detail]})


def _number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_LENGTH:
            raise _bad_json(f"请求体中的数字过长（最多{MAX_NUMBER_LENGTH}位）")
        return kind(text)

    return parse


def _constant(name: str) -> Any:
    raise _bad_json(f"请求体中不允许 {name}")


def check_json_body() -> None:
    """A JSON body is parsed once up front, with limits, before any view or webargs sees it: nesting deeper
    than :data:`MAX_JSON_DEPTH`, over-long numbers, NaN/Infinity and lone surrogates (``\\ud800``, which no
    UTF-8 database or response can hold) are a 400 problem naming the body, not a crash deeper in."""
    from flask import request

    if not request.is_json:
        return
    body = request.get_data(cache=True)  # at most MAX_CONTENT_LENGTH, with or without a Content-Length
    if not body:
        return
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad_json("请求体不是有效的UTF-8编码") from None
    too_deep = f"请求体的JSON嵌套层数过多（最多{MAX_JSON_DEPTH}层）"
    try:
        value = stdjson.loads(text, parse_int=_number(int), parse_float=_number(float), parse_constant=_constant)
    except RecursionError:
        raise _bad_json(too_deep) from None
    except MalformedBody:
        raise
    except ValueError:
        return  # not JSON at all: the usual "invalid JSON" answer follows from the view's parser
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:  # without recursion
        item, depth = stack.pop()
        if isinstance(item, str):
            _no_surrogates(item)
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _bad_json(too_deep)
            if isinstance(item, dict):
                for k in item:
                    _no_surrogates(k)
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))


def _no_surrogates(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad_json("请求体中含有无效的Unicode字符（单独的代理项，如 \\ud800）") from None


def _concurrent_conflict(exc: BaseException) -> bool:
    """PostgreSQL gave up on this transaction because of a concurrent one (deadlock 40P01, serialization
    failure 40001): the whole transaction was rolled back, and the same request may simply be sent again."""
    return isinstance(exc, sa_exc.DBAPIError) and str(getattr(exc.orig, "sqlstate", "") or "").startswith("40")


def _db_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached (refused, down, timed out, dropped): a 503, not a 500."""
    if _concurrent_conflict(exc):
        return False
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError)


def _database_problem(exc: BaseException) -> Response | None:
    """A database error caused by the request's data (a constraint, a value the database refuses) is the
    client's 409/422; an unreachable database is 503. Nothing was written: the request's session is rolled
    back when it closes."""
    if _concurrent_conflict(exc):
        current_app.logger.warning("transaction rolled back by the database (concurrent update): %s", exc)
        return problem(409, code="concurrent_update", title="与同时进行的操作冲突",
                       detail="与其他同时进行的操作冲突，本次未做任何修改，请重试。", headers={"Retry-After": "1"})
    if _db_unavailable(exc):
        current_app.logger.error("database unavailable: %s", exc)
        return problem(503, code="database_unavailable", headers={"Retry-After": "5"})
    if isinstance(exc, sa_exc.IntegrityError):
        return problem(409, code="integrity_conflict", title="与已有数据冲突",
                       detail="提交的内容与已有记录冲突（例如编号或代码重复），本次未做任何修改。")
    if isinstance(exc, sa_exc.DataError):
        return problem(422, code="invalid_value", title="输入有误",
                       detail="提交的内容中有数据库无法保存的值（如过长的文字或无效的字符），本次未做任何修改。")
    return None


def _safe(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An error handler that cannot fail: if it does (a page that needs the database while the database is
    down), the answer is a plain problem — never the WSGI server's HTML 500."""

    @functools.wraps(handler)
    def wrapped(exc: Any) -> Any:
        try:
            return handler(exc)
        except Exception as inner:
            db = _database_problem(inner)
            if db is not None and _db_unavailable(inner):
                return _plain_page(503) if _is_page() else db
            current_app.logger.exception("error handler failed", exc_info=inner)
            return _plain_page(500) if _is_page() else problem(500)

    return wrapped


def _plain_page(status: int) -> Response:
    """An error page that needs nothing (no database, no template context) — for browsers."""
    _code, title = _TITLES.get(status, ("error", "错误"))
    detail = _DETAILS.get(status, title)
    html = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1><p>{detail}</p><p><a href=\"/ui/\">返回首页</a></p></body></html>")
    resp = Response(html, status=status, mimetype="text/html")
    if status == 503:
        resp.headers["Retry-After"] = "30"
    return resp


def register_error_handlers(app: Flask) -> None:
    app.before_request(reject_nul_characters)
    app.before_request(check_json_body)

    @app.errorhandler(DomainError)
    @_safe
    def _domain(exc: DomainError) -> Response:
        # a key of the refusal's own never overrides the problem's fields (``status``, ``code``…)
        extra = {k: v for k, v in exc.extra.items() if k not in ("status", "code", "title", "detail", "headers")}
        headers = {}
        if exc.status == 429 and "retry_after" in extra:
            headers["Retry-After"] = str(extra["retry_after"])
        return problem(exc.status, code=exc.code, title=exc.title, detail=exc.detail, headers=headers, **extra)

    @app.errorhandler(CSRFError)
    @_safe
    def _csrf(exc: CSRFError) -> Any:
        if _is_page():
            from api.ui.pages import csrf_page

            return csrf_page()
        return problem(400, code="csrf_failed", title="表单已过期或来源不明",
                       detail="请刷新页面后重新提交（CSRF 校验失败）。")

    @app.errorhandler(HTTPException)
    @_safe
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
    @_safe
    def _unexpected(exc: Exception) -> Response:
        db = _database_problem(exc)
        if db is not None:
            if _is_page() and db.status_code == 503:
                return _plain_page(503)
            return db
        current_app.logger.exception("unhandled error", exc_info=exc)
        return problem(500)


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
