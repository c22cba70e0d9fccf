"""The supervisors' pages: the hotspot dashboard (map of the division tree, trends, overdue and collective
cases, success rate, early-intervention times, export) and the alerts inbox.

Every figure comes from :mod:`mediation.risk.hotspots` (rollups kept by the case observer), scoped to the
supervisor's organisation subtree; the map boundaries are the vendored GB/T 2260 boundaries of
:mod:`mediation.domain.divisions`.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from sqlalchemy import select

from api.auth import csrf
from api.db import db_session, service_env
from api.ui.pages import STATE_LABELS, _actor, _ctx, page_error
from documents import service as doc_service
from mediation.cases.queries import list_cases, region_prefix, supervisor_today
from mediation.db.models import Organisation, Park, User
from mediation.domain import divisions
from mediation.domain.clock import CHINA_TZ
from mediation.domain.enums import Role
from mediation.domain.errors import DomainError
from mediation.domain.tabular import append_row, csv_bytes
from mediation.risk import alerts as alert_svc
from mediation.risk import hotspot_export, hotspots
from mediation.risk.fold import fresh_as_of
from mediation.risk.rules import LEVEL_LABELS
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
    """A month typed in the URL (``2026-05`` or a date); anything else — or a year outside 2000–2099, which
    the month arithmetic of the figures cannot reach — is the default."""
    if value:
        try:
            day = dt.date.fromisoformat(value + "-01" if len(value) == 7 else value)
        except ValueError:
            return default
        if 2000 <= day.year <= 2099:
            return day
    return default


def _month_end(day: dt.date) -> dt.date:
    nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The reporting window from the month fields (``YYYY-MM``): from the first day of the first month to the
    last day of the last month (today, for the current month) — so pressing 查询 without changing the months
    shows exactly what the page showed before."""
    to = _month(request.args.get("to"), today)
    to = min(_month_end(to), today) if request.args.get("to") else today
    start_default = dt.date(to.year - 1, to.month, 1) if to.month != 12 else dt.date(to.year, 1, 1)
    frm = _month(request.args.get("from"), start_default).replace(day=1)
    if frm > to:
        frm, to = to.replace(day=1), min(_month_end(frm), today)
    return frm, to


def _home_region(actor: Any) -> str:
    org = db_session().get(Organisation, actor.organisation_id)
    code = org.region_code if org is not None else None
    return code or "330000"


def _region(actor: Any) -> divisions.Division:
    code = request.args.get("region") or _home_region(actor)
    div = divisions.find(code) if code.isascii() and code.isdigit() and len(code) == 6 else None
    if div is None:
        abort(404)
    return div


