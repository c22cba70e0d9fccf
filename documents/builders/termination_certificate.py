"""终止调解书: mediation accepted and ended without an agreement; the right to arbitrate."""

from __future__ import annotations

from typing import Any

from documents.builders.common import BuildInput, base_context
from mediation.domain.errors import ValidationFailed
from workflows.guards import RejectionReason, TerminationReason

#: Reasons a termination certificate (终止调解书) states: mediation was accepted and then ended without an
#: agreement. Withdrawn, not accepted and non-performed cases get no certificate.
TERMINATION_REASONS = frozenset(r.value for r in TerminationReason)


def build_termination(b: BuildInput) -> dict[str, Any]:
    case = b.case
    terminated = case.status in ("terminated", "lapsed") or (
        case.status in ("referred", "closed") and (case.end_reason or "") in TERMINATION_REASONS)
    if not terminated:
        if case.status == "withdrawn" or case.end_reason == "withdrawn":
            raise ValidationFailed("申请人已撤回调解申请，不制作终止调解书（撤回情况记录在案即可）")
        if case.status == "not_accepted" or (case.end_reason or "") in {r.value for r in RejectionReason}:
            raise ValidationFailed("案件未受理，应当制作不予受理通知书，不能制作终止调解书")
        if case.end_reason == "non_performance":
            raise ValidationFailed("案件已达成协议（未履行），不能制作终止调解书")
        raise ValidationFailed("案件未终止调解，不能制作终止调解书")
    ctx = base_context(b, "终止调解书")
    if not case.end_reason:  # lapsed, the termination not yet recorded
        ctx["case"]["end_reason_label"] = TerminationReason.LAPSED.label
    return ctx
