"""The outcomes of a joint request for arbitration review or judicial confirmation (workflow v3): what the
arbitration commission or the court sends back, with its number and date.

- ``review_granted``: the commission issued its 调解书 after review (《劳动人事争议仲裁办案规则》 art. 74), or the
  court ruled the agreement valid (CPL art. 205; PML art. 33 for people's mediation committees). The committee's
  part ends there — a party enforces the 调解书 or the ruling through the court — so the case is archived;
- ``review_refused``: the commission did not review it (e.g. a late request, art. 75(3)) or the court dismissed
  the application. The agreement stays as it was: performance goes on, a default opens the usual routes.

See ``docs/domain.md#hand-off-packages``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import fields, validate

from mediation.domain.deadline_rules import DeadlineKind as K
from workflows.events.spec import EventSpec
from workflows.operation import Operation
from workflows.schema import NoteSchema, case_date

REVIEW_LABELS = {"arbitration_review": "仲裁审查", "judicial_confirmation": "司法确认"}


class ReviewOutcomeSchema(NoteSchema):
    #: The arbitration commission's 调解书 number, or the court's ruling (裁定书) number.
    decision_number = fields.String(required=True, validate=validate.Length(min=1, max=64,
                                                                             error="文号应为1至64个字符"))
    decided_on = case_date(load_default=None, allow_none=True)
    #: Who decided (the commission or the court), as written on the decision.
    decided_by = fields.String(load_default="", validate=validate.Length(max=200))


def decided_after_request(case: Any, data: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The decision is dated after the request (and the agreement) and not after today."""
    value = data.get("decided_on") or today
    if value > today:
        return {"decided_on": ["决定日期不能晚于今天"]}
    agreement = case.current_agreement
    floor = agreement.review_requested_on if agreement is not None else None
    if floor is not None and value < floor:
        return {"decided_on": [f"决定日期不能早于申请日期{floor.isoformat()}"]}
    return {}


def _outcome(op: Operation, granted: bool) -> dict[str, Any]:
    agreement = op.case.current_agreement
    assert agreement is not None and agreement.review_kind
    d = op.data
    facts = {"review_kind": agreement.review_kind, "review_label": REVIEW_LABELS.get(agreement.review_kind, ""),
             "granted": granted, "decision_number": d["decision_number"].strip(),
             "decided_on": (d.get("decided_on") or op.today).isoformat(), "decided_by": d.get("decided_by", "")}
    if granted:
        op.case.closed_on = op.today
        if op.case.ended_on is None:
            op.case.ended_on = op.today
    return facts


def review_granted(op: Operation) -> dict[str, Any]:
    return _outcome(op, True)


def review_refused(op: Operation) -> dict[str, Any]:
    return _outcome(op, False)


SPECS = (
    EventSpec("review_granted", schema=ReviewOutcomeSchema, dates=(decided_after_request,), effect=review_granted,
              cancels=(K.PERFORMANCE, K.ARBITRATION_REVIEW, K.JUDICIAL_CONFIRMATION, K.COLLECTIVE_REPORT)),
    EventSpec("review_refused", schema=ReviewOutcomeSchema, dates=(decided_after_request,), effect=review_refused),
)
