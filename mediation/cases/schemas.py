"""Marshmallow schemas for every input the services take (the API reuses them).

Schemas check shapes and types; the workflow guards judge legal completeness and explain it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from mediation.domain.enums import CaseSource, ClaimType, DisputeCategory, Gender, Obligor, PartyRole
from mediation.domain.identity import validate_id_number, validate_phone
from mediation.domain.money import exact_fen

MAX_TEXT = 20_000
MAX_ID = 2**31 - 1  # database integer keys


def id_field(**kw: Any) -> fields.Integer:
    """A database key given by the client."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID, error="编号无效"), **kw)


_id = id_field


def _enum(enum: Any, **kw: Any) -> fields.String:
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


class StrictSchema(Schema):
    """Unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = "raise"


_Strict = StrictSchema


class PartySchema(_Strict):
    role = _enum(PartyRole, required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    gender = _enum(Gender, load_default=None, allow_none=True)
    birth_date = plain_date(load_default=None, allow_none=True)
    ethnicity = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=16))
    id_number = fields.String(load_default=None, allow_none=True)
    phone = phone_field()
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    job_title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    hired_on = plain_date(load_default=None, allow_none=True)
    uscc = fields.String(load_default=None, allow_none=True)
    legal_representative = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    #: For agents: index (in the submitted list) of the party they act for.
    represents_index = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=500))
    agent_kind = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))

    @validates("id_number")
    def _id(self, value: str | None, **_: Any) -> None:
        if value:
            try:
                validate_id_number(value)
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc

    @validates("uscc")
    def _uscc(self, value: str | None, **_: Any) -> None:
        if value:
            from mediation.domain.uscc import validate_uscc

            try:
                validate_uscc(value)
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc


class PartyAddSchema(PartySchema):
    """A party added after intake: agents and representatives name whom they act for by ``represents_id``
    (a party of the same case), not by an index into the intake list."""

    class Meta:
        exclude = ("represents_index",)

    represents_id = id_field(load_default=None, allow_none=True)


class PartyPatchSchema(PartyAddSchema):
    """A correction of a party's particulars (the role stays; remove and add to change it)."""

    class Meta:
        exclude = ("represents_index", "role")

    name = fields.String(validate=validate.Length(min=1, max=200))


class ClaimSchema(_Strict):
    claim_type = _enum(ClaimType, required=True)
    description = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    amount = money_field(load_default=None, allow_none=True)


class CaseCreateSchema(_Strict):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = _enum(DisputeCategory, required=True)
    source = _enum(CaseSource, required=True)
    organisation_id = _id(required=True)
    enterprise_id = _id(load_default=None, allow_none=True)
    lead_mediator_id = _id(load_default=None, allow_none=True)
    workers_count = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    is_collective = fields.Boolean(load_default=None, allow_none=True)
    facts = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    requests = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    dispute_arose_on = case_date(load_default=None, allow_none=True)
    reported_on = case_date(load_default=None, allow_none=True)
    received_on = case_date(load_default=None, allow_none=True)
    respondent_consents = fields.Boolean(load_default=None, allow_none=True)
    #: Where the case starts: ``reported`` (a risk signal), ``applied`` (an application) or ``negotiating``.
    initial_state = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["reported", "applied", "negotiating"])
    )
    parties = fields.List(fields.Nested(PartySchema), load_default=list, validate=validate.Length(max=500))
    claims = fields.List(fields.Nested(ClaimSchema), load_default=list, validate=validate.Length(max=100))

    @validates_schema
    def _indices(self, data: Mapping[str, Any], **_: Any) -> None:
        idx = [p.get("represents_index") for p in data.get("parties", [])]
        for i, r in enumerate(idx):
            if r is not None and (r >= len(idx) or r == i):
                raise ValidationError({"parties": {i: {"represents_index": ["被代理人序号无效"]}}})


class _Note(_Strict):
    reason = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    note = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))


class RegisterApplicationSchema(_Note):
    received_on = case_date(load_default=None, allow_none=True)
    oral = fields.Boolean(load_default=False)


class AcceptSchema(_Note):
    respondent_consents = fields.Boolean(load_default=None, allow_none=True)
    mediator_id = _id(load_default=None, allow_none=True)
    accepted_on = case_date(load_default=None, allow_none=True)


