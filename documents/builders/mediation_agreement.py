"""调解协议书 (LDMAL art. 14), or the negotiated settlement (和解协议, art. 4) as a variant."""

from __future__ import annotations

from typing import Any

from documents.builders.common import SETTLEMENT_LABELS, BuildInput, agreement_context, base_context
from mediation.domain.enums import AgreementKind


def build_agreement(b: BuildInput) -> dict[str, Any]:
    """A mediation agreement (LDMAL art. 14), or a negotiated settlement (和解协议, LDMAL art. 4), which is
    the parties' own contract: its own template and number sequence, no mediation recitals, no art. 14
    effect clause, no payment order (art. 16) or judicial confirmation (CPL art. 205), and on default the
    routes of art. 5."""
    ag = b.case.current_agreement
    if ag is not None and ag.kind == AgreementKind.SETTLEMENT:
        ctx = base_context(b, "和解协议书")
        ctx["doc_variant"] = "settlement"
        ctx["agreement"] = agreement_context(b, SETTLEMENT_LABELS)
        return ctx
    agreement = agreement_context(b)
    ctx = base_context(b, "劳动争议调解协议书")
    ctx["agreement"] = agreement
    return ctx
