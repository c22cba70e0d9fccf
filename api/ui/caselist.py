"""The case list (案件列表): search, filters, sorting and paging, all in the URL (a list can be bookmarked,
shared and reloaded), with the committee's queues (待受理, 未指派, 已逾期, 集体争议, 我主办的) as tabs.

It reads through :func:`mediation.cases.queries.list_cases` (the same query as ``GET /api/v1/cases``), so
the list a user sees here is the list the API gives them: scoped by role, filtered, sorted, paginated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from api.db import db_session, service_env
from api.ui.pages import DEADLINE_LABELS, STATE_LABELS, _actor, _ctx, page_error
from mediation.cases.queries import OPEN_STATES, SORTS, list_cases, next_deadlines, org_scope_clause
from mediation.db.models import Enterprise, Organisation, Park, User
from mediation.domain.enums import Role

bp = Blueprint("case_list", __name__, template_folder="templates", url_prefix="/ui")

SORT_LABELS = {
    "-reported_on": "登记日期（新→旧）", "reported_on": "登记日期（旧→新）",
    "received_on": "收到申请日期（早→晚）", "-received_on": "收到申请日期（晚→早）",
    "-updated_at": "最近办理", "number": "案号（小→大）", "-number": "案号（大→小）",
    "-workers_count": "涉及人数（多→少）", "status": "状态",
}
assert all(k.lstrip("-") in SORTS for k in SORT_LABELS)
PER_PAGE = (20, 50, 100)
#: Status choices besides the single states: the cases still being handled, and everything not archived.
STATUS_GROUPS = {"active": ("办理中（受理、调解阶段）", OPEN_STATES),
                 "unclosed": ("未归档", tuple(s for s in STATE_LABELS if s != "closed"))}
OVERDUE_CHOICES = {"now": "有逾期未办的期限", "any": "曾逾期（督导看板口径）"}


@dataclass(frozen=True)
class View:
    label: str
    params: Mapping[str, str]
    hint: str


def _views(user_id: int | None, role: str) -> dict[str, View]:
    views = {
        "all": View("全部", {}, "按权限范围可查看的全部案件"),
        "intake": View("待受理", {"status": "applied", "sort": "received_on"},
                       "已申请、待作出受理决定（收到申请之日起3个工作日内），最早收到的在前"),
        "unassigned": View("未指派", {"status": "active", "mediator": "none", "sort": "reported_on"},
                           "办理中但尚未指定主办调解员的案件，最早登记的在前"),
        "overdue": View("已逾期", {"status": "unclosed", "overdue": "now", "sort": "reported_on"},
                        "有已过期限、尚未办理的事项（受理、调解期限、集体争议报告、履行等）"),
        "collective": View("集体争议", {"status": "active", "collective": "1"},
                           "劳动者一方十人以上并有共同请求（《劳动争议调解仲裁法》第七条）"),
    }
    if role in (Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN) and user_id is not None:
        views["mine"] = View("我主办的", {"status": "unclosed", "mediator": str(user_id), "sort": "-updated_at"},
                             "由我担任主办调解员、尚未归档的案件")
    return views


def _date(raw: str, label: str, errors: dict[str, str], name: str) -> dt.date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"{label}应为日期，格式如 2026-03-01"
        return None


def parse_args(args: Mapping[str, str], *, user_id: int | None, role: str) -> tuple[dict[str, Any], dict[str, Any],
                                                                                      dict[str, str]]:
    """The URL's query string → (the values the form shows, the filters for ``list_cases``, field errors).
    A tab (``view``) presets some values; anything given explicitly wins."""
    views = _views(user_id, role)
    view = args.get("view", "")
    if view not in views:
        view = "all"
    raw: dict[str, Any] = {**views[view].params}
    for k in ("q", "status", "mediator", "overdue", "collective", "organisation", "enterprise", "park", "region",
              "from", "to", "sort", "per_page", "page"):
        if k in args:
            raw[k] = args.get(k, "").strip()
    raw["view"] = view
    errors: dict[str, str] = {}
    f: dict[str, Any] = {}
    q = raw.get("q", "")[:100]
    raw["q"] = q
    if q:
        f["q"] = q
    status = raw.get("status", "")
    if status in STATUS_GROUPS:
        f["status"] = list(STATUS_GROUPS[status][1])
    elif status in STATE_LABELS:
        f["status"] = [status]
    elif status:
        errors["status"] = "未知的案件状态"
    mediator = raw.get("mediator", "")
    if mediator == "none":
        f["unassigned"] = True
    elif mediator.isascii() and mediator.isdigit() and len(mediator) < 12:
        f["mediator_id"] = int(mediator)
    elif mediator:
        errors["mediator"] = "请从列表中选择调解员"
    if raw.get("overdue") == "now":
        f["overdue_now"] = True
    elif raw.get("overdue") == "any":
        f["overdue"] = True
    if raw.get("collective") == "1":
        f["collective"] = True
    for key, target in (("organisation", "organisation_id"), ("enterprise", "enterprise_id"), ("park", "park_id")):
        v = raw.get(key, "")
        if v.isascii() and v.isdigit() and len(v) < 12:
            f[target] = int(v)
    region = raw.get("region", "")
    if region.isascii() and region.isdigit() and len(region) == 6:
        f["region"] = region
    frm = _date(raw.get("from", ""), "登记日期起", errors, "from")
    to = _date(raw.get("to", ""), "登记日期止", errors, "to")
    if frm and to and frm > to:
        errors["to"] = "截止日期不能早于起始日期"
    else:
        if frm:
            f["reported_from"] = frm
        if to:
            f["reported_to"] = to
    sort = raw.get("sort", "") or "-reported_on"
    if sort not in SORT_LABELS:
        sort = "-reported_on"
    raw["sort"] = f["sort"] = sort
    per_page_raw = str(raw.get("per_page", ""))
    per_page = int(per_page_raw) if per_page_raw.isascii() and per_page_raw.isdigit() else 20
    raw["per_page"] = f["per_page"] = per_page if per_page in PER_PAGE else 20
    page = raw.get("page", "")
    page = str(page)
    f["page"] = int(page) if page.isascii() and page.isdigit() and 0 < len(page) < 7 and int(page) > 0 else 1
    return raw, f, errors


def _mediators(actor: Any) -> list[User]:
    stmt = (select(User).join(Organisation, Organisation.id == User.organisation_id)
            .where(User.active.is_(True), User.role == Role.MEDIATOR, org_scope_clause(actor, User.organisation_id))
            .order_by(Organisation.path, User.display_name).limit(300))
    return list(db_session().scalars(stmt).all())


def _organisations(actor: Any) -> list[Organisation]:
    if not actor.sees_subtree:
        return []
    stmt = select(Organisation).where(org_scope_clause(actor, Organisation.id)).order_by(Organisation.path)
    return list(db_session().scalars(stmt.limit(300)).all())


def query_string(raw: Mapping[str, Any], **changes: Any) -> str:
    """The current list's URL with some parameters changed (empty values left out, the page reset unless
    it is the change)."""
    params = {k: v for k, v in raw.items() if v not in ("", None) and k != "page"}
    params.update({k: v for k, v in changes.items()})
    if params.get("view") == "all":
        params.pop("view")
    return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})


@bp.route("/cases")
@login_required
def case_list() -> Any:
    actor = _actor()
    session = db_session()
    today = service_env().today()
    raw, filters, errors = parse_args(request.args, user_id=actor.user_id, role=actor.role)
    page = list_cases(session, actor=actor, filters=filters, today=today)
    if request.args.get("go") == "1" and page.total == 1 and filters.get("q"):
        # the header's search box: one hit (a full case number, an ID number) opens the case itself
        return redirect(url_for("ui.case_page", case_id=page.items[0].id))
    pages = max((page.total + page.per_page - 1) // page.per_page, 1)
    due = next_deadlines(session, [c.id for c in page.items], today)
    views = _views(actor.user_id, actor.role)
    counts = {}
    for name, v in views.items():
        if name == "all":
            continue
        _, vf, _ = parse_args(v.params | {"view": name}, user_id=actor.user_id, role=actor.role)
        counts[name] = list_cases(session, actor=actor, filters={**vf, "per_page": 1}, today=today).total
    labels = {}
    if filters.get("enterprise_id"):
        ent = session.get(Enterprise, filters["enterprise_id"])
        labels["enterprise"] = ent.name if ent else "（未知企业）"
    if filters.get("park_id"):
        park = session.get(Park, filters["park_id"])
        labels["park"] = park.name if park else "（未知园区）"
    return render_template(
        "ui/cases.html", page=page, pages=pages, raw=raw, errors=errors, due=due, views=views, counts=counts,
        view=raw["view"], sort_labels=SORT_LABELS, per_page_choices=PER_PAGE, status_groups=STATUS_GROUPS,
        overdue_choices=OVERDUE_CHOICES, mediators=_mediators(actor), organisations=_organisations(actor),
        labels=labels, qs=lambda **kw: query_string(raw, **kw), deadline_labels=DEADLINE_LABELS,
        **{k: v for k, v in _ctx().items() if k != "deadline_labels"},
    ), (422 if errors else 200)


for _code in (403, 404):
    bp.register_error_handler(_code, page_error)
