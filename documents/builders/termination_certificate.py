"""终止调解书: mediation accepted and ended without an agreement; the right to arbitrate and the limitation."""

from __future__ import annotations

from typing import Any

from documents.builders.common import BuildInput, base_context, date_cn
from mediation.domain import legal_basis as lb
from mediation.domain.errors import ValidationFailed
from workflows.deadlines import limitation_status
from workflows.guards import RejectionReason, TerminationReason

#: Reasons a termination certificate (终止调解书) states: mediation was accepted and then ended without an
#: agreement. Withdrawn, not accepted and non-performed cases get no certificate.
TERMINATION_REASONS = frozenset(r.value for r in TerminationReason)


def limitation_text(case: Any) -> str:
    """The limitation as the estimate it is: the rule applied, the day it runs from, the estimated end."""
    status = limitation_status(case)
    if status is None:
        return ""
    if status.since is None:  # LDMAL art. 27(4): no one-year period while the employment lasts
        return f"{status.note}（{lb.LIMITATION_PAY_ARREARS.full}）。"
    suspended = (f"仲裁时效自{date_cn(status.suspended_on)}起中止，中止原因消除之日起继续计算"
                 f"（{lb.LIMITATION_SUSPENDED.full}）；" if status.suspended_on else "")
    return (f"按本会记录推算，仲裁时效自{date_cn(status.since)}起重新计算（依据：{status.basis}），"
            f"一年期间约至{date_cn(status.due)}届满；{suspended}此为本会根据记录所作的估算，仅供参考，"
            "以劳动人事争议仲裁委员会认定为准，请及时申请。")


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
    ctx["limitation_text"] = limitation_text(case)
    return ctx