class RejectSchema(_Note):
    reason_code = fields.String(
        required=True, validate=validate.OneOf(["out_of_scope", "respondent_refuses", "already_arbitrated"])
    )


class SessionSchema(_Note):
    started_at = case_datetime(load_default=None, allow_none=True)
    ended_at = case_datetime(load_default=None, allow_none=True)
    place = fields.String(load_default="", validate=validate.Length(max=200))
    recorder = fields.String(load_default="", validate=validate.Length(max=64))
    attendees = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list)
    record = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    signed_by_all = fields.Boolean(load_default=False)

    @validates_schema
    def _order(self, data: Mapping[str, Any], **_: Any) -> None:
        if data.get("started_at") and data.get("ended_at") and data["ended_at"] < data["started_at"]:
            raise ValidationError("结束时间不能早于开始时间", "ended_at")


class ExtendSchema(_Note):
    worker_agrees = fields.Boolean(load_default=False)
    employer_agrees = fields.Boolean(load_default=False)
    days = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=365))


class ObligationSchema(_Strict):
    obligor = _enum(Obligor, load_default=Obligor.EMPLOYER.value)
    claim_type = _enum(ClaimType, load_default=ClaimType.OTHER.value)
    description = fields.String(required=True, validate=validate.Length(min=1, max=255))
    amount = money_field(required=True)
    due_on = case_date(required=True)


class AgreementSchema(_Note):
    signed_on = case_date(load_default=None, allow_none=True)
    terms = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    performance_method = fields.String(load_default="", validate=validate.Length(max=200))
    performance_place = fields.String(load_default="", validate=validate.Length(max=200))
    obligations = fields.List(fields.Nested(ObligationSchema), load_default=list, validate=validate.Length(max=120))
    signed_by_parties = fields.Boolean(load_default=False)
    signed_by_mediator = fields.Boolean(load_default=False)
    sealed = fields.Boolean(load_default=False)

    @validates_schema
    def _due(self, data: Mapping[str, Any], **_: Any) -> None:
        signed = data.get("signed_on")
        for i, ob in enumerate(data.get("obligations", [])):
            if signed and ob["due_on"] < signed:
                raise ValidationError({"obligations": {i: {"due_on": ["履行期限不能早于协议签订日期"]}}})


class TerminateSchema(_Note):
    end_reason = fields.String(load_default=None, allow_none=True)


class PerformanceSchema(_Note):
    obligation_id = _id(load_default=None, allow_none=True)
    performed_on = case_date(load_default=None, allow_none=True)
    #: More than zero. The service checks what needs the case and the configured today: at most the
    #: instalment's outstanding balance, dated between the agreement's signing and today.
    amount = money_field(load_default=None, allow_none=True,
                         validate=validate.Range(min=0, min_inclusive=False, max=100_000_000_000,
                                                 error="履行金额应大于0且不超过1000亿元"))
    proof = fields.String(load_default="", validate=validate.Length(max=255))


class ReviewSchema(_Note):
    review_kind = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["arbitration_review", "judicial_confirmation"])
    )
    requested_on = case_date(load_default=None, allow_none=True)


class ReferSchema(_Note):
    arbitration_committee = fields.String(load_default="", validate=validate.Length(max=200))


EVENT_SCHEMAS: Mapping[str, type[Schema]] = {
    "register_application": RegisterApplicationSchema,
    "accept": AcceptSchema,
    "reject": RejectSchema,
    "record_session": SessionSchema,
    "extend": ExtendSchema,
    "sign_agreement": AgreementSchema,
    "settle": AgreementSchema,
    "terminate": TerminateSchema,
    "record_performance": PerformanceSchema,
    "record_late_performance": PerformanceSchema,
    "request_review": ReviewSchema,
    "refer": ReferSchema,
}


def event_schema(event: str) -> Schema:
    """The payload schema of ``event``: one instance per known event (a schema is built once, not per
    request); any other name shares the note schema, so a client's event names never grow the cache."""
    schema = _SCHEMA_CACHE.get(event)
    if schema is None:
        if event not in EVENT_SCHEMAS:
            return _NOTE_SCHEMA
        schema = _SCHEMA_CACHE[event] = EVENT_SCHEMAS[event]()
    return schema


_SCHEMA_CACHE: dict[str, Schema] = {}
_NOTE_SCHEMA = _Note()


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
