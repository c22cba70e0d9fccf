"""Dates in an event's payload must be in the order the law's steps happen, and not in the future.

Checked after the payload's shape (the schema) and before anything is written, against the case and the
configured "today" (which the schema cannot know). A date the client leaves out is checked as the value
the service will use (e.g. an agreement signed "today" when ``signed_on`` is not sent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from mediation.db.models import Case
from mediation.domain.clock import china_date
from mediation.domain.errors import ValidationFailed


def _d(value: dt.date) -> str:
    return value.isoformat()


def check_event_dates(case: Case, event: str, data: Mapping[str, Any], today: dt.date) -> None:
    """Raise :class:`ValidationFailed` (422, field errors in Chinese) when the payload's dates are out of order."""
    errors: dict[str, Any] = {}
    if event == "register_application" and data.get("received_on") is not None:
        received = data["received_on"]
        if received > today:
            errors["received_on"] = ["收到申请日期不能晚于今天"]
        elif case.dispute_arose_on is not None and received < case.dispute_arose_on:
            errors["received_on"] = [f"收到申请日期不能早于争议发生日期{_d(case.dispute_arose_on)}"]
    elif event == "accept":
        accepted = data.get("accepted_on") or today
        if accepted > today:
            errors["accepted_on"] = ["受理日期不能晚于今天"]
        elif case.received_on is not None and accepted < case.received_on:
            errors["accepted_on"] = [f"受理日期不能早于收到申请日期{_d(case.received_on)}"]
    elif event in ("sign_agreement", "settle"):
        signed = data.get("signed_on") or today
        floor, floor_label = ((case.accepted_on, "受理日期") if case.accepted_on is not None
                              else (case.received_on, "收到申请日期"))
        if signed > today:
            errors["signed_on"] = ["协议签订日期不能晚于今天"]
        elif floor is not None and signed < floor:
            errors["signed_on"] = [f"协议签订日期不能早于{floor_label}{_d(floor)}"]
        late = {i: {"due_on": [f"履行期限不能早于协议签订日期{_d(signed)}"]}
                for i, ob in enumerate(data.get("obligations") or []) if ob.get("due_on") and ob["due_on"] < signed}
        if late:
            errors["obligations"] = late
    elif event == "record_session" and data.get("started_at") is not None:
        # the same day is fine (a record typed up just before the meeting ends, or across time zones)
        if china_date(data["started_at"]) > today:
            errors["started_at"] = ["调解会议开始时间不能晚于今天（请在会议举行后记录）"]
    if errors:
        raise ValidationFailed("日期有误：" + _first(errors), errors=errors)


def _first(errors: Mapping[str, Any]) -> str:
    value: Any = next(iter(errors.values()))
    while isinstance(value, Mapping):
        value = next(iter(value.values()))
    return str(value[0])


def check_intake_dates(data: Mapping[str, Any], today: dt.date) -> dict[str, list[str]]:
    """Field errors for the dates of a new case (not in the future; received on or after the dispute arose)."""
    errors = {f: ["日期不能晚于今天"] for f in ("dispute_arose_on", "reported_on", "received_on")
              if data.get(f) and data[f] > today}
    arose, received = data.get("dispute_arose_on"), data.get("received_on")
    if arose and received and "received_on" not in errors and received < arose:
        errors["received_on"] = [f"收到申请日期不能早于争议发生日期{_d(arose)}"]
    return errors
