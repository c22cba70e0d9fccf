"""调解笔录 (LDMAL art. 13): time, place, mediator, recorder, attendees, the record, signatures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from documents.builders.common import BuildInput, base_context, datetime_cn
from mediation.db.models import MediationSession
from mediation.domain.clock import china_local
from mediation.domain.errors import ValidationFailed


def _session_for(b: BuildInput) -> MediationSession:
    stmt = select(MediationSession).where(MediationSession.case_id == b.case.id)
    if b.subject:
        stmt = stmt.where(MediationSession.id == int(b.subject))
    found = b.session.scalars(stmt.order_by(MediationSession.id.desc()).limit(1)).first()
    if found is None:
        raise ValidationFailed("该案件还没有调解记录", errors={"session_id": ["调解会议不存在"]})
    return found


def build_session_record(b: BuildInput) -> dict[str, Any]:
    s = _session_for(b)
    ctx = base_context(b, "调解笔录")
    time_cn = datetime_cn(s.started_at)
    if s.ended_at is not None:
        end = china_local(s.ended_at)
        time_cn += f"至{end.hour:02d}时{end.minute:02d}分"
    mediator = s.mediator.display_name if s.mediator else ctx["case"]["mediator_name"]
    ctx["session"] = {
        "id": s.id,
        "time_cn": time_cn,
        "place": s.place,
        "mediator": mediator,
        "recorder": s.recorder,
        "attendees": "、".join(str(a) for a in s.attendees),
        "record": s.record,
    }
    return ctx
