"""Marshmallow schemas of intake: a new case, its parties and claims, and parties added or corrected later (the
API reuses them). The events' payload schemas are part of each event's spec (:mod:`workflows.events`); the
building blocks are shared (:mod:`workflows.schema`).

Schemas check shapes and types; the workflow guards judge legal completeness and explain it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from mediation.domain.enums import CaseSource, ClaimType, DisputeCategory, Gender, PartyRole
from mediation.domain.identity import validate_id_number
from workflows.schema import (
    MAX_TEXT,
    StrictSchema,
    case_date,
    enum_field,
    id_field,
    money_field,
    phone_field,
    plain_date,
)


class PartySchema(StrictSchema):
    role = enum_field(PartyRole, required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    gender = enum_field(Gender, load_default=None, allow_none=True)
    birth_date = plain_date(load_default=None, allow_none=True)
    ethnicity = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=16))
    id_number = fields.String(load_default=None, allow_none=True)
    phone = phone_field()
    #: Optional: notices go there too (mediation.notify).
    email = fields.Email(load_default=None, allow_none=True,
                         validate=validate.Length(max=254, error="电子邮件地址过长"),
                         error_messages={"invalid": "电子邮件地址格式不正确"})
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    job_title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    hired_on = plain_date(load_default=None, allow_none=True)
    uscc = fields.String(load_default=None, allow_none=True)
    legal_representative = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    #: For agents: index (in the submitted list) of the party they act for.
    represents_index = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=500))
    agent_kind = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    #: Representatives (collective disputes): the workers' special authorisation to agree and sign for them, and
    #: what it covers (e.g. 代为承认、放弃、变更调解请求，代为达成、签署调解协议).
    authorised_to_sign = fields.Boolean(load_default=False)
    authorisation_scope = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _authorisation(self, data: Mapping[str, Any], **_: Any) -> None:
        if data.get("authorised_to_sign") and data.get("role") not in (None, PartyRole.REPRESENTATIVE.value):
            raise ValidationError("特别授权仅适用于劳动者推举的代表", "authorised_to_sign")
        if data.get("authorised_to_sign") and not (data.get("authorisation_scope") or "").strip() \
                and "authorisation_scope" in data and data.get("role") is not None:
            raise ValidationError("请写明特别授权的范围（如：代为达成、签署调解协议）", "authorisation_scope")

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


class ClaimSchema(StrictSchema):
    claim_type = enum_field(ClaimType, required=True)
    description = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    amount = money_field(load_default=None, allow_none=True)


class CaseCreateSchema(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = enum_field(DisputeCategory, required=True)
    source = enum_field(CaseSource, required=True)
    organisation_id = id_field(required=True)
    enterprise_id = id_field(load_default=None, allow_none=True)
    lead_mediator_id = id_field(load_default=None, allow_none=True)
    workers_count = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    is_collective = fields.Boolean(load_default=None, allow_none=True)
    facts = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    requests = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    #: LDMAL art. 7: the workers' common claim (required for a collective dispute).
    common_claim = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    #: LDMAL art. 27(4): the worker is still employed / the day the employment ended.
    employment_ongoing = fields.Boolean(load_default=None, allow_none=True)
    employment_ended_on = case_date(load_default=None, allow_none=True)
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
    def _collective(self, data: Mapping[str, Any], **_: Any) -> None:
        if data.get("is_collective") and not (data.get("common_claim") or "").strip():
            raise ValidationError("集体争议须填写劳动者的共同请求（调解仲裁法第七条：十人以上并有共同请求）",
                                  "common_claim")
        if data.get("employment_ongoing") and data.get("employment_ended_on") is not None:
            raise ValidationError("劳动关系仍存续的，不填写劳动关系终止日期", "employment_ended_on")

    @validates_schema
    def _indices(self, data: Mapping[str, Any], **_: Any) -> None:
        idx = [p.get("represents_index") for p in data.get("parties", [])]
        for i, r in enumerate(idx):
            if r is not None and (r >= len(idx) or r == i):
                raise ValidationError({"parties": {i: {"represents_index": ["被代理人序号无效"]}}})
