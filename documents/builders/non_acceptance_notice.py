"""不予受理通知书: the decision with its basis, the note, the route to arbitration and the limitation."""

from __future__ import annotations

from typing import Any

from documents.builders.common import BuildInput, base_context, date_cn, last_event
from mediation.domain import legal_basis as lb
from mediation.domain.errors import ValidationFailed
from workflows.deadlines import limitation_status
from workflows.guards import RejectionReason

LDMAL = lb.LDMAL


def _basis_clause(org: Any) -> str:
    """``根据《企业劳动争议协商调解规定》第二十二条的规定，`` — the provision of the organisation's own regime
    (docs/domain.md#acceptance); nothing when a township body has recorded none (never "有关规定")."""
    basis = lb.refusal_basis(org.kind, org.own_rules_basis)
    return f"根据{basis.full}的规定，" if basis is not None else ""


def _non_acceptance(code: str, org: Any) -> dict[str, str]:
    """One decision sentence (with its own basis) and one route sentence (or none) per reason."""
    route = ("你（你们）可以依法向劳动人事争议仲裁委员会申请仲裁（"
             f"{LDMAL}第五条、第二十七条）。")
    basis = _basis_clause(org)
    if code == RejectionReason.OUT_OF_SCOPE:
        return {
            "decision": f"经审查，你（你们）申请调解的事项不属于{LDMAL}第二条规定的劳动争议，不属于本会受理范围，"
                        f"{basis}本会决定不予受理。",
            "route": "你（你们）可以通过协商、向有关部门反映或者依法向人民法院提起诉讼等其他合法途径解决。如认为该争议"
                     "属于劳动争议的，可以依法向劳动人事争议仲裁委员会申请仲裁。",
        }
    if code == RejectionReason.RESPONDENT_REFUSES:
        if org.kind == "peoples_mediation":
            basis = f"根据{lb.REFUSAL_PEOPLES.full}“当事人一方明确拒绝调解的，不得调解”的规定，"
        return {"decision": f"经审查，对方当事人明确表示不同意调解，{basis}本会决定不予受理。", "route": route}
    if code == RejectionReason.ALREADY_ARBITRATED:
        # the dispute is before an arbitration committee or a court already: no route to point to
        return {"decision": "经审查，该争议已进入劳动人事争议仲裁或者诉讼程序，本会决定不予受理。", "route": ""}
    return {"decision": "经审查，该申请不符合受理条件，本会决定不予受理。", "route": route}


def limitation_sentence(case: Any) -> str:
    """The application interrupted the limitation (办案规则 art. 27(1)); from when it runs again, by the rule the
    committee's records show (ELDNMP art. 31 when an enterprise committee's respondent refused)."""
    status = limitation_status(case)
    if status is None:
        return ""
    if status.since is None:  # LDMAL art. 27(4)
        return f"{status.note}（{lb.LIMITATION_PAY_ARREARS.full}）。"
    text = (f"你（你们）于{date_cn(case.received_on)}申请调解，仲裁时效因此中断（{lb.LIMITATION_APPLICATION.full}）。"
            if case.received_on else "")
    text += (f"按本会记录推算，仲裁时效自{date_cn(status.since)}起重新计算（依据：{status.basis}），"
             f"一年期间约至{date_cn(status.due)}届满；此为估算，以劳动人事争议仲裁委员会认定为准，请及时申请。")
    return text


def _sentence(text_: str) -> str:
    """A free-text note as a sentence of its own (ends with a full stop)."""
    text_ = text_.strip()
    return text_ if not text_ or text_[-1] in "。！？；.!?" else text_ + "。"


def build_non_acceptance(b: BuildInput) -> dict[str, Any]:
    if b.case.status != "not_accepted" and b.case.end_reason not in {r.value for r in RejectionReason}:
        raise ValidationFailed("案件未作出不予受理决定，不能制作不予受理通知书")
    ctx = base_context(b, "不予受理通知书")
    ev = last_event(b, "reject")
    note = ev.reason if ev is not None and ev.reason else ""
    ctx["case"]["end_note"] = note
    code = b.case.end_reason or ""
    ctx["rejection"] = {**_non_acceptance(code, b.case.organisation), "note": _sentence(note),
                        "limitation": limitation_sentence(b.case) if code != RejectionReason.ALREADY_ARBITRATED
                        else ""}
    return ctx
