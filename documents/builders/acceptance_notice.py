"""受理通知书: number, parties, matters, acceptance date, mediator, rights and duties, time limits."""

from __future__ import annotations

from typing import Any

from documents.builders.common import BuildInput, base_context
from mediation.domain.errors import ValidationFailed


def build_acceptance(b: BuildInput) -> dict[str, Any]:
    if b.case.accepted_on is None:
        raise ValidationFailed("案件尚未受理，不能制作受理通知书")
    return base_context(b, "劳动争议调解受理通知书")
