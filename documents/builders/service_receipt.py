"""送达回证 (CPL arts. 87–90): one per served document."""

from __future__ import annotations

from typing import Any

from documents.builders.common import BuildInput, base_context
from mediation.db.models_documents import GeneratedDocument
from mediation.domain.errors import ValidationFailed

SERVICE_METHODS = ("直接送达", "留置送达", "邮寄送达", "电子送达", "委托送达")


def build_service_receipt(b: BuildInput) -> dict[str, Any]:
    if not b.subject:
        raise ValidationFailed("请选择要送达的文书", errors={"served_document_id": ["请选择要送达的文书"]})
    served = b.session.get(GeneratedDocument, int(b.subject))
    if served is None or served.case_id != b.case.id:
        raise ValidationFailed("要送达的文书不存在", errors={"served_document_id": ["文书不存在"]})
    ctx = base_context(b, "送达回证")
    method = str(b.params.get("method") or "直接送达")
    if method not in SERVICE_METHODS:
        raise ValidationFailed("送达方式无效", errors={"method": [f"可选：{'、'.join(SERVICE_METHODS)}"]})
    applicants = ctx["case"]["applicants"]
    ctx["served"] = {
        "title": served.title,
        "number": served.number,
        "recipient": str(b.params.get("recipient") or ctx["case"]["applicant_names"]),
        "address": str(b.params.get("address") or (applicants[0]["address"] if applicants else "")),
        "method": method,
        "server": str(b.params.get("server") or b.actor_name),
    }
    return ctx
