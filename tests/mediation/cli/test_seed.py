"""The demo seed: every state present, histories consistent, real division codes, valid USCCs."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.cli.seed import seed_demo
from mediation.db.models import Case, CaseEvent, Enterprise, Organisation, User
from mediation.domain import divisions
from mediation.domain.uscc import is_valid_uscc
from workflows.definitions import V1


def test_small_seed_covers_every_state(db: Session) -> None:
    summary = seed_demo(db, cases=60, enterprises=20, seed=7, today=dt.date(2025, 11, 20))
    assert "演示数据完成" in summary
    statuses = Counter(db.scalars(select(Case.status)).all())
    assert set(statuses) == set(V1.state_names), statuses
    for case in db.scalars(select(Case)).all():
        events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
        assert [e.seq for e in events] == list(range(1, case.last_event_seq + 1))
        assert events[-1].to_state == case.status
        open_kinds = Counter(d.kind for d in case.deadlines if d.status == "open" and d.kind != "performance")
        assert all(n == 1 for n in open_kinds.values()), (case.id, open_kinds)
    roles = set(db.scalars(select(User.role)).all())
    assert roles == {"clerk", "mediator", "supervisor", "admin"}
    assert all(is_valid_uscc(e.uscc or "") for e in db.scalars(select(Enterprise)).all())
    for code in db.scalars(select(Organisation.region_code)).all():
        assert code is None or divisions.find(code) is not None
    # the risk picture built in bulk agrees with a recomputation, and there is something to show
    from mediation.db.models_risk import RiskAlert, RiskSignal
    from mediation.risk import maintenance

    assert maintenance.verify(db).ok
    assert db.scalar(select(func.count()).select_from(RiskSignal)) == 120
    assert db.scalar(select(func.count()).select_from(RiskAlert)) > 0
