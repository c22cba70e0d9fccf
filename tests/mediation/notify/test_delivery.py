"""Notifications reach a real SMTP server (aiosmtpd, started by the test on a free port) with the right Chinese
text; a failing server never blocks the transition, the delivery is retried with backoff and finally marked
failed; quiet hours postpone; reminders go out once however often the periodic job runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.cases import service as case_service
from mediation.db.models import Case
from mediation.db.models_notify import NotificationMessage
from mediation.db.uow import unit_of_work
from mediation.domain.clock import CHINA_TZ
from mediation.notify import NotifySettings, deliverer_for, delivery_handlers, dispatch_due, notifier_for, notify_job
from mediation.notify.appointments import schedule_session
from mediation.notify.observer import NotificationObserver
from mediation.notify.service import Deliverer, Notifier, case_parties
from mediation.queue import InlineQueue
from tests.factories import World, agreement_payload, build_world, drive, new_case, standard_env

#: 10:00 in China on the day the tests take as today (outside the parties' quiet hours 22:00–08:00).
TODAY = dt.date(2025, 10, 20)
MORNING = dt.datetime(2025, 10, 20, 10, 0, tzinfo=CHINA_TZ)
WORKER_EMAIL = "zhangsan@example.cn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping what arrives (or refusing every message with ``refuse``)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "554 5.7.1 Message rejected"
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at.astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.at


@dataclasses.dataclass
class Rig:
    world: World
    notifier: Notifier
    deliverer: Deliverer
    clock: Clock
    factory: Callable[[], Session]


def rig(db: Session, port: int, at: dt.datetime = MORNING) -> Rig:
    clock = Clock(at)
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="tiaojie@example.cn", smtp_timeout=3)
    deliverer = deliverer_for(settings, clock=clock)
    handlers, failures = delivery_handlers(deliverer)
    notifier = notifier_for(settings, InlineQueue(handlers, failures), clock=clock)
    env = dataclasses.replace(standard_env(db), observers=(*standard_env(db).observers,
                                                           NotificationObserver(notifier)))
    world = build_world(db, env=env)
    conn = db.connection()

    def factory() -> Session:
        return Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)

    return Rig(world, notifier, deliverer, clock, factory)


def mediating_case(db: Session, r: Rig) -> Case:
    case = new_case(db, r.world, TODAY)
    worker = case.parties_with_role("worker")[0]
    worker.email = WORKER_EMAIL
    db.commit()
    return drive(db, r.world, case, TODAY, "accept")


def messages(db: Session, case: Case, event: str, channel: str = "email") -> list[NotificationMessage]:
    db.expire_all()
    return list(db.scalars(select(NotificationMessage).where(NotificationMessage.case_id == case.id,
                                                            NotificationMessage.event == event,
                                                            NotificationMessage.channel == channel)
                           .order_by(NotificationMessage.id)))


def test_session_scheduled_reaches_the_smtp_server(db: Session, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    r = rig(db, port)
    case = mediating_case(db, r)
    starts = dt.datetime(2025, 10, 23, 9, 30, tzinfo=CHINA_TZ)
    with unit_of_work(db):
        schedule_session(db, case=case, data={"starts_at": starts.isoformat(), "place": "东栅街道调解室"},
                         actor_id=r.world.mediator.id, notifier=r.notifier)
    sessions = [m for m in inbox.messages if "调解会议通知" in str(m["Subject"])]
    assert len(sessions) == 1
    mail = sessions[0]
    assert mail["Subject"] == f"调解会议通知（{case.number}）"
    assert mail["To"].addresses[0].addr_spec == WORKER_EMAIL
    body = mail.get_content()
    assert f"张三：您好。案号{case.number}的调解会议定于2025年10月23日 09:30在东栅街道调解室举行" in body
    assert "请准时参加" in body
    [row] = messages(db, case, "session_scheduled")
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, r.clock.at)
    # the worker's phone got the same text as an SMS (the demo's logging adapter)
    [sms] = messages(db, case, "session_scheduled", "sms")
    assert sms.status == "sent" and sms.body == body.strip()

    # the day before, the reminder; a second run of the periodic job sends nothing new
    r.clock.at = dt.datetime(2025, 10, 22, 9, 0, tzinfo=CHINA_TZ).astimezone(dt.UTC)
    notify_job(r.factory, r.notifier, r.deliverer)
    notify_job(r.factory, r.notifier, r.deliverer)
    reminders = [m for m in inbox.messages if "明日调解会议提醒" in str(m["Subject"])]
    assert len(reminders) == 1
    assert "将于明天（2025年10月23日 09:30）在东栅街道调解室举行" in reminders[0].get_content()


def test_instalment_due_in_three_days_and_overdue(db: Session, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    r = rig(db, port)
    case = mediating_case(db, r)
    payload = agreement_payload(TODAY)
    payload["obligations"] = [
        {"description": "支付2025年7-9月工资", "claim_type": "wages", "amount": "24000.00",
         "due_on": (TODAY + dt.timedelta(days=3)).isoformat()}]
    case = case_service.fire_event(db, case_id=case.id, event="sign_agreement", actor=r.world.actor(r.world.mediator),
                                   payload=payload, env=r.world.env, today=TODAY)
    signed = [m for m in inbox.messages if str(m["Subject"]) == f"调解协议已签订（{case.number}）"]
    assert len(signed) == 1 and "履行事项共1项，合计24,000.00元" in signed[0].get_content()

    for _ in range(2):  # two runs (two workers, or the next tick): once per recipient and occasion
        notify_job(r.factory, r.notifier, r.deliverer)
    due = [m for m in inbox.messages if str(m["Subject"]) == f"履行期限提醒（{case.number}）"]
    assert len(due) == 1
    assert due[0].get_content().strip() == (
        f"张三：您好。按照案号{case.number}的协议，“支付2025年7-9月工资”应于2025年10月23日前履行，金额24,000.00元，"
        f"距履行期限还有3天。【{case.organisation.short_name or case.organisation.name}】")
    assert len(messages(db, case, "instalment_due")) == 1

    # three days later nothing new; after the due date, the overdue notice, once
    r.clock.at = dt.datetime(2025, 10, 24, 9, 0, tzinfo=CHINA_TZ).astimezone(dt.UTC)
    for _ in range(2):
        notify_job(r.factory, r.notifier, r.deliverer)
    overdue = [m for m in inbox.messages if str(m["Subject"]) == f"履行逾期提醒（{case.number}）"]
    assert len(overdue) == 1
    assert "尚未履行的24,000.00元已逾期" in overdue[0].get_content()
    assert db.scalar(select(func.count()).select_from(NotificationMessage)
                     .where(NotificationMessage.event == "instalment_overdue",
                            NotificationMessage.case_id == case.id)) == 2  # e-mail and SMS to the worker


def test_a_server_that_is_down_never_blocks_the_transition(db: Session) -> None:
    r = rig(db, free_port())  # nothing listens there
    case = mediating_case(db, r)
    assert case.status == "mediating"  # the transition went through
    db.expire_all()
    assert db.get(Case, case.id).status == "mediating"  # committed
    [row] = messages(db, case, "accepted")
    assert (row.status, row.attempts) == ("pending", 1)
    assert "邮件发送失败" in row.last_error
    assert row.not_before == r.clock.at + dt.timedelta(minutes=1)

    # not yet due: nothing is tried
    assert dispatch_due(r.factory, r.deliverer) == {}
    waits = []
    for _ in range(4):
        db.expire_all()
        row = db.get(NotificationMessage, row.id)
        waits.append(row.not_before - r.clock.at)
        r.clock.at = row.not_before
        dispatch_due(r.factory, r.deliverer)
    db.expire_all()
    row = db.get(NotificationMessage, row.id)
    assert waits == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]  # backoff doubles
    assert (row.status, row.attempts) == ("failed", 5)
    assert row.sent_at is None


def test_a_server_that_refuses_is_retried_then_failed(db: Session, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    inbox.refuse = True
    r = rig(db, port)
    case = mediating_case(db, r)
    [row] = messages(db, case, "accepted")
    assert row.status == "pending" and "554" in row.last_error
    inbox.refuse = False  # the server recovers: the next attempt goes through
    r.clock.at = row.not_before
    assert dispatch_due(r.factory, r.deliverer) == {"sent": 1}
    db.expire_all()
    row = db.get(NotificationMessage, row.id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert [str(m["Subject"]) for m in inbox.messages] == [f"调解申请已受理（{case.number}）"]


def test_quiet_hours_postpone_email_and_sms(db: Session, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    late = dt.datetime(2025, 10, 20, 23, 15, tzinfo=CHINA_TZ)
    r = rig(db, port, at=late)
    case = mediating_case(db, r)
    assert inbox.messages == []
    [row] = messages(db, case, "accepted")
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.not_before == dt.datetime(2025, 10, 21, 8, 0, tzinfo=CHINA_TZ)
    [sms] = messages(db, case, "accepted", "sms")
    assert sms.status == "pending"
    # the mediator's in-app notice is never held back
    [inapp] = messages(db, case, "new_assignment", "inapp")
    assert inapp.status == "sent"

    r.clock.at = dt.datetime(2025, 10, 21, 7, 59, tzinfo=CHINA_TZ).astimezone(dt.UTC)
    assert dispatch_due(r.factory, r.deliverer) == {}
    r.clock.at = dt.datetime(2025, 10, 21, 8, 0, tzinfo=CHINA_TZ).astimezone(dt.UTC)
    # the acceptance by e-mail and SMS, and the SMS of the application received the evening before
    assert dispatch_due(r.factory, r.deliverer) == {"sent": 3}
    assert [str(m["Subject"]) for m in inbox.messages] == [f"调解申请已受理（{case.number}）"]


def test_a_rolled_back_transition_leaves_no_message(db: Session, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    r = rig(db, port)
    case = new_case(db, r.world, TODAY)
    case.parties_with_role("worker")[0].email = WORKER_EMAIL
    db.commit()

    def failing(session: Session, c: Case, ev: Any) -> None:
        if ev.event == "accept":
            raise RuntimeError("observer failed")

    env = dataclasses.replace(r.world.env, observers=(*r.world.env.observers, failing))
    with pytest.raises(RuntimeError):
        case_service.fire_event(db, case_id=case.id, event="accept", actor=r.world.actor(r.world.mediator),
                                payload={"respondent_consents": True, "mediator_id": r.world.mediator.id},
                                env=env, today=TODAY)
    assert messages(db, case, "accepted") == []
    assert [m for m in inbox.messages if "已受理" in str(m["Subject"])] == []


def test_amounts_in_templates_are_decimal_strings() -> None:
    from mediation.notify.templates import render

    subject, body = render("instalment_overdue", {"name": "张三", "number": "（2025）东栅劳调字第1号",
                                                  "description": "工资", "due_on": "2025年10月23日",
                                                  "amount": f"{Decimal('1200.5'):,.2f}", "outstanding": "1,200.50",
                                                  "organisation": "东栅"})
    assert subject == "履行逾期提醒（（2025）东栅劳调字第1号）"
    assert "金额1,200.50元" in body and body.endswith("【东栅】")


def test_the_agreement_email_carries_the_signed_agreement(db: Session, smtp: tuple[Inbox, int],
                                                          tmp_path: Any) -> None:
    """The e-mail waits for the agreement's render (queued in the same transaction) and then carries its PDF."""
    from documents.service import PdfProducer, render_handlers
    from mediation.blobs import DirectoryBlobStore

    inbox, port = smtp
    clock = Clock(MORNING)
    blobs = DirectoryBlobStore(tmp_path / "blobs")
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=3)
    deliverer = deliverer_for(settings, blobs=blobs, clock=clock)
    (render, render_failed), (deliver, deliver_failed) = render_handlers(blobs), delivery_handlers(deliverer)
    queue = InlineQueue({**render, **deliver}, {**render_failed, **deliver_failed})
    notifier = notifier_for(settings, queue, clock=clock)
    base = standard_env(db, documents=PdfProducer(blobs, queue))
    world = build_world(db, env=dataclasses.replace(base, observers=(*base.observers, NotificationObserver(notifier))))
    case = new_case(db, world, TODAY)
    case.parties_with_role("worker")[0].email = WORKER_EMAIL
    db.commit()
    case = drive(db, world, case, TODAY, "accept", "record_session", "sign_agreement")
    [row] = messages(db, case, "agreement_signed")
    conn = db.connection()

    def factory() -> Session:
        return Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)

    if row.status == "pending":  # it was tried before the render had run: sent at the next dispatch
        clock.at = row.not_before
        assert dispatch_due(factory, deliverer).get("sent", 0) >= 1
    [mail] = [m for m in inbox.messages if str(m["Subject"]) == f"调解协议已签订（{case.number}）"]
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().endswith(".pdf") and "调解协议书" in attachment.get_filename()
    assert attachment.get_content().startswith(b"%PDF")
    assert "协议书见附件" in mail.get_body(preferencelist=("plain",)).get_content()


