"""The marshmallow building blocks of every input schema: strict schemas (unknown fields are an error), database
keys, enumerations with their Chinese labels, domain checks as validators, and JSON for the event log.

They sit here, below the case services, because the workflow's own event payloads (:mod:`workflows.events`) are
built from them; intake (:mod:`mediation.cases.schemas`), the risk inputs and the API reuse them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from mediation.domain.identity import validate_phone

MAX_TEXT = 20_000
MAX_ID = 2**31 - 1  # database integer keys


def id_field(**kw: Any) -> fields.Integer:
    """A database key given by the client."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID, error="编号无效"), **kw)


def enum_field(enum: Any, **kw: Any) -> fields.String:
    """One of an enumeration's values (its members' ``label`` names them in Chinese)."""
    return fields.String(validate=validate.OneOf([m.value for m in enum], labels=[m.label for m in enum]), **kw)


def domain_check(check: Callable[[str], object]) -> Callable[[str | None], None]:
    """A marshmallow validator from a domain check that raises ``ValueError`` with a readable message;
    blank values are left to ``required``/``allow_none``."""

    def validator(value: str | None) -> None:
        if value:
            try:
                check(value)
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc

    return validator


def phone_field(**kw: Any) -> fields.String:
    """An optional mainland phone number (mobile or landline), checked by the domain rule."""
    return fields.String(load_default=None, allow_none=True, validate=domain_check(validate_phone), **kw)


class StrictSchema(Schema):
    """Unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = "raise"


class NoteSchema(StrictSchema):
    """What every event accepts: a reason (for the events that require one) and a note."""

    reason = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    note = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))


def to_jsonable(value: Any) -> Any:
    """Loaded payloads (dates, Decimals) to JSON for the event log."""
    if isinstance(value, Mapping):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
