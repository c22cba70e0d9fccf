"""Logging for every process: the request (or job) id in every line; JSON lines in production (one object per
line, for a log shipper), plain text in development and the demo.

:data:`request_id` is a context variable: the web app sets it per request (``api.ops``), a worker per job; a
filter on the root handler copies it into every record (``-`` outside a request), so a line logged anywhere
— the services, SQLAlchemy, procrastinate — carries it.
"""

from __future__ import annotations

import contextvars
import logging
import sys

from mediation.runtime.settings import Settings

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

PLAIN_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id", "process")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(list(JSON_FIELDS), rename_fields={"asctime": "time", "levelname": "level"},
                             json_ensure_ascii=False)
    return logging.Formatter(PLAIN_FORMAT)


def configure_logging(settings: Settings, *, stream: object = None) -> logging.Handler:
    """One handler on the root logger (replacing what an earlier call installed), at ``settings.log_level``."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_mediation", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler._mediation = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter(settings.log_format))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # the state machine library logs every callback at INFO: the event row and its history already say what
    # happened, so only its warnings reach the log (a line per callback cost CPU on every transition)
    logging.getLogger("transitions").setLevel(max(logging.WARNING, root.level))
    return handler
