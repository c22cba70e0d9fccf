"""不予受理通知书: the decision with its basis, the note, and the route to arbitration."""

from __future__ import annotations

from typing import Any

from documents.builders.common import BuildInput, base_context, last_event
from mediation.domain.errors import ValidationFailed
from workflows.guards import RejectionReason

#: The basis the non-acceptance notice cites for each reason, by the kind of organisation. The People's
#: Mediation Law binds only people's mediation committees; ELDNMP's article numbers are unconfirmed, so it is
#: cited without one; an entry of ``""`` cites nothing (no confirmed source).
ELDNMP = "《企业劳动争议协商调解规定》"
LDMAL = "《中华人民共和国劳动争议调解仲裁法》"


def _non_acceptance(code: str, peoples: bool) -> dict[str, str]:
    """One decision sentence (with its own basis) and one route sentence (or none) per reason."""
    limitation = ("你（你们）可以自知道或者应当知道你（你们）的权利被侵害之日起一年内，依法向劳动人事争议仲裁委员会"
                  f"申请仲裁（{LDMAL}第五条、第二十七条）。")
    if code == RejectionReason.OUT_OF_SCOPE:
        basis = "" if peoples else f"根据{ELDNMP}的有关规定，"
        return {
            "decision": f"经审查，你（你们）申请调解的事项不属于{LDMAL}第二条规定的劳动争议，不属于本会受理范围，"
                        f"{basis}本会决定不予受理。",
            "route": "你（你们）可以通过协商、向有关部门反映或者依法向人民法院提起诉讼等其他合法途径解决。如认为该争议"
                     "属于劳动争议的，可以依法向劳动人事争议仲裁委员会申请仲裁。",
        }
    if code == RejectionReason.RESPONDENT_REFUSES:
        basis = ("根据《中华人民共和国人民调解法》第十七条“当事人一方明确拒绝调解的，不得调解”的规定，" if peoples
                 else f"根据{ELDNMP}的有关规定，")
        return {"decision": f"经审查，对方当事人明确表示不同意调解，{basis}本会决定不予受理。", "route": limitation}
    if code == RejectionReason.ALREADY_ARBITRATED:
        # the dispute is before an arbitration committee or a court already: no route to point to
        return {"decision": "经审查，该争议已进入劳动人事争议仲裁或者诉讼程序，本会决定不予受理。", "route": ""}
    return {"decision": "经审查，该申请不符合受理条件，本会决定不予受理。", "route": limitation}


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
    ctx["rejection"] = {**_non_acceptance(b.case.end_reason or "", ctx["org"]["peoples"]),
                        "note": _sentence(note)}
    return ctx
