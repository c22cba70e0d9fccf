"""``Idempotency-Key`` for creating POSTs: the same key and body return the first result, never a duplicate."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediation.db.models_access import IdempotencyRecord
from mediation.db.uow import unit_of_work_recording
from mediation.domain.errors import DomainError


class IdempotencyMismatch(DomainError):
    code = "idempotency_key_reused"
    title = "幂等键已用于不同的请求"
    status = 422


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class IdempotencyInProgress(DomainError):
    code = "idempotency_in_progress"
    title = "相同请求正在处理中"
    status = 409


def run_once(
    session: Session,
    *,
    user_id: int,
    key: str,
    endpoint: str,
    body: Any,
    action: Callable[[], tuple[int, Mapping[str, Any]]],
) -> tuple[int, Mapping[str, Any], bool]:
    """Run ``action`` (which commits) once per (user, key); returns (status, body, replayed).

    The key is claimed first in its own committed row (status 0 = in progress; the unique constraint
    makes exactly one concurrent request the owner), then the action runs, then the result is stored.
    If the action fails the claim is released, so the client may retry with the same key.
    """
    if not key or len(key) > 128:
        raise IdempotencyMismatch("Idempotency-Key 应为1至128个字符")
    digest = request_hash(body)

    def existing() -> IdempotencyRecord | None:
        return session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
        )

    found = existing()
    if found is None:
        claim = IdempotencyRecord(user_id=user_id, key=key, endpoint=endpoint, request_hash=digest,
                                  status_code=0, response={})
        session.add(claim)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            found = existing()
    if found is not None:
        if found.request_hash != digest or found.endpoint != endpoint:
            raise IdempotencyMismatch("该 Idempotency-Key 已用于内容不同的请求，请换一个新的键")
        if found.status_code == 0:
            raise IdempotencyInProgress("相同的请求正在处理中，请稍后重试")
        return found.status_code, found.response, True
    claim_id = claim.id

    def release_claim(_exc: BaseException) -> None:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == claim_id))

    with unit_of_work_recording(session, BaseException, release_claim):
        status, response = action()
    row = session.get(IdempotencyRecord, claim_id)
    assert row is not None
    row.status_code = status
    row.response = dict(response)
    session.commit()
    return status, response, False