def _park(region: divisions.Division) -> Park | None:
    """The park drilled into (``park``): one of the region's parks, or 404."""
    raw = request.args.get("park", "")
    if not raw:
        return None
    park = db_session().get(Park, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
    if park is None or not park.region_code.startswith(region_prefix(region.code)):
        abort(404)
    return park


def wan(value: Any) -> str:
    """An amount of yuan as a person reads it on a dashboard: 33929090.00 → 3,392.9万元, 8500 → 8,500元."""
    try:
        amount = Decimal(str(value or 0))
    except ArithmeticError:
        return str(value)
    if abs(amount) >= 10000:
        return f"{amount / 10000:,.1f}万元"
    return f"{amount:,.0f}元" if amount == amount.to_integral_value() else f"{amount:,.2f}元"


def _warnings(session: Any, actor: Any, region: divisions.Division) -> dict[str, Any]:
    """Enterprises at each warning level now — for the region's children (the map) and in total (the chart);
    a county's figures come from its city's table."""
    try:
        if region.level in CHILD_LEVEL:
            return hotspots.warning_by_region(session, actor=actor, args={"region": region.code})
        if region.parent_code:
            parent = hotspots.warning_by_region(session, actor=actor, args={"region": region.parent_code})
            mine = next((i for i in parent["items"] if i["key"] == region.code), None)
            total = {lv: (mine or {}).get(lv, 0) for lv in ("red", "orange", "yellow", "high")}
            return {**parent, "items": [], "total": total, "available": parent["available"], "county_only": True}
    except DomainError:
        pass
    return {"available": False, "items": [], "total": {}}


def dashboard_data(session: Any, actor: Any, today: dt.date, *, more: bool = False) -> dict[str, Any]:
    """Everything the dashboard shows (and its export writes), for the region (or park) and window asked."""
    frm, to = _window(today)
    region = _region(actor)
    park = _park(region)
    window = {"from": frm.isoformat(), "to": to.isoformat()}
    where: dict[str, Any] = {"region": region.code, **window}
    if park is not None:
        where["park_id"] = park.id
        by = "enterprise"
    else:
        by = CHILD_LEVEL.get(region.level, "park")
    areas = hotspots.run_hotspots(session, actor=actor, args={"by": by, **where}, today=today)
    trend = hotspots.run_hotspots(session, actor=actor, args={"by": "month", **where}, today=today)
    categories = hotspots.run_hotspots(session, actor=actor, args={"by": "category", **where}, today=today)
    limit = 50 if more else 10
    if park is None:
        enterprises = hotspots.ranking(session, actor=actor, args={"by": "open_cases", "limit": limit,
                                                                   "region": region.code})["items"]
    else:  # inside a park: its enterprises, by open cases
        enterprises = [{"enterprise": {"id": r["key"], "name": r["label"]}, "open_cases": r["open_cases"],
                        "collective_open": r["collective"], "overdue_open": r["overdue_open"],
                        "workers_open": r["workers"], "risk_level": None, "risk_level_label": "",
                        "total_cases": r["cases"]}
                       for r in sorted(areas["rows"], key=lambda r: -r["open_cases"]) if r["key"]][:limit]
    early = hotspots.early(session, actor=actor, args=window, today=today)
    # the organisations of the region shown (early() covers the whole scope)
    prefix = region_prefix(region.code)
    in_region = {o for o, code in session.execute(select(Organisation.id, Organisation.region_code)).all()
                 if code and code.startswith(prefix)}
    early = {**early, "items": [e for e in early["items"] if e["organisation"]["id"] in in_region]}
    warnings = _warnings(session, actor, region)
    # the lists behind the KPIs: the same region (park) and window as the figures above them
    behind: dict[str, Any] = {"status": OPEN_STATES, "region": region.code, "reported_from": frm,
                              "reported_to": to, "per_page": 10}
    if park is not None:
        behind["park_id"] = park.id
    overdue = list_cases(session, actor=actor, today=today, filters={**behind, "overdue": True, "sort": "reported_on"})
    collective = list_cases(session, actor=actor, today=today, filters={**behind, "collective": True})
    # one entry per enterprise, as in the alerts inbox: the newest of its open alerts
    open_alerts, _ = alert_svc.list_alerts(session, actor=actor, status="open", region=region.code,
                                           limit=ALERT_SCAN)
    firms = group_alerts([alert_svc.alert_dict(a, today) for a in open_alerts])
    return {"region": region, "park": park, "window": window, "by": by, "areas": areas, "trend": trend,
            "categories": categories, "enterprises": enterprises, "early": early, "warnings": warnings,
            "overdue": overdue, "collective": collective, "more": more,
            "alerts": [g["alert"] for g in firms[:8]], "n_alerts": len(firms)}


def _list_link(d: Mapping[str, Any], **extra: Any) -> str:
    """The case list behind a dashboard list: the same region (park), window and open states."""
    params: dict[str, Any] = {"status": "active", "region": d["region"].code, "from": d["window"]["from"],
                              "to": d["window"]["to"], **extra}
    if d["park"] is not None:
        params["park"] = d["park"].id
    return url_for("case_list.case_list", **params)


@bp.route("/dashboard")
@login_required
def dashboard() -> Any:
    actor = _supervisor()
    session = db_session()
    today = service_env().today()
    region = _region(actor)
    try:
        d = dashboard_data(session, actor, today, more=request.args.get("more") == "1")
    except DomainError as exc:
        frm, to = _window(today)
        return render_template("ui/dashboard.html", error=exc.detail, region=region, park=None,
                               window={"from": frm.isoformat(), "to": to.isoformat()}, **_ctx()), exc.status
    ancestors = [x for x in divisions.ancestors(region.code) if x.code != region.code or d["park"] is not None]
    levels = [{"key": lv, "label": LEVEL_LABELS[lv], "value": d["warnings"]["total"].get(lv, 0)}
              for lv in ("red", "orange", "yellow")] if d["warnings"].get("available") else []
    return render_template(
        "ui/dashboard.html", error=None, ancestors=ancestors, levels=levels,
        warn_by_key={w["key"]: w for w in d["warnings"]["items"]}, level_colours=LEVEL_COLOURS,
        level_labels=LEVEL_LABELS, xlsx=importlib.util.find_spec("openpyxl") is not None, wan=wan,
        overdue_link=_list_link(d, overdue="any", sort="reported_on"), collective_link=_list_link(d, collective="1"),
        open_link=_list_link(d), fresh_as_of=fresh_as_of(db_session()).astimezone(CHINA_TZ), **d, **_ctx(),
    )


@bp.route("/dashboard/geo/<code>.json")
@login_required
def geo(code: str) -> Response:
    """Boundaries of the children of a province or city (or of a county itself), for the map."""
    _supervisor()
    div = divisions.find(code) if code.isascii() and code.isdigit() and len(code) == 6 else None
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


#: What the export writes: (sheet / file name, header, one row per item).
def _tables(d: Mapping[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    areas = d["areas"]
    header, rows = hotspot_export.export_table(areas)
    out = [(f"各{areas['by_label']}", header, rows)]
    trend_header, trend_rows = hotspot_export.export_table(d["trend"])
    out.append(("月度趋势", trend_header, [[r[1], *r[2:]] for r in trend_rows]))
    cat_header, cat_rows = hotspot_export.export_table(d["categories"])
    out.append(("争议类别", cat_header[1:], [r[1:] for r in cat_rows]))
    out.append(("在办案件较多的企业", ["企业", "预警等级", "在办", "集体", "逾期", "涉及职工"],
                [[r["enterprise"]["name"], r["risk_level_label"], r["open_cases"], r["collective_open"],
                  r["overdue_open"], r["workers_open"]] for r in d["enterprises"]]))
    for title, page in (("在办逾期案件", d["overdue_all"]), ("在办集体争议", d["collective_all"])):
        out.append((title, ["案号", "案由", "用人单位", "调解组织", "状态", "人数", "登记日期"],
                    [[c.number, c.title, c.enterprise.name if c.enterprise else "", c.organisation.name,
                      STATE_LABELS.get(c.status, c.status), c.workers_count, c.reported_on.isoformat()]
                     for c in page.items]))
    out.append(("早介入早报告", ["组织", "由线索转入", "已介入", "平均介入用时（小时）", "已报告",
                             "平均报告用时（小时）", "预警数", "按时报告"],
                [[e["organisation"]["name"], e["cases_from_signals"], e["intervened"], e["avg_hours_to_intervention"],
                  e["reported"], e["avg_hours_to_report"], e["alerts"], e["alerts_reported_on_time"]]
                 for e in d["early"]["items"]]))
    return out


TABLES = ("areas", "trend", "categories", "enterprises", "overdue", "collective", "early")


@bp.route("/dashboard/export.<fmt>")
@login_required
def export(fmt: str) -> Response:
    """Every table of the dashboard, as the supervisor sees it (region or park, window): one Excel workbook
    with a sheet per table, or one table as CSV (``table``). The file is named in Chinese, e.g.
    督导看板_嘉兴市_2026-01-01至2026-12-05.xlsx (RFC 6266 filename*, with an ASCII fallback)."""
    actor = _supervisor()
    if fmt not in ("csv", "xlsx"):
        abort(404)
    session = db_session()
    today = service_env().today()
    try:
        d = dashboard_data(session, actor, today, more=True)
    except DomainError:
        abort(400)
    full = {"per_page": 100_000}
    base: dict[str, Any] = {"status": OPEN_STATES, "region": d["region"].code,
                            "reported_from": dt.date.fromisoformat(d["window"]["from"]),
                            "reported_to": dt.date.fromisoformat(d["window"]["to"])}
    if d["park"] is not None:
        base["park_id"] = d["park"].id
    d["overdue_all"] = list_cases(session, actor=actor, today=today,
                                  filters={**base, **full, "overdue": True, "sort": "reported_on"})
    d["collective_all"] = list_cases(session, actor=actor, today=today, filters={**base, **full, "collective": True})
    tables = _tables(d)
    place = d["region"].name + (f"_{d['park'].name}" if d["park"] is not None else "")
    stem = f"督导看板_{place}_{d['window']['from']}至{d['window']['to']}"
    if fmt == "xlsx":
        body = _workbook(stem, tables)
        name = stem + ".xlsx"
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        which = request.args.get("table", "areas")
        if which not in TABLES:
            abort(404)
        title, header, rows = tables[TABLES.index(which)]
        body = csv_bytes([[f"{stem} {title}"], header, *rows])  # typed text never becomes a formula
        name = f"{stem}_{title}.csv"
        mime = "text/csv; charset=utf-8"
    return send_file(io.BytesIO(body), mimetype=mime, as_attachment=True, download_name=name)


def _workbook(title: str, tables: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name, header, rows in tables:
        ws = wb.create_sheet(name[:31])
        append_row(ws, [f"{title} {name}"])
        ws["A1"].font = Font(bold=True)
        append_row(ws, header)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for r in rows:
            append_row(ws, [Decimal(v) if isinstance(v, str) and _is_amount(v) else v for v in r])  # text as text
        ws.column_dimensions["A"].width = 24
        ws.column_dimensions["B"].width = 30
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _is_amount(v: str) -> bool:
    try:
        Decimal(v)
    except ArithmeticError:
        return False
    return "." in v and v.replace(".", "", 1).replace("-", "", 1).isdigit()


#: How many alerts a page reads to count and list them per enterprise.
ALERT_SCAN = 2000


def _alert_key(enterprise_id: int | None, case_id: int | None, alert_id: int) -> tuple[str, int]:
    return ("e", enterprise_id) if enterprise_id else ("c", case_id or alert_id)


def count_firms(session: Any, actor: Any, status: str) -> int:
    """The alerts in ``status`` counted as the inbox lists them: one per enterprise."""
    items, _ = alert_svc.list_alerts(session, actor=actor, status=status, limit=ALERT_SCAN)
    return len({_alert_key(a.enterprise_id, a.case_id, a.id) for a in items})


def group_alerts(alerts: list[Any]) -> list[dict[str, Any]]:
    """One entry per enterprise (or per case for an alert without one): the newest alert first, with the
    earlier ones of the same enterprise still to handle behind it — three open alerts for one firm are one
    thing to do, not three."""
    groups: dict[Any, dict[str, Any]] = {}
    for a in alerts:  # newest first
        key = _alert_key(a["enterprise"]["id"] if a["enterprise"] else None, a["case_id"], a["id"])
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
    today_ = service_env().today()
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
    failed_docs = doc_service.failed_documents(session, actor=actor)
    return render_template("ui/today.html", groups=groups, totals=totals, level_colours=LEVEL_COLOURS,
                           failed_docs=failed_docs, **_ctx())


ALERT_TABS = (("open", "待签收"), ("acknowledged", "已签收"), ("reported", "已报告"), ("all", "全部"))


@bp.route("/alerts")
@login_required
def alerts_inbox() -> Any:
    """预警: one entry per enterprise (the newest alert, the earlier ones still to handle behind it), in one
    vocabulary (待签收 → 已签收 → 已报告); signing shows its note, reporting records the measures taken."""
    actor = _supervisor()
    session = db_session()
    today_ = service_env().today()
    status = request.args.get("status") or "open"
    if status not in dict(ALERT_TABS):
        status = "open"
    items, total = alert_svc.list_alerts(session, actor=actor, status=None if status == "all" else status, limit=300)
    # the tabs count what they list: enterprises (an enterprise's alerts are handled together)
    counts = {s: count_firms(session, actor, s) for s, _ in ALERT_TABS if s != "all"}
    rows = [alert_svc.alert_dict(a, today_) for a in items]
    people = {a.acknowledged_by_id for a in items} | {a.reported_by_id for a in items}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(people - {None})))
                 .all()) if people - {None} else {}
    for row, a in zip(rows, items, strict=True):
        row["acknowledged_by"] = names.get(a.acknowledged_by_id, "")
        row["reported_by"] = names.get(a.reported_by_id, "")
    return render_template("ui/alerts.html", groups=group_alerts(rows), total=total, status=status, tabs=ALERT_TABS,
                           counts=counts, level_colours=LEVEL_COLOURS, **_ctx())


def _group_ids(alert_id: int, statuses: tuple[str, ...]) -> list[int]:
    """The alert and the earlier ones of the same enterprise still in ``statuses`` (handled together)."""
    session = db_session()
    actor = _actor()
    alert = alert_svc.get_alert(session, actor=actor, alert_id=alert_id)
    if alert.enterprise_id is None:
        return [alert.id]
    same, _ = alert_svc.list_alerts(session, actor=actor, status=statuses, enterprise_id=alert.enterprise_id,
                                    limit=100)
    return [alert.id, *[a.id for a in same if a.id != alert.id and a.raised_at <= alert.raised_at]]


@bp.route("/alerts/<id:alert_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge(alert_id: int) -> Any:
    actor = _supervisor()
    csrf.protect()
    note = request.form.get("note", "").strip()[:2000]
    try:
        ids = _group_ids(alert_id, ("open",))
        for i in ids:
            alert_svc.acknowledge(db_session(), actor=actor, alert_id=i, data={"note": note})
    except DomainError as exc:
        flash(exc.detail, "error")
    else:
        flash(f"已签收预警{'（含同一企业较早的' + str(len(ids) - 1) + '条）' if len(ids) > 1 else ''}"
              + (f"，签收说明：{note}" if note else ""), "ok")
    return redirect(url_for("dashboard.alerts_inbox", status=request.form.get("back") or "open"))


@bp.route("/alerts/<id:alert_id>/report", methods=["POST"])
@login_required
def report(alert_id: int) -> Any:
    """早报告: record that the warning was reported upward, with the measures taken (required)."""
    actor = _supervisor()
    csrf.protect()
    actions = request.form.get("actions", "").strip()[:4000]
    back = request.form.get("back") or "acknowledged"
    if not actions:
        flash("请填写已采取的措施后再报告（预警报告须写明采取的措施）", "error")
        return redirect(url_for("dashboard.alerts_inbox", status=back) + f"#alert-{alert_id}")
    try:
        ids = _group_ids(alert_id, ("open", "acknowledged"))
        for i in ids:
            alert_svc.report(db_session(), actor=actor, alert_id=i, data={"actions": actions})
    except DomainError as exc:
        flash(exc.detail, "error")
        return redirect(url_for("dashboard.alerts_inbox", status=back))
    flash("已报告预警" + (f"（含同一企业较早的{len(ids) - 1}条）" if len(ids) > 1 else "") + "，措施已记录", "ok")
    return redirect(url_for("dashboard.alerts_inbox", status="reported"))


for _code in (403, 404):
    bp.register_error_handler(_code, page_error)
