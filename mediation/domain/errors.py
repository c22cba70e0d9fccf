"""Typed domain errors. Each carries a stable machine-readable ``code`` and Chinese wording.

The API maps them to ``application/problem+json``; services raise them; nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class DomainError(Exception):
    code: str = "domain_error"
    title: str = "操作未能完成"
    status: int = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra: dict[str, Any] = extra

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "detail": self.detail, **self.extra}


class NotFound(DomainError):
    code = "not_found"
    title = "未找到"
    status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    title = "无权操作"
    status = 403


class ValidationFailed(DomainError):
    code = "validation_failed"
    title = "输入有误"
    status = 422

    def __init__(self, detail: str, errors: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail, errors=dict(errors or {}))
        self.errors = dict(errors or {})


class ConflictError(DomainError):
    """Someone else changed the case first (optimistic lock / row lock)."""

    code = "conflict"
    title = "案件已有更新"
    status = 409


class DuplicateError(DomainError):
    code = "duplicate"
    title = "重复提交"
    status = 409


@dataclass(frozen=True)
class Blocker:
    """Why an event cannot happen now: a guard's name and its reason in Chinese."""

    guard: str
    reason: str
    missing: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"guard": self.guard, "reason": self.reason, "missing": list(self.missing)}


class WorkflowError(DomainError):
    code = "workflow_error"
    title = "当前状态下不能执行该操作"
    status = 409

    def __init__(
        self,
        detail: str,
        *,
        state: str,
        event: str,
        allowed: Sequence[str],
        blockers: Sequence[Blocker] = (),
    ) -> None:
        super().__init__(
            detail,
            state=state,
            event=event,
            allowed_events=list(allowed),
            blockers=[b.to_dict() for b in blockers],
        )
        self.state = state
        self.event = event
        self.allowed = list(allowed)
        self.blockers = list(blockers)


class UnknownEvent(WorkflowError):
    code = "unknown_event"
    title = "未知操作"
    status = 422


class EventNotAllowed(WorkflowError):
    code = "event_not_allowed"
    title = "当前状态下不允许该操作"
    status = 409


class RoleNotAllowed(EventNotAllowed):
    """The event exists and may leave the current state, but not by the caller's role: forbidden (403), not a
    conflict with the case's state (409). A subclass of :class:`EventNotAllowed`, so callers that catch that
    still catch this."""

    code = "role_not_allowed"
    title = "您的角色无权执行该操作"
    status = 403


class GuardFailed(WorkflowError):
    code = "guard_failed"
    title = "条件不满足"
    status = 422


class DocumentNotReady(DomainError):
    """A document still being rendered (or whose render failed) asked for its PDF, or rendered again while it is
    not failed."""

    code = "document_not_ready"
    title = "文书尚未就绪"
    status = 409