def test_application_received_and_not_accepted(db: Session, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    r = rig(db, port)
    case = new_case(db, r.world, TODAY)  # registered as an application: the worker's phone gets the SMS
    [received] = messages(db, case, "application_received", "sms")
    assert received.status == "sent"
    assert f"已于2025年10月20日收到您的劳动争议调解申请（案号{case.number}）" in received.body
    case.parties_with_role("worker")[0].email = WORKER_EMAIL
    db.commit()
    drive(db, r.world, case, TODAY, "reject")
    [mail] = [m for m in inbox.messages if str(m["Subject"]) == f"调解申请未予受理（{case.number}）"]
    assert "经审查不予受理，理由：不属于受理范围。您可依法申请劳动争议仲裁。" in mail.get_content()


@pytest.mark.postgres_only
def test_on_postgresql_a_failed_attempt_is_queued_again_after_its_backoff(db: Session) -> None:
    """The worker's delivery re-defers itself with ``schedule_at`` (procrastinate), in the attempt's transaction."""
    from sqlalchemy import text

    from mediation.queue import PostgresQueue, RecordingQueue

    clock = Clock(MORNING)
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout=3)
    notifier = notifier_for(settings, RecordingQueue(), clock=clock)
    deliverer = deliverer_for(settings, queue=PostgresQueue(), clock=clock)
    world = build_world(db)
    case = new_case(db, world, TODAY)
    case.parties_with_role("worker")[0].email = WORKER_EMAIL
    [mail] = [m for m in notifier.record(db, event="accepted", case_id=case.id,
                                         recipients=case_parties(case, notifier.party_quiet),
                                         fields={"number": case.number, "title": case.title, "organisation": "东栅",
                                                 "date": "2025年10月20日", "mediator": "李调解"})
              if m.channel == "email"]
    assert deliverer.deliver(db, message_id=mail.id) == "retry"
    db.flush()
    job = db.execute(text("SELECT task_name, scheduled_at, args FROM procrastinate_jobs "
                          "WHERE task_name = 'notify.deliver' ORDER BY id DESC LIMIT 1")).one()
    assert job.scheduled_at == clock.at + dt.timedelta(minutes=1)
    assert job.args == {"message_id": mail.id}
