"""The dates of a new case must be in the order the law's steps happen, and not in the future.

Checked after the intake's shape (the schema) and before anything is written, against the configured "today"
(which the schema cannot know). The dates of an event's payload are its spec's date rules
(:mod:`workflows.events`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def _d(value: dt.date) -> str:
    return value.isoformat()


def check_intake_dates(data: Mapping[str, Any], today: dt.date) -> dict[str, list[str]]:
    """Field errors for the dates of a new case (not in the future; received on or after the dispute arose)."""
    errors = {f: ["日期不能晚于今天"] for f in ("dispute_arose_on", "reported_on", "received_on", "employment_ended_on")
              if data.get(f) and data[f] > today}
    arose, received = data.get("dispute_arose_on"), data.get("received_on")
    if arose and received and "received_on" not in errors and received < arose:
        errors["received_on"] = [f"收到申请日期不能早于争议发生日期{_d(arose)}"]
    return errors
