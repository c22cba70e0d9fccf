"""劳动争议调解申请书 / 口头申请调解笔录 (LDMAL art. 12: an oral application is recorded on the spot)."""

from __future__ import annotations

from typing import Any

from documents.builders.common import BuildInput, base_context, datetime_cn, last_event


def build_application(b: BuildInput) -> dict[str, Any]:
    oral = bool(b.case.oral_application)
    ctx = base_context(b, "口头申请调解笔录" if oral else "劳动争议调解申请书")
    registered = last_event(b, "register_application", "create")
    at = registered.at if registered is not None else b.case.created_at
    ctx["recorded_at"] = datetime_cn(at)
    return ctx
