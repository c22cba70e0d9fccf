"""The retention purge anonymises what the notices kept of the parties: the party's e-mail, and the name,
address and text of every message sent to a party of the case."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Case, Party
from mediation.db.models_notify import NotificationMessage
from mediation.privacy.purge import NOTICE_ANONYMISED, purge
from tests.factories import World, drive, new_case
from tests.helpers import TODAY


def test_purge_anonymises_the_notices_to_parties(db: Session, world: World) -> None:
    case = new_case(db, world, TODAY)
    worker = case.parties_with_role("worker")[0]
    worker.email = "zhangsan@example.cn"
    now = dt.datetime.now(dt.UTC)
    common = dict(case_id=case.id, event="accepted", subject=f"调解申请已受理（{case.number}）", status="sent",
                  attempts=1, not_before=now, last_error="", created_at=now)
    db.add_all([
        NotificationMessage(channel="sms", recipient_kind="party", recipient_party_id=worker.id,
                            recipient_name="张三", address="13812345678", body="张三：您好。……", **common),
        NotificationMessage(channel="inapp", recipient_kind="user", recipient_user_id=world.mediator.id,
                            recipient_name=world.mediator.display_name, address="", body="新指派案件", **common),
    ])
    db.commit()
    drive(db, world, db.get(Case, case.id), TODAY, "withdraw", "close")  # type: ignore[arg-type]
    purge(db, today=dt.date(2035, 10, 20), actor="档案员", dry_run=False)
    db.expire_all()
    party_msg, staff_msg = db.scalars(select(NotificationMessage).where(NotificationMessage.case_id == case.id)
                                      .order_by(NotificationMessage.id)).all()
    assert (party_msg.recipient_name, party_msg.address, party_msg.body) == ("（已匿名）", "", NOTICE_ANONYMISED)
    assert staff_msg.body == "新指派案件"  # staff notices are not the parties' personal data
    assert db.get(Party, worker.id).email is None  # type: ignore[union-attr]
