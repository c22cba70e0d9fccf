"""The marshmallow building blocks of every input schema: strict schemas (unknown fields are an error), database
keys, enumerations with their Chinese labels, domain checks as validators, and JSON for the event log.

They sit here, below the case services, because the workflow's own event payloads (:mod:`workflows.events`) are
built from them; intake (:mod:`mediation.cases.inputs`), the risk inputs and the API reuse them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate

from mediation.domain.errors import ValidationFailed
from mediation.domain.identity import validate_phone
from mediation.domain.money import exact_fen

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


#: The Labour Dispute Mediation and Arbitration Law (LDMAL) entered into force on 2008-05-01: no date of a case
#: handled under it is earlier. No date is later than 2099 (a typo, and beyond any working-day calendar).
EARLIEST_CASE_DATE = dt.date(2008, 5, 1)
LATEST_DATE = dt.date(2099, 12, 31)
#: People's dates (birth, hiring) and the dates of queries and reports.
EARLIEST_DATE = dt.date(1900, 1, 1)


class DateBetween(validate.Validator):
    """``earliest <= value <= latest`` for dates and (timezone-aware) datetimes, with a Chinese message. (Not
    ``validate.Range``: a date range would leak into the OpenAPI document as vendor extensions.)"""

    def __init__(self, earliest: dt.date, latest: dt.date, error: str) -> None:
        self.earliest, self.latest, self.error = earliest, latest, error

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            lo = dt.datetime.combine(self.earliest, dt.time(), dt.UTC)
            hi = dt.datetime.combine(self.latest, dt.time.max, dt.UTC)
            ok = (lo <= value <= hi) if value.tzinfo is not None else (lo.replace(tzinfo=None) <= value <= hi.replace(
                tzinfo=None))
        else:
            ok = self.earliest <= value <= self.latest
        if not ok:
            raise ValidationError(self.error)
        return value


_CASE_DATE = DateBetween(EARLIEST_CASE_DATE, LATEST_DATE,
                         "日期不能早于2008年5月1日（《劳动争议调解仲裁法》施行之日），也不能晚于2099年")
_PLAIN_DATE = DateBetween(EARLIEST_DATE, LATEST_DATE, "日期应在1900年至2099年之间")


def case_date(**kw: Any) -> fields.Date:
    """A date in a case (arose, reported, received, accepted, signed, due, performed…): 2008-05-01 to 2099."""
    return fields.Date(validate=_CASE_DATE, **kw)


def case_datetime(**kw: Any) -> fields.AwareDateTime:
    """A moment in a case (a session, an observation), naive values taken as UTC; 2008-05-01 to 2099."""
    return fields.AwareDateTime(default_timezone=dt.UTC, validate=_CASE_DATE, **kw)


def plain_date(**kw: Any) -> fields.Date:
    """A person's date (birth, hiring) or a query's: 1900 to 2099."""
    return fields.Date(validate=_PLAIN_DATE, **kw)


class Money(fields.Decimal):
    """An amount of money in yuan: at most two decimals (``0.001`` is refused, never rounded to ``0.00``),
    finite, at most 1000亿; loaded as a Decimal with two places."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "fen": "金额最多保留两位小数（精确到分）", "too_large": "金额不能超过1000亿元"}

    def _validated(self, value: Any) -> Any:
        num = super()._validated(value)
        if num is None:
            return num
        try:
            return exact_fen(num)
        except ValueError as exc:
            raise self.make_error("too_large" if "1000亿" in str(exc) else "fen") from exc


def money_field(**kw: Any) -> Money:
    """An amount of money (see :class:`Money`); ``validate`` may add a range."""
    kw.setdefault("validate", validate.Range(min=0, max=100_000_000_000))
    return Money(**kw)


def phone_field(**kw: Any) -> fields.String:
    """An optional mainland phone number (mobile or landline), checked by the domain rule."""
    return fields.String(load_default=None, allow_none=True, validate=domain_check(validate_phone), **kw)


INPUT_INVALID = "提交的内容有误，请按提示修改"


def load_input(schema: Schema, data: Mapping[str, Any] | None, message: str = INPUT_INVALID) -> dict[str, Any]:
    """The input through its schema; what is wrong, field by field, becomes the domain's
    :class:`ValidationFailed` (a 422 problem naming each field) with ``message`` as its summary. A body that is
    not an object (a list, a number) is refused the same way, never a 500."""
    if data is not None and not isinstance(data, Mapping):
        raise ValidationFailed("请求内容应为 JSON 对象（键值对）", errors={"_schema": ["请求内容应为 JSON 对象"]})
    try:
        loaded: dict[str, Any] = schema.load(dict(data or {}))
    except ValidationError as exc:
        raise ValidationFailed(message, errors=exc.normalized_messages()) from exc
    return loaded


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` only (not ``0``, ``"yes"``): a switch is never guessed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("请填写 true 或 false")
        return value


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
