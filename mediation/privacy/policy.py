"""Retention policies (rows of ``retention_policies``), legal holds per case, and the privacy audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Case
from mediation.db.models_privacy import LegalHold, PrivacyAudit, RetentionPolicy
from mediation.domain.errors import DuplicateError, NotFound, ValidationFailed

#: The columns of a party the ``parties`` policy may anonymise, with what replaces them (``None`` = emptied).
ANONYMISABLE: Mapping[str, Any] = {
    "name": "（已匿名）", "id_number": None, "phone": None, "address": None, "birth_date": None,
    "legal_representative": None, "ethnicity": None, "job_title": None, "hired_on": None,
}
SUBJECTS = ("parties", "documents")
ACTIONS = ("anonymise", "keep")


#: The policies migration 0012 installs (kept there as its own copy): used to put them back where they are missing.
DEFAULT_POLICIES: tuple[dict[str, Any], ...] = (
    {"subject": "parties", "action": "anonymise", "years_after_archive": 10,
     "fields": ["name", "id_number", "phone", "address", "birth_date", "legal_representative"],
     "note": "结案归档满10年后，匿名化当事人（自然人）的姓名、身份证号码、电话、住址、出生日期"
             "及用人单位法定代表人姓名；案件、请求与统计数据保留。"},
    {"subject": "documents", "action": "keep", "years_after_archive": 30, "fields": [],
     "note": "文书按档案管理规定保存（30年），不自动删除；每次下载均记入个人信息访问记录。"},
)


def ensure_default_policies(session: Session) -> list[str]:
    """Insert the default policy of every subject that has none; the subjects inserted."""
    added = []
    for d in DEFAULT_POLICIES:
        if policy_for(session, d["subject"]) is None:
            session.add(RetentionPolicy(active=True, **d))
            added.append(d["subject"])
    if added:
        session.commit()
    return added


def audit(session: Session, action: str, actor: str, *, case_id: int | None = None, subject_hash: str | None = None,
          **details: Any) -> PrivacyAudit:
    row = PrivacyAudit(action=action, actor=actor[:64], case_id=case_id, subject_hash=subject_hash,
                       details=details)
    session.add(row)
    return row


def policies(session: Session) -> list[RetentionPolicy]:
    return list(session.scalars(select(RetentionPolicy).order_by(RetentionPolicy.subject)).all())


def policy_for(session: Session, subject: str) -> RetentionPolicy | None:
    return session.scalar(select(RetentionPolicy).where(RetentionPolicy.subject == subject))


def set_policy(session: Session, *, subject: str, actor: str, years: int | None = None,
               fields: list[str] | None = None, active: bool | None = None, note: str | None = None
               ) -> RetentionPolicy:
    """Change a policy (or create the subject's first one); audited with the old and new values."""
    if subject not in SUBJECTS:
        raise ValidationFailed(f"未知的保存对象：{subject}", errors={"subject": [f"应为{'、'.join(SUBJECTS)}之一"]})
    if years is not None and not 1 <= years <= 100:
        raise ValidationFailed("保存年限应为1至100年", errors={"years": ["保存年限应为1至100年"]})
    if fields is not None:
        bad = [f for f in fields if f not in ANONYMISABLE]
        if bad:
            raise ValidationFailed(f"不能匿名化的字段：{'、'.join(bad)}",
                                   errors={"fields": [f"可选：{'、'.join(ANONYMISABLE)}"]})
    row = policy_for(session, subject)
    before = _policy_dict(row) if row is not None else None
    if row is None:
        row = RetentionPolicy(subject=subject, action="anonymise" if subject == "parties" else "keep",
                              years_after_archive=years or 10, fields=list(fields or []), active=True, note="")
        session.add(row)
    if years is not None:
        row.years_after_archive = years
    if fields is not None:
        row.fields = list(fields)
    if active is not None:
        row.active = active
    if note is not None:
        row.note = note
    row.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit(session, "policy_changed", actor, subject=subject, before=before, after=_policy_dict(row))
    session.commit()
    return row


def _policy_dict(p: RetentionPolicy) -> dict[str, Any]:
    return {"subject": p.subject, "action": p.action, "years_after_archive": p.years_after_archive,
            "fields": list(p.fields), "active": p.active}


def find_case(session: Session, ref: str) -> Case:
    """A case by its id or its number."""
    ref = ref.strip()
    case = session.get(Case, int(ref)) if ref.isascii() and ref.isdigit() and len(ref) <= 10 else None
    if case is None:
        case = session.scalar(select(Case).where(Case.number == ref))
    if case is None:
        raise NotFound(f"案件{ref}不存在")
    return case


def active_hold(session: Session, case_id: int) -> LegalHold | None:
    return session.scalar(select(LegalHold).where(LegalHold.case_id == case_id, LegalHold.released_at.is_(None))
                          .order_by(LegalHold.id.desc()).limit(1))


def place_hold(session: Session, *, case_ref: str, reason: str, actor: str) -> LegalHold:
    """Put a case under legal hold: the purge leaves it alone until the hold is released."""
    if not reason.strip():
        raise ValidationFailed("请说明保全原因", errors={"reason": ["不能为空"]})
    case = find_case(session, case_ref)
    if active_hold(session, case.id) is not None:
        raise DuplicateError(f"案件{case.number}已处于保全状态")
    hold = LegalHold(case_id=case.id, reason=reason.strip(), placed_by=actor[:64])
    session.add(hold)
    audit(session, "hold_placed", actor, case_id=case.id, number=case.number, reason=reason.strip())
    session.commit()
    return hold


def release_hold(session: Session, *, case_ref: str, actor: str, reason: str = "") -> LegalHold:
    case = find_case(session, case_ref)
    hold = active_hold(session, case.id)
    if hold is None:
        raise NotFound(f"案件{case.number}没有生效的保全")
    hold.released_at = dt.datetime.now(dt.UTC)
    hold.released_by = actor[:64]
    audit(session, "hold_released", actor, case_id=case.id, number=case.number, reason=reason.strip())
    session.commit()
    return hold


def holds(session: Session, *, include_released: bool = False) -> list[tuple[LegalHold, str]]:
    stmt = select(LegalHold, Case.number).join(Case, Case.id == LegalHold.case_id).order_by(LegalHold.id)
    if not include_released:
        stmt = stmt.where(LegalHold.released_at.is_(None))
    return [(h, n) for h, n in session.execute(stmt).all()]
