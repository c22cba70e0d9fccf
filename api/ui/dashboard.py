"""The supervisors' pages: the hotspot dashboard (map of the division tree, trends, overdue and collective
cases, success rate, early-intervention times, export) and the alerts inbox.

Every figure comes from :mod:`mediation.risk.hotspots` (rollups kept by the case observer), scoped to the
supervisor's organisation subtree; the map boundaries are the vendored GB/T 2260 boundaries of
:mod:`mediation.domain.divisions`.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from api.auth import csrf
from api.db import db_session
from api.ui.pages import _actor, _ctx, page_error
from mediation.cases.queries import list_cases, supervisor_today
from mediation.db.models import Organisation
from mediation.domain import divisions
from mediation.domain.enums import Role
from mediation.domain.errors import DomainError
from mediation.risk import alerts as alert_svc
from mediation.risk import hotspots
from mediation.risk.rules import LEVEL_LABELS
from mediation.runtime.env import default_env
from workflows.definitions import V1

bp = Blueprint("dashboard", __name__, template_folder="templates", url_prefix="/ui")

CHILD_LEVEL = {"province": "city", "city": "county"}
LEVEL_COLOURS = {"blue": "#2f6fde", "yellow": "#e6b800", "orange": "#f08c00", "red": "#d9363e"}
OPEN_STATES = [s.name for s in V1.states if s.open]


def _supervisor() -> Any:
    actor = _actor()
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        abort(403)
    return actor


def _month(value: str | None, default: dt.date) -> dt.date:
    if value:
        try:
            return dt.date.fromisoformat(value + "-01" if len(value) == 7 else value)
        except ValueError:
            pass
    return default


def _month_end(day: dt.date) -> dt.date:
    nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _window(today: dt.date) -> tuple[dt.date, dt.date]:
    to = _month(request.args.get("to"), today)
    start_default = dt.date(to.year - 1, to.month, 1) if to.month != 12 else dt.date(to.year, 1, 1)
    frm = _month(request.args.get("from"), start_default)
    if frm > to:
        frm, to = to, frm
    return frm, to


def _home_region(actor: Any) -> str:
    org = db_session().get(Organisation, actor.organisation_id)
    code = org.region_code if org is not None else None
    return code or "330000"


def _region(actor: Any) -> divisions.Division:
    code = request.args.get("region") or _home_region(actor)
    div = divisions.find(code) if code.isdigit() and len(code) == 6 else None
    if div is None:
        abort(404)
    return div


@bp.route("/dashboard")
@login_required
def dashboard() -> Any:
    actor = _supervisor()
    session = db_session()
    today = default_env(session).today()
    frm, to = _window(today)
    region = _region(actor)
    window = {"from": frm.isoformat(), "to": to.isoformat()}
    by = CHILD_LEVEL.get(region.level, "park")
    try:
        areas = hotspots.run_hotspots(session, actor=actor, args={"by": by, "region": region.code, **window},
                                      today=today)
        trend = hotspots.run_hotspots(session, actor=actor, args={"by": "month", "region": region.code, **window},
                                      today=today)
        categories = hotspots.run_hotspots(session, actor=actor,
                                           args={"by": "category", "region": region.code, **window}, today=today)
        levels = hotspots.run_hotspots(session, actor=actor, args={"by": "level", "region": region.code, **window},
                                       today=today)
        enterprises = hotspots.ranking(session, actor=actor,
                                       args={"by": "open_cases", "limit": 10, "region": region.code})
        early = hotspots.early(session, actor=actor, args=window, today=today)
        warnings = hotspots.warning_by_region(session, actor=actor, args={"region": region.code})
    except DomainError as exc:
        return render_template("ui/dashboard.html", error=exc.detail, region=region, window=window,
                               **_ctx()), exc.status
    # The lists behind the KPIs: the same region and reporting window as the figures above them.
    behind = {"status": OPEN_STATES, "region": region.code, "reported_from": frm.replace(day=1),
              "reported_to": _month_end(to),
              "per_page": 10}
    overdue = list_cases(session, actor=actor, today=today, filters={**behind, "overdue": True, "sort": "reported_on"})
    collective = list_cases(session, actor=actor, today=today, filters={**behind, "collective": True})
    open_alerts, n_alerts = alert_svc.list_alerts(session, actor=actor, status="open", region=region.code, limit=8)
    ancestors = [d for d in divisions.ancestors(region.code) if d.code != region.code]
    return render_template(
        "ui/dashboard.html", error=None, region=region, ancestors=ancestors, window=window, by=by,
        areas=areas, warnings=warnings if warnings["available"] else None,
        warn_by_key={w["key"]: w for w in warnings["items"]},
        trend=trend, categories=categories, levels=levels, enterprises=enterprises["items"],
        early=early, overdue=overdue, collective=collective, alerts=[alert_svc.alert_dict(a, today)
                                                                      for a in open_alerts],
        n_alerts=n_alerts, level_colours=LEVEL_COLOURS, level_labels=LEVEL_LABELS,
        xlsx=importlib.util.find_spec("openpyxl") is not None, **_ctx(),
    )


@bp.route("/dashboard/geo/<code>.json")
@login_required
def geo(code: str) -> Response:
    """Boundaries of the children of a province or city (or of a county itself), for the map."""
    _supervisor()
    div = divisions.find(code) if code.isdigit() and len(code) == 6 else None
    if div is None:
        abort(404)
    child = CHILD_LEVEL.get(div.level)
    if child is not None:
        data = divisions.boundaries_geojson(child, div.code)  # type: ignore[arg-type]
    else:
        data = divisions.boundaries_geojson("county", div.parent_code)
        data["features"] = [f for f in data["features"] if f["properties"]["code"] == div.code]
    resp = jsonify(data)
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


@bp.route("/dashboard/export.<fmt>")
@login_required
def export(fmt: str) -> Response:
    actor = _supervisor()
    if fmt not in ("csv", "xlsx"):
        abort(404)
    session = db_session()
    today = default_env(session).today()
    frm, to = _window(today)
    region = _region(actor)
    by = request.args.get("by") or CHILD_LEVEL.get(region.level, "park")
    try:
        result = hotspots.run_hotspots(session, actor=actor, today=today,
                                       args={"by": by, "region": region.code, "from": frm.isoformat(),
                                             "to": to.isoformat()})
    except DomainError:
        abort(400)
    body = hotspots.to_csv(result) if fmt == "csv" else hotspots.to_xlsx(result)
    mime = "text/csv; charset=utf-8" if fmt == "csv" else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp = Response(body, mimetype=mime)
    resp.headers["Content-Disposition"] = f'attachment; filename="hotspots-{region.code}-{by}.{fmt}"'
    return resp


def group_alerts(alerts: list[Any]) -> list[dict[str, Any]]:
    """One entry per enterprise (or per case for an alert without one): the newest alert first, with the
    earlier ones of the same enterprise still to handle behind it — three open alerts for one firm are one
    thing to do, not three."""
    groups: dict[Any, dict[str, Any]] = {}
    for a in alerts:  # newest first
        key = ("e", a["enterprise"]["id"]) if a["enterprise"] else ("c", a["case_id"] or a["id"])
        if key in groups:
            groups[key]["earlier"].append(a)
        else:
            groups[key] = {"alert": a, "earlier": []}
    return list(groups.values())


@bp.route("/today")
@login_required
def today() -> Any:
    """今日督办: what a supervisor must deal with today in their subtree, grouped by committee, each item with
    the action to take — red alerts not yet reported, collective disputes not reported within their 1-day
    limit, cases whose mediation period ends within three days."""
    actor = _supervisor()
    session = db_session()
    today_ = default_env(session).today()
    red, _ = alert_svc.list_alerts(session, actor=actor, status=("open", "acknowledged"), level="red", limit=500)
    todo = supervisor_today(session, actor=actor, today=today_)
    by_org: dict[int, dict[str, Any]] = {}

    def slot(org: Any) -> dict[str, Any]:
        return by_org.setdefault(org.id, {"org": org, "alerts": [], "collective": [], "lapsing": []})

    for a in red:
        slot(a.organisation)["alerts"].append(alert_svc.alert_dict(a, today_))
    for item in todo.collective_unreported:
        slot(item.case.organisation)["collective"].append(item)
    for item in todo.lapsing:
        slot(item.case.organisation)["lapsing"].append(item)
    groups = sorted(by_org.values(), key=lambda g: g["org"].path)
    for g in groups:
        g["alerts"] = group_alerts(g["alerts"])
    totals = {"alerts": sum(len(g["alerts"]) for g in groups),
              "collective": len(todo.collective_unreported), "lapsing": len(todo.lapsing)}
    return render_template("ui/today.html", groups=groups, totals=totals, level_colours=LEVEL_COLOURS, **_ctx())


@bp.route("/alerts")
@login_required
def alerts_inbox() -> Any:
    actor = _supervisor()
    session = db_session()
    today = default_env(session).today()
    status = request.args.get("status") or "open"
    if status not in ("open", "acknowledged", "reported", "all"):
        status = "open"
    items, total = alert_svc.list_alerts(session, actor=actor, status=None if status == "all" else status, limit=100)
    return render_template("ui/alerts.html", alerts=[alert_svc.alert_dict(a, today) for a in items], total=total,
                           status=status, level_colours=LEVEL_COLOURS, **_ctx())


@bp.route("/alerts/<id:alert_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge(alert_id: int) -> Any:
    actor = _supervisor()
    csrf.protect()
    try:
        alert_svc.acknowledge(db_session(), actor=actor, alert_id=alert_id,
                              data={"note": request.form.get("note", "")[:2000]})
    except DomainError as exc:
        flash(exc.detail, "error")
    else:
        flash("已签收预警", "ok")
    return redirect(url_for("dashboard.alerts_inbox"))


for _code in (403, 404):
    bp.register_error_handler(_code, page_error)
