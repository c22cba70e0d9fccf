"""Review finding 6: the art. 14(3) date (fifteen days from receipt: the parties may then apply for
arbitration) is a milestone, not a deadline — never overdue, never counted as overdue, shown as reached."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.cases.queries import list_cases
from mediation.cases.sweep import run_sweep
from mediation.db.models import Case, CaseEvent, Deadline
from mediation.domain.clock import china_today
from mediation.risk import hotspots
from mediation.risk.maintenance import verify
from tests.factories import PASSWORD, World, drive, new_case

TODAY = china_today()  # the API and the hotspots' windows count from the real today


def _sessions(db: Session) -> Any:
    conn = db.connection()
    return lambda: Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)


def _past_milestone_case(db: Session, world: World) -> Case:
    """Received 30 days ago (the 15-day window has passed), accepted 20 days ago and extended by 15 days
    (mediation runs 10 more days): nothing is overdue, the right to arbitrate has arisen."""
    case = new_case(db, world, TODAY - dt.timedelta(days=30))
    case = drive(db, world, case, TODAY - dt.timedelta(days=20), "accept")
    return svc.fire_event(db, case_id=case.id, event="extend", actor=world.actor(world.mediator),
                          today=TODAY - dt.timedelta(days=19),
                          payload={"worker_agrees": True, "employer_agrees": True, "days": 15}, env=world.env)


def _milestone(case: Case) -> Deadline:
    [row] = [d for d in case.deadlines if d.kind == "arbitration_right"]
    return row


def _overdue_ids(db: Session, world: World) -> set[int]:
    page = list_cases(db, actor=world.actor(world.city_supervisor), filters={"overdue": True, "per_page": 100},
                      today=TODAY)
    return {c.id for c in page.items}


def test_the_sweep_never_marks_the_milestone_overdue_and_it_counts_nowhere(db: Session, world: World) -> None:
    case = _past_milestone_case(db, world)
    assert _milestone(case).due_on < TODAY
    report = run_sweep(_sessions(db), today=TODAY, env=world.env)
    assert report.overdue_marked == 0
    db.expire_all()
    case = db.get(Case, case.id)  # type: ignore[assignment]
    assert _milestone(case).status == "open" and _milestone(case).overdue_recorded_at is None
    assert case.id not in _overdue_ids(db, world)
    row = {r["key"]: r for r in hotspots.run_hotspots(db, actor=world.actor(world.city_supervisor),
                                                       args={"by": "county"}, today=TODAY)["rows"]}["330402"]
    assert row["overdue"] == 0 and row["overdue_open"] == 0 and row["open_cases"] == 1


def test_rows_marked_overdue_before_are_corrected_by_the_sweep(db: Session, world: World) -> None:
    case = _past_milestone_case(db, world)
    ended = drive(db, world, new_case(db, world, TODAY - dt.timedelta(days=40)), TODAY - dt.timedelta(days=39),
                  "accept")
    ended = drive(db, world, ended, TODAY - dt.timedelta(days=30), "terminate")
    # What an earlier sweep left behind: the milestone marked overdue (the terminated case's row stayed
    # overdue when termination cancelled only open rows).
    for c in (case, ended):
        row = _milestone(c)
        row.status, row.overdue_recorded_at = "overdue", dt.datetime.now(dt.UTC)
    db.commit()
    report = run_sweep(_sessions(db), today=TODAY, env=world.env)
    assert report.milestones_corrected == 2 and "更正" in report.summary()
    db.expire_all()
    case, ended = db.get(Case, case.id), db.get(Case, ended.id)  # type: ignore[assignment]
    assert (_milestone(case).status, _milestone(case).overdue_recorded_at) == ("open", None)
    assert _milestone(ended).status == "cancelled" and _milestone(ended).resolved_on == ended.ended_on
    assert case.id not in _overdue_ids(db, world)
    last = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())).first()
    assert last is not None and last.event == "deadline_corrected" and "不是期限" in last.reason
    assert run_sweep(_sessions(db), today=TODAY, env=world.env).milestones_corrected == 0
    assert verify(db).ok  # the derived risk tables followed


def test_api_and_case_page_show_the_milestone_as_reached(db: Session, world: World, client: FlaskClient) -> None:
    case = _past_milestone_case(db, world)
    r = client.post("/api/v1/auth/login", json={"username": world.mediator.username, "password": PASSWORD})
    assert r.status_code == 200
    [row] = [d for d in client.get(f"/api/v1/cases/{case.id}").json["deadlines"] if d["kind"] == "arbitration_right"]
    assert row["milestone"] is True and row["status"] == "open"
    assert row["status_label"] == "已届满，当事人可申请仲裁"
    assert row["label"] == "十五日期间届满之日（次日起可申请仲裁）"
    page = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    cell = page[page.index('data-kind="arbitration_right"'):]
    cell = cell[:cell.index("</tr>")]
    assert "已届满，当事人可申请仲裁" in cell and "逾期" not in cell
