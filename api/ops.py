"""Operating the app: a request id on every request (its log lines, its ``X-Request-ID`` header and every
problem response carry it), request metrics, ``/metrics`` (Prometheus) and ``/readyz`` beside ``/healthz``.

``/healthz`` says the process is up (no database). ``/readyz`` says this node should get traffic: the database
answers, its schema is at the migrations' head, the CJK fonts are installed, and the queue's oldest waiting job
has waited less than ``MEDIATION_READY_MAX_QUEUE_LAG`` seconds (workers are keeping up). It answers 200 with
every check, or 503 with the failing ones.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from sqlalchemy import text

from mediation.runtime import metrics
from mediation.runtime.logs import request_id as request_id_var
from mediation.runtime.settings import Settings

bp = Blueprint("ops", __name__)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def current_request_id() -> str | None:
    return g.get("request_id")


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["mediation.settings"] = settings
    app.extensions["mediation.font_warnings"] = None  # checked on the first /readyz (fc-list is slow)
    app.extensions["mediation.metric_figures"] = (_document_figures, _fold_figures)

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = rid
        g.request_id_token = request_id_var.set(rid)
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-ID"] = rid
        started = g.get("request_started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            if route != "/metrics":
                metrics.HTTP_LATENCY.labels(route, request.method).observe(time.perf_counter() - started)
                metrics.HTTP_REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        return response

    @app.teardown_request
    def _reset(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)

    app.register_blueprint(bp)


def _session() -> Any:
    from api.db import db_session

    return db_session()


@bp.route("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    from mediation.db import migrate
    from mediation.queue import queue_stats

    settings: Settings = current_app.extensions["mediation.settings"]
    checks: dict[str, dict[str, Any]] = {}
    s = _session()
    try:
        s.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
        current = set(migrate.current_heads(s.connection()))
        heads = set(migrate.script_heads())
        checks["migrations"] = {"ok": current == heads, "current": sorted(current), "head": sorted(heads)}
        stats = queue_stats(s)
        if stats is None:
            checks["queue"] = {"ok": True, "mode": "inline"}
        else:
            checks["queue"] = {"ok": stats.max_lag <= settings.ready_max_queue_lag, "waiting": stats.depth,
                               "lag_seconds": round(stats.max_lag, 1),
                               "max_lag_seconds": settings.ready_max_queue_lag}
    except Exception as exc:  # unreachable, or a schema this code cannot read: not ready
        checks.setdefault("database", {"ok": False, "error": type(exc).__name__})
        checks.setdefault("migrations", {"ok": False, "error": type(exc).__name__})
    finally:
        s.rollback()
    warnings = current_app.extensions.get("mediation.font_warnings")
    if warnings is None:
        from documents.renderer import check_fonts

        warnings = current_app.extensions["mediation.font_warnings"] = check_fonts()
    # the CJK face missing is fatal for documents; HarfBuzz missing is only slow (a warning, not a failure)
    checks["fonts"] = {"ok": not any("CJK" in w or "中文字体" in w for w in warnings), "warnings": warnings}
    ok = all(c["ok"] for c in checks.values())
    return {"status": "ready" if ok else "not_ready", "checks": checks}, 200 if ok else 503


@bp.route("/metrics")
def metrics_endpoint() -> Response:
    import os

    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    registry.register(metrics.DatabaseCollector(_database_figures))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _Forward:
    """The process's default registry inside the scrape's registry (single-process mode)."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry

    def collect(self) -> Any:
        return self.registry.collect()


def _database_figures() -> dict[tuple[str, str], list[tuple[dict[str, str], float]]]:
    from mediation.queue import queue_stats

    s = _session()
    try:
        out: dict[tuple[str, str], list[tuple[dict[str, str], float]]] = {
            ("mediation_database_up", "The database answered the scrape's query"): [({}, 1.0)]}
        stats = queue_stats(s)
        if stats is not None:
            out[("mediation_queue_jobs", "Jobs in the queue by queue and status")] = [
                ({"queue": q, "status": status}, float(n))
                for status, per in (("todo", stats.waiting), ("doing", stats.doing), ("failed", stats.failed))
                for q, n in per.items()]
            out[("mediation_queue_lag_seconds", "How long the oldest waiting job has waited, by queue")] = [
                ({"queue": q}, lag) for q, lag in stats.lag.items()]
        out.update(_extra_figures(s))
        return out
    finally:
        s.rollback()


def _document_figures(session: Any) -> dict[tuple[str, str], list[tuple[dict[str, str], float]]]:
    from sqlalchemy import func, select

    from mediation.db.models_documents import GeneratedDocument

    rows = session.execute(select(GeneratedDocument.status, func.count()).where(GeneratedDocument.status != "ready")
                           .group_by(GeneratedDocument.status)).all()
    counts = {"pending": 0.0, "failed": 0.0} | {status: float(n) for status, n in rows}
    return {("mediation_documents_not_ready", "Documents numbered but not rendered, by status"): [
        ({"status": status}, n) for status, n in sorted(counts.items())]}


def _fold_figures(session: Any) -> dict[tuple[str, str], list[tuple[dict[str, str], float]]]:
    import datetime as dt

    from mediation.risk import fold

    now = dt.datetime.now(dt.UTC)
    return {
        ("mediation_risk_deltas_waiting", "Risk fact changes not yet folded into the dashboards' rollups"): [
            ({}, float(fold.pending(session)))],
        ("mediation_dashboard_lag_seconds", "How far the dashboards' rollups are behind the cases"): [
            ({}, max(0.0, (now - fold.fresh_as_of(session, now)).total_seconds()))],
    }


def _extra_figures(session: Any) -> dict[tuple[str, str], list[tuple[dict[str, str], float]]]:
    """Figures other packages add (documents by status, dashboard freshness), registered by the app."""
    out: dict[tuple[str, str], list[tuple[dict[str, str], float]]] = {}
    for figure in current_app.extensions.get("mediation.metric_figures", ()):
        out.update(figure(session))
    return out
