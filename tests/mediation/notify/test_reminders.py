"""Reminders to mediators and supervisors from the periodic job: a deadline due tomorrow, the mediation period
ending soon, red alerts not reported, collective disputes not reported — each once per recipient, channel and
occasion however often the job runs; users' channels and quiet hours respected."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mediation.db.models import Case, Deadline
from mediation.db.models_notify import NotificationMessage, NotificationPreference
from mediation.db.models_risk import RiskAlert
from mediation.db.uow import unit_of_work
from mediation.domain.clock import CHINA_TZ
from mediation.notify import run_reminders
from mediation.notify.service import Notifier
from mediation.queue import RecordingQueue
from tests.factories import World, build_world, drive, new_case

TODAY = dt.date(2025, 10, 20)


def notifier_at(day: dt.date, hour: int = 10) -> tuple[Notifier, RecordingQueue]:
    queue = RecordingQueue()
    at = dt.datetime.combine(day, dt.time(hour), tzinfo=CHINA_TZ).astimezone(dt.UTC)
    return Notifier(queue=queue, clock=lambda: at), queue


def run(db: Session, n: Notifier) -> Counter[str]:
    with unit_of_work(db):
        return run_reminders(db, n)


def rows(db: Session, event: str) -> list[NotificationMessage]:
    return list(db.scalars(select(NotificationMessage).where(NotificationMessage.event == event)
                           .order_by(NotificationMessage.id)))


def test_lapse_coming_and_deadline_tomorrow_to_the_mediator(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    end = next(d for d in case.deadlines if d.kind == "mediation_end" and d.status == "open")
    db.add(NotificationPreference(user_id=world.mediator.id, email="med@example.cn", email_enabled=True,
                                  sms_enabled=False, quiet_start=dt.time(21), quiet_end=dt.time(7)))
    db.commit()
    n, queue = notifier_at(end.due_on - dt.timedelta(days=2))
    got = run(db, n)
    assert got["lapse_coming"] == 2  # in-app and e-mail (the mediator chose e-mail, not SMS)
    lapse = rows(db, "lapse_coming")
    assert {m.channel for m in lapse} == {"inapp", "email"}
    assert all(m.recipient_user_id == world.mediator.id for m in lapse)
    assert f"调解期限将于{end.due_on:%Y年%m月%d日}届满" in lapse[0].body
    assert [t for t, _ in queue.deferred].count("notify.deliver") == 2
    # the next tick, and the next day: nothing new for the same occasion
    assert run(db, n)["lapse_coming"] == 0
    n2, _ = notifier_at(end.due_on - dt.timedelta(days=1))
    assert run(db, n2)["lapse_coming"] == 0
    assert len(rows(db, "lapse_coming")) == 2

    # a deadline due tomorrow (not the mediation period, which has its own notice)
    other = Deadline(case_id=case.id, kind="performance", anchor_on=TODAY, due_on=TODAY + dt.timedelta(days=1),
                     status="open", rules_version=case.rules_version)
    db.add(other)
    db.commit()
    n3, _ = notifier_at(TODAY, hour=22)  # inside the mediator's quiet hours (21:00–07:00)
    assert run(db, n3)["deadline_tomorrow"] == 2
    mail = next(m for m in rows(db, "deadline_tomorrow") if m.channel == "email")
    inapp = next(m for m in rows(db, "deadline_tomorrow") if m.channel == "inapp")
    assert mail.not_before == dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(7), tzinfo=CHINA_TZ)
    assert inapp.not_before == n3.clock()
    assert "将于明天" in mail.body


def test_red_alerts_and_unreported_collective_disputes_to_supervisors(db: Session, world: World) -> None:
    alert = RiskAlert(kind="level_raised", status="open", enterprise_id=world.enterprise.id,
                      organisation_id=world.township.id, level="red", previous_level="orange", score=92, workers=40,
                      raised_at=dt.datetime.now(dt.UTC), report_due_on=TODAY, rule_set_version=1, snapshot={})
    yellow = RiskAlert(kind="level_raised", status="open", enterprise_id=world.enterprise.id,
                       organisation_id=world.township.id, level="yellow", previous_level="none", score=40,
                       workers=5, raised_at=dt.datetime.now(dt.UTC), report_due_on=TODAY, rule_set_version=1,
                       snapshot={})
    db.add_all([alert, yellow])
    collective = new_case(db, world, TODAY, workers_count=35, title="35名职工集体讨薪")
    db.commit()
    report = next(d for d in collective.deadlines if d.kind == "collective_report")
    n, _ = notifier_at(report.due_on)
    got = run(db, n)
    supervisors = {world.supervisor.id, world.city_supervisor.id}  # the township's county and the city above
    red = rows(db, "red_alert")
    assert {m.recipient_user_id for m in red} == supervisors and {m.channel for m in red} == {"inapp"}
    assert got["red_alert"] == len(red) == 2
    assert world.enterprise.name in red[0].subject and "92分" in red[0].body
    coll = rows(db, "collective_unreported")
    assert {m.recipient_user_id for m in coll} == supervisors
    assert all(m.case_id == collective.id for m in coll) and "35人" in coll[0].body
    # once per occasion
    again = run(db, n)
    assert again["red_alert"] == 0 and again["collective_unreported"] == 0

    # reported: nothing more for a new occasion either
    alert.status = "reported"
    drive(db, world, db.get(Case, collective.id), report.due_on, "escalate")  # type: ignore[arg-type]
    db.commit()
    db.execute(NotificationMessage.__table__.delete())
    db.commit()
    assert sum(run(db, n).values()) == 0


def test_a_party_without_phone_or_email_gets_nothing_and_nothing_fails(db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept", "sign_agreement")
    for p in case.parties:
        p.phone = None
        p.email = None
    db.commit()
    due = case.current_agreement.obligations[0].due_on  # type: ignore[union-attr]
    n, _ = notifier_at(due - dt.timedelta(days=2))
    assert run(db, n)["instalment_due"] == 0
    assert rows(db, "instalment_due") == []


@pytest.mark.postgres_only
def test_workers_running_the_reminders_at_once_send_each_once(committing_engine: Engine) -> None:
    """Four workers run the periodic job at the same instant (real commits, PostgreSQL): one message per
    recipient, channel and occasion; the others' inserts do nothing."""
    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s)
        case = drive(s, world, new_case(s, world, TODAY), TODAY, "accept", "sign_agreement")
        due = case.current_agreement.obligations[0].due_on  # type: ignore[union-attr]
        case_id = case.id
    n, _ = notifier_at(due - dt.timedelta(days=1))
    barrier = threading.Barrier(4)
    results: list[object] = [None] * 4

    def work(i: int) -> None:
        with Session(committing_engine, expire_on_commit=False) as s:
            barrier.wait()
            try:
                with unit_of_work(s):
                    results[i] = run_reminders(s, n)["instalment_due"]
            except Exception as exc:  # reported below
                results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [0, 0, 0, 1], results  # type: ignore[type-var]  # the worker's phone: one SMS
    with Session(committing_engine) as s:
        assert s.scalar(select(func.count()).select_from(NotificationMessage)
                        .where(NotificationMessage.case_id == case_id,
                               NotificationMessage.event == "instalment_due")) == 1
