"""劳动法律监督建议书: after the opinion's reply period has passed without a reply or correction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from documents.builders.common import BuildInput, base_context, date_cn, require_param
from mediation.db.models_documents import GeneratedDocument
from mediation.domain.calendar import add_working_days
from mediation.domain.clock import china_date
from mediation.domain.errors import ValidationFailed


def build_supervision_proposal(b: BuildInput) -> dict[str, Any]:
    """Only after the opinion's reply period has passed. The period runs from the employer's receipt, which
    the engine does not record; receipt cannot precede issue, so until the period counted from the day the
    opinion was issued has passed the reply period certainly has not, and the proposal is refused."""
    opinion = b.session.scalars(
        select(GeneratedDocument)
        .where(GeneratedDocument.case_id == b.case.id, GeneratedDocument.kind == "supervision_opinion")
        .order_by(GeneratedDocument.id.desc()).limit(1)
    ).first()
    if opinion is None:
        raise ValidationFailed("须先制发劳动法律监督意见书，单位逾期不答复或拒不整改的，才能制发建议书")
    letter = dict(opinion.snapshot.get("letter") or {})
    issued_raw = (opinion.snapshot.get("document") or {}).get("generated_on")
    issued = dt.date.fromisoformat(issued_raw) if issued_raw else china_date(opinion.created_at)
    days = int(letter.get("reply_days") or 15)
    earliest = add_working_days(b.calendar, issued, days).due
    if b.today <= earliest:
        raise ValidationFailed(
            f"意见书的答复期限（自用人单位收到之日起{days}个工作日）尚未届满，最早于{date_cn(earliest)}届满，"
            "届满后单位仍未答复或者拒不整改的，才能制发建议书")
    ctx = base_context(b, "劳动法律监督建议书")
    region = ctx["org"]["region"]
    ctx["letter"] = {
        "authority": str(b.params.get("authority") or f"{region}人力资源和社会保障局"),
        "addressee": letter.get("addressee", ""),
        "opinion_number": opinion.number,
        "opinion_date_cn": date_cn(issued),
        "reply_days": days,
        "facts": str(b.params.get("facts") or letter.get("facts", "")),
        "legal_basis": str(b.params.get("legal_basis") or letter.get("legal_basis", "")),
        "response_history": require_param(b, "response_history", "用人单位答复及整改情况"),
    }
    return ctx
