"""What the case page shows, prepared from the case's detail (api.rest.cases.detail): the actions that can
apply to this user now, the deadlines as a person reads them, the documents' current versions, and — after
a stale submission — what changed since the page was opened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from mediation.db.models import CaseEvent
from mediation.domain.deadline_rules import MILESTONE_KINDS, MISSABLE_KINDS, OPTIONAL_WINDOW_KINDS
from mediation.domain.policy import Actor

#: Guards whose failure means the action does not concern this case at all (a one-worker case is never
#: reported as a collective dispute; a settlement never goes to arbitration review): such actions are not
#: shown, not even as unavailable.
NEVER_APPLIES = frozenset({"is_collective", "not_escalated", "agreement_from_mediation", "scope"})
#: Shown after the others: they end the handling of the case.
LAST = ("withdraw", "dismiss")


def split_actions(options: Iterable[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """(the actions this user can take now, the ones that may apply later with the reason they cannot now). What
    the user may never fire here — by role, or a committee's own act for a supervisor above it (the policy's
    ``event_refusal``) — is not shown at all."""
    now: list[Mapping[str, Any]] = []
    later: list[Mapping[str, Any]] = []
    for o in options:
        if not o["role_allowed"]:
            continue
        if o["allowed"]:
            now.append(o)
        elif not any(b["guard"] in NEVER_APPLIES for b in o["blockers"]):
            later.append(o)
    now.sort(key=lambda o: o["event"] in LAST)
    return now, later


@dataclass(frozen=True)
class DeadlineView:
    kind: str
    label: str
    #: what the row is about when a case has several of the kind (an obligation of the agreement)
    detail: str
    due_on: dt.date
    days_left: int
    #: ``duty`` (someone must act), ``window`` (the parties may act), ``milestone`` (a right arises),
    #: ``limitation`` (the parties' period, an estimate)
    nature: str
    status: str
    status_label: str
    provisional: bool
    resolved_on: dt.date | None


def _nature(kind: str) -> str:
    if kind in MILESTONE_KINDS:
        return "milestone"
    if kind in OPTIONAL_WINDOW_KINDS:
        return "window"
    if kind == "limitation":
        return "limitation"
    return "duty" if kind in MISSABLE_KINDS else "other"


def deadline_views(deadlines: Sequence[Mapping[str, Any]], labels: Mapping[str, str],
                   obligations: Mapping[int, str]) -> tuple[list[DeadlineView], list[DeadlineView]]:
    """(the deadlines still running or missed and not dealt with, the others) — each distinct row once: a case
    with two obligations has two performance dates and two limitation dates, each named by its obligation;
    identical rows (same kind, obligation and date) are one."""
    pending: list[DeadlineView] = []
    past: list[DeadlineView] = []
    seen: set[tuple[Any, ...]] = set()
    for d in sorted(deadlines, key=lambda d: (d["due_on"], d["kind"])):
        key = (d["kind"], d.get("obligation_id"), d["due_on"], d["status"])
        if key in seen:
            continue
        seen.add(key)
        view = DeadlineView(
            kind=d["kind"], label=labels.get(d["kind"], d["label"]),
            detail=obligations.get(d.get("obligation_id") or 0, ""), due_on=d["due_on"], days_left=d["days_left"],
            nature=_nature(d["kind"]), status=d["status"], status_label=d["status_label"],
            provisional=bool(d["provisional"]), resolved_on=d.get("resolved_on"))
        running = d["status"] == "open" or (d["status"] == "overdue" and not d.get("resolved_on"))
        if running and not (view.nature == "window" and view.days_left < 0):  # a window that passed is closed
            pending.append(view)
        else:
            past.append(view)
    return pending, past


def current_documents(documents: Sequence[Any]) -> list[tuple[Any, int]]:
    """The latest version of each document (kind and number), with how many versions there are."""
    latest: dict[tuple[str, str], Any] = {}
    counts: dict[tuple[str, str], int] = {}
    for d in documents:
        key = (d.kind, d.number)
        counts[key] = counts.get(key, 0) + 1
        if key not in latest or d.version > latest[key].version:
            latest[key] = d
    return [(d, counts[(d.kind, d.number)]) for d in sorted(latest.values(), key=lambda d: d.id)]


@dataclass(frozen=True)
class Change:
    label: str
    at: dt.datetime
    who: str
    mine: bool


def changes_since(session: Session, case_id: int, seen_seq: int | None, actor: Actor,
                  label_of: Any) -> list[Change]:
    """What was recorded on the case after the page the user submitted from was rendered."""
    if seen_seq is None:
        return []
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq > seen_seq)
                             .options(joinedload(CaseEvent.actor)).order_by(CaseEvent.seq)).all()
    return [Change(label=label_of(e.event), at=e.at, who=e.actor.display_name if e.actor else "系统（期限检查）",
                   mine=e.actor_id is not None and e.actor_id == actor.user_id) for e in events]


def conflict_message(changes: Sequence[Change], tz: Any) -> str:
    """The stale-version message: who changed the case (you, in another window, or someone else) and what."""
    keep = "您刚才填写的内容仍在下方表单中，请核对最新情况后重新提交。"
    if not changes:
        return "您打开本页后，案件已有更新。本页已显示最新情况；" + keep
    what = "、".join(f"{c.label}（{c.at.astimezone(tz).strftime('%H:%M')}）" for c in changes)
    if all(c.mine for c in changes):
        return f"您已在另一个窗口或标签页中办理了：{what}。本页已显示最新情况；" + keep
    who = "、".join(dict.fromkeys(c.who for c in changes if not c.mine))
    return f"{who}在您打开本页后办理了：{what}。本页已显示最新情况；" + keep
