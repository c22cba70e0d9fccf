"""劳动法律监督意见书 (Trade Union Law art. 23; Zhejiang 2016 model)."""

from __future__ import annotations

from typing import Any

from documents.builders.common import BuildInput, base_context, require_param
from mediation.domain.errors import ValidationFailed


def build_supervision_opinion(b: BuildInput) -> dict[str, Any]:
    """The reply period runs from the employer's receipt of the letter (Zhejiang model), which the engine
    does not know when it generates the letter: the period is printed as counted from receipt."""
    ctx = base_context(b, "劳动法律监督意见书")
    employer = ctx["case"]["employer"]
    days = int(b.params.get("reply_days") or 15)
    ctx["letter"] = {
        "addressee": str(b.params.get("addressee") or (employer["name"] if employer else "")),
        "facts": require_param(b, "facts", "发现的问题（事实）"),
        "legal_basis": require_param(b, "legal_basis", "法律依据"),
        "correction": require_param(b, "correction", "整改要求"),
        "reply_days": days,
    }
    if not ctx["letter"]["addressee"]:
        raise ValidationFailed("请填写受文单位", errors={"addressee": ["请填写受文单位"]})
    return ctx
