"""仲裁审查 / 司法确认申请书: the parties' joint application after a mediation agreement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from documents.builders.common import BuildInput, agreement_context, arbitration_committee_name, base_context
from mediation.db.models_documents import GeneratedDocument
from mediation.domain import legal_basis as lb
from mediation.domain.enums import AgreementKind, Obligor
from mediation.domain.errors import ValidationFailed


def _agreement_document(b: BuildInput) -> GeneratedDocument | None:
    return b.session.scalars(
        select(GeneratedDocument)
        .where(GeneratedDocument.case_id == b.case.id, GeneratedDocument.kind == "mediation_agreement")
        .order_by(GeneratedDocument.id.desc()).limit(1)
    ).first()


def build_review_application(b: BuildInput) -> dict[str, Any]:
    """The parties' joint application (both are applicants) for arbitration review (办案规则 art. 74, within
    15 days) or judicial confirmation (CPL art. 205, within 30 days). The committee prepares it for them: no
    letterhead, its number printed only as the committee's filing reference. Only for a mediation agreement:
    a negotiated settlement was not reached before a mediation organisation."""
    ag = b.case.current_agreement
    if ag is not None and ag.kind == AgreementKind.SETTLEMENT:
        raise ValidationFailed(
            "和解协议是当事人自行协商达成的，不是经调解组织调解达成的调解协议，不能申请仲裁审查或者司法确认"
            f"（{lb.ARBITRATION_REVIEW.full}、{lb.JUDICIAL_CONFIRMATION.full}）",
            errors={"review_kind": ["和解协议不能申请仲裁审查或者司法确认"]})
    agreement = agreement_context(b, {Obligor.EMPLOYER.value: "用人单位", Obligor.WORKER.value: "劳动者"})
    kind = str(b.params.get("review_kind") or agreement["review_kind"] or "judicial_confirmation")
    if kind not in ("arbitration_review", "judicial_confirmation"):
        raise ValidationFailed("审查类型无效", errors={"review_kind": ["请选择仲裁审查或司法确认"]})
    title = "仲裁审查申请书" if kind == "arbitration_review" else "司法确认申请书"
    ctx = base_context(b, title)
    ctx["agreement"] = agreement
    doc = _agreement_document(b)
    ctx["agreement_number"] = doc.number if doc is not None else ""
    ctx["review_kind"] = kind
    given = str(b.params.get("addressee") or "").strip()
    if kind == "arbitration_review":
        ctx["addressee"] = given or arbitration_committee_name(b)
        ctx["addressee_note"] = "" if given else "（请核实有管辖权的劳动人事争议仲裁委员会）"
    else:
        # CPL art. 205: the basic court where a party is domiciled, the subject matter is or the organisation
        # sits; the engine does not know which one the parties choose: left for them to fill in
        ctx["addressee"] = given
        ctx["addressee_note"] = "" if given else "（请核实有管辖权的基层人民法院）"
    return ctx
