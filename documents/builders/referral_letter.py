"""劳动争议案件移送函: the file handed to the arbitration committee (调裁衔接)."""

from __future__ import annotations

from typing import Any

from documents.builders.common import BuildInput, arbitration_committee_name, base_context, last_event
from mediation.domain.enums import AgreementKind
from workflows.definitions import get_definition
from workflows.guards import TerminationReason


def _referred_from(b: BuildInput) -> str:
    """The state the case was referred from (the referral's reason), or the current state before referral."""
    ev = last_event(b, "refer")
    return (ev.from_state or b.case.status) if ev is not None else b.case.status


def build_referral(b: BuildInput) -> dict[str, Any]:
    """Hands the file over under 调裁衔接; arbitration still starts only on the party's own written
    application (LDMAL art. 28), within the limitation period (art. 27). The enclosures depend on why the
    case is referred."""
    ctx = base_context(b, "劳动争议案件移送函")
    ev = last_event(b, "refer")
    named = (ev.payload or {}).get("arbitration_committee") if ev is not None else None
    ctx["arbitration_committee"] = str(b.params.get("arbitration_committee") or named or arbitration_committee_name(b))
    case = b.case
    source = _referred_from(b)
    enclosures = ["调解申请书"] if case.received_on is not None else []
    if case.sessions and source != "not_accepted":
        enclosures.append("调解笔录")
    ag = case.current_agreement
    if source == "not_accepted":
        enclosures.append("不予受理通知书")
    elif source == "non_performed":
        enclosures += ["和解协议书" if ag is not None and ag.kind == AgreementKind.SETTLEMENT else "调解协议书",
                       "履行情况材料"]
    elif source == "terminated":
        enclosures.append("终止调解书")
    definition = get_definition(case.workflow_version)
    try:
        label = definition.state(source).label
    except KeyError:
        label = source
    reason = ctx["case"]["end_reason_label"]
    if source == "lapsed" and not case.end_reason:
        reason = TerminationReason.LAPSED.label
    ctx["referral"] = {
        "from_state": source,
        "outcome": f"{label}（{reason}）" if reason and reason != source else label,
        "enclosures": "、".join(enclosures),
    }
    return ctx
