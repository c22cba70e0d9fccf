"""The documented HTTP representations: the REST API's request and response schemas (the OpenAPI shapes)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from api.rest.queries_args import SORT_CHOICES
from mediation.accounts.passwords import MAX_LENGTH, MIN_LENGTH, PASSWORD_LENGTH
from mediation.cases.inputs import PartyAddSchema, PartyPatchSchema
from mediation.domain.enums import DisputeCategory
from mediation.domain.identity import validate_phone
from workflows.definitions import DEFINITIONS
from workflows.schema import StrictBoolean, domain_check

MAX_ID = 2**31 - 1
#: Every state of every workflow version (a case keeps the version it started on).
CASE_STATES = sorted({st.name for d in DEFINITIONS.values() for st in d.states})


def Id(**kw: Any) -> fields.Integer:
    """A database key: strictly an integer within the key range (larger ones can't exist)."""
    return fields.Integer(strict=kw.pop("strict", True),
                          validate=validate.Range(min=1, max=MAX_ID, error="编号无效"), **kw)


class Strict(Schema):
    class Meta:
        unknown = "raise"


class Ref(Schema):
    id = fields.Integer()
    name = fields.String()


class PartyOut(Schema):
    id = fields.Integer()
    role = fields.String()
    role_label = fields.String()
    name = fields.String()
    gender = fields.String(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    id_number = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True, metadata={"description": "电子邮件（选填，通知也发往此地址）"})
    address = fields.String(allow_none=True)
    job_title = fields.String(allow_none=True)
    hired_on = fields.Date(allow_none=True)
    uscc = fields.String(allow_none=True)
    legal_representative = fields.String(allow_none=True)
    represents_id = fields.Integer(allow_none=True)
    agent_kind = fields.String(allow_none=True)
    authorised_to_sign = fields.Boolean(metadata={"description": "代表人：是否经劳动者特别授权代为达成、签署调解协议"})
    authorisation_scope = fields.String(allow_none=True, metadata={"description": "代表人：特别授权的范围"})
    masked = fields.Boolean(metadata={"description": "个人信息是否已按角色脱敏"})


class PartyAddIn(PartyAddSchema):
    """A party added after intake, with the case version the client saw (or the If-Match header)."""

    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID),
                             metadata={"description": "您看到的案件版本（或用 If-Match 头）"})


class PartyPatchIn(PartyPatchSchema):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID),
                             metadata={"description": "您看到的案件版本（或用 If-Match 头）"})


class ClaimOut(Schema):
    id = fields.Integer()
    claim_type = fields.String()
    claim_type_label = fields.String()
    description = fields.String()
    amount = fields.String(allow_none=True, metadata={"description": "金额（元），字符串，两位小数"})


class DeadlineOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    label = fields.String()
    anchor_on = fields.Date()
    due_on = fields.Date()
    status = fields.String()
    status_label = fields.String(metadata={
        "description": "状态的中文说明；里程碑日期届满后为“已届满，当事人可申请仲裁”"})
    milestone = fields.Boolean(metadata={
        "description": "里程碑日期（如调解仲裁法第十四条第三款的十五日期间届满之日）：届满后产生权利，"
                       "不是期限，从不逾期"})
    provisional = fields.Boolean()
    basis = fields.String()
    obligation_id = fields.Integer(allow_none=True)
    days_left = fields.Integer(metadata={"description": "距届满日的自然日数（负数：期限为已逾期，里程碑为已届满）"})


class BlockerOut(Schema):
    guard = fields.String()
    reason = fields.String()
    missing = fields.List(fields.String())


class EventOptionOut(Schema):
    event = fields.String()
    label = fields.String()
    dest = fields.String()
    allowed = fields.Boolean()
    role_allowed = fields.Boolean()
    blockers = fields.List(fields.Nested(BlockerOut))
    inputs = fields.List(fields.String())
    requires_reason = fields.Boolean()
    description = fields.String()


class ObligationOut(Schema):
    id = fields.Integer()
    obligor = fields.String()
    claim_type = fields.String()
    description = fields.String()
    amount = fields.String(metadata={"description": "金额（元），字符串，两位小数"})
    due_on = fields.Date()
    performed_amount = fields.String(metadata={"description": "金额（元），字符串，两位小数"})
    status = fields.String()
    beneficiary = fields.String(allow_none=True, metadata={"description": "集体争议：该款项归属的职工"})


class AgreementOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    signed_on = fields.Date()
    terms = fields.String()
    performance_method = fields.String()
    performance_place = fields.String()
    total_amount = fields.String(metadata={"description": "金额（元），字符串，两位小数"})
    review_kind = fields.String(allow_none=True)
    review_requested_on = fields.Date(allow_none=True)
    obligations = fields.List(fields.Nested(ObligationOut))


class CaseSummaryOut(Schema):
    id = fields.Integer()
    number = fields.String()
    title = fields.String()
    category = fields.String()
    category_label = fields.String()
    source = fields.String()
    status = fields.String()
    status_label = fields.String()
    organisation = fields.Nested(Ref)
    enterprise = fields.Nested(Ref, allow_none=True)
    lead_mediator = fields.Nested(Ref, allow_none=True)
    workers_count = fields.Integer()
    is_collective = fields.Boolean()
    reported_on = fields.Date()
    received_on = fields.Date(allow_none=True)
    accepted_on = fields.Date(allow_none=True)
    version = fields.Integer()


class LimitationOut(Schema):
    basis = fields.String(metadata={"description": "适用的规则（条文）"})
    since = fields.Date(allow_none=True, metadata={"description": "起算（重新计算）之日"})
    due_on = fields.Date(allow_none=True, metadata={"description": "按本会记录推算的届满日（估算）"})
    provisional = fields.Boolean()
    suspended_on = fields.Date(allow_none=True, metadata={"description": "时效中止之日（未中止为空）"})
    suspended_days = fields.Integer(metadata={"description": "已中止的天数"})
    note = fields.String()
    text = fields.String(metadata={"description": "页面和文书中的表述"})


class CaseDetailOut(CaseSummaryOut):
    workflow_version = fields.String()
    facts = fields.String()
    requests = fields.String()
    oral_application = fields.Boolean()
    respondent_consents = fields.Boolean(allow_none=True)
    dispute_arose_on = fields.Date(allow_none=True)
    agreed_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)
    extension_days = fields.Integer()
    escalated_at = fields.DateTime(allow_none=True)
    common_claim = fields.String(metadata={"description": "劳动者的共同请求（调解仲裁法第七条）"})
    employment_ongoing = fields.Boolean(allow_none=True)
    employment_ended_on = fields.Date(allow_none=True)
    collective_note = fields.String(metadata={"description": "集体争议认定的说明"})
    limitation = fields.Nested(LimitationOut, allow_none=True)
    parties = fields.List(fields.Nested(PartyOut))
    claims = fields.List(fields.Nested(ClaimOut))
    deadlines = fields.List(fields.Nested(DeadlineOut))
    agreements = fields.List(fields.Nested(AgreementOut))
    available_events = fields.List(fields.Nested(EventOptionOut))


class CasePageOut(Schema):
    items = fields.List(fields.Nested(CaseSummaryOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class CaseListArgs(Strict):
    status = fields.List(fields.String(validate=validate.OneOf(CASE_STATES, error="未知的案件状态：{input}")),
                         load_default=None)
    category = fields.List(fields.String(validate=validate.OneOf([c.value for c in DisputeCategory])),
                           load_default=None)
    organisation_id = Id(load_default=None, strict=False)
    region = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$", error="行政区划代码应为6位数字"))
    park_id = Id(load_default=None, strict=False)
    enterprise_id = Id(load_default=None, strict=False)
    mediator_id = Id(load_default=None, strict=False)
    collective = fields.Boolean(load_default=None)
    overdue = fields.Boolean(load_default=None)
    unassigned = fields.Boolean(load_default=None, metadata={"description": "true：尚未指定主办调解员的案件"})
    reported_from = fields.Date(load_default=None)
    reported_to = fields.Date(load_default=None)
    received_from = fields.Date(load_default=None)
    received_to = fields.Date(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=100), metadata={
        "description": "搜索案号、案由、当事人姓名或身份证号码、用人单位名称；多个词用空格分开，须同时匹配"})
    sort = fields.String(load_default="-reported_on", validate=validate.OneOf(SORT_CHOICES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))

    @validates_schema
    def _ranges(self, data: dict[str, Any], **_: Any) -> None:
        errors = {f"{f}_from": ["起始日期不能晚于截止日期"] for f in ("reported", "received")
                  if data.get(f"{f}_from") and data.get(f"{f}_to") and data[f"{f}_from"] > data[f"{f}_to"]}
        if errors:
            raise ValidationError(errors)


class TransitionIn(Strict):
    event = fields.String(required=True, validate=validate.Length(min=1, max=48))
    payload = fields.Dict(keys=fields.String(), load_default=dict)
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID),
                             metadata={"description": "您看到的案件版本（或用 If-Match 头）"})


class EventOut(Schema):
    seq = fields.Integer()
    event = fields.String()
    event_label = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_role = fields.String()
    at = fields.DateTime()
    reason = fields.String()
    payload = fields.Dict()


class SessionOut(Schema):
    id = fields.Integer()
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    place = fields.String()
    recorder = fields.String()
    attendees = fields.List(fields.String())
    record = fields.String()
    signed_by_all = fields.Boolean()


class AssignIn(Strict):
    mediator_id = Id(required=True)
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class SuggestionOut(Schema):
    user_id = fields.Integer()
    name = fields.String()
    open_cases = fields.Integer()
    conflict = fields.String(allow_none=True)


class ConflictIn(Strict):
    enterprise_id = Id(load_default=None)
    party_name = fields.String(load_default=None, validate=validate.Length(max=200))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=255))


class ConflictOut(Schema):
    id = fields.Integer()
    enterprise_id = fields.Integer(allow_none=True)
    party_name = fields.String(allow_none=True)
    reason = fields.String()
    declared_at = fields.DateTime()


class EnterpriseOut(Schema):
    id = fields.Integer()
    name = fields.String()
    uscc = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    ownership = fields.String(allow_none=True)
    size = fields.String(allow_none=True)
    employees = fields.Integer(allow_none=True)
    legal_representative = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    has_union = fields.Boolean()
    park_id = fields.Integer(allow_none=True)
    region_code = fields.String(allow_none=True)


class EnterpriseIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    #: Optional; blank means "not known" (stored as NULL, so that any number of enterprises may lack one).
    uscc = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    industry = fields.String(load_default=None, validate=validate.Regexp(r"^[A-T]$", error="行业门类应为A至T"))
    ownership = fields.String(load_default=None, validate=validate.Length(max=32))
    size = fields.String(load_default=None, validate=validate.OneOf(["large", "medium", "small", "micro"]))
    employees = fields.Integer(load_default=None, validate=validate.Range(min=0, max=10_000_000))
    legal_representative = fields.String(load_default=None, validate=validate.Length(max=64))
    address = fields.String(load_default=None, validate=validate.Length(max=255))
    has_union = fields.Boolean(load_default=False)
    park_id = Id(load_default=None)
    region_code = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$"))

    @post_load
    def _blank_uscc(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("uscc") is not None and not data["uscc"].strip():
            data["uscc"] = None
        return data


class EnterpriseArgs(Strict):
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    region = fields.String(load_default=None, validate=validate.Regexp(r"^\d{6}$", error="行政区划代码应为6位数字"))
    park_id = Id(load_default=None, strict=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class EnterprisePageOut(Schema):
    items = fields.List(fields.Nested(EnterpriseOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class OrganisationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    level = fields.String()
    parent_id = fields.Integer(allow_none=True)
    region_code = fields.String(allow_none=True)
    park_id = fields.Integer(allow_none=True)
    path = fields.String()
    extension_cap_days = fields.Integer(allow_none=True, metadata={
        "description": "本会规定的延长调解期限累计上限（日）；为空表示不设上限（法律未规定上限）"})
    collective_reps_practice = fields.Boolean(metadata={
        "description": "集体争议须推举3至5名代表（本会采用的工作惯例，"
                       "参照劳动人事争议仲裁办案规则第五条、第六十二条、第六十三条）"})
    own_rules_basis = fields.String(allow_none=True, metadata={
        "description": "乡镇（街道）等调解组织不予受理所依据的本组织规则条文"})


class OrganisationPolicyIn(Strict):
    extension_cap_days = fields.Integer(allow_none=True,
                                        metadata={"description": "延长调解期限累计上限（日），为空则不设上限"})
    collective_reps_practice = StrictBoolean(metadata={"description": "集体争议须推举3至5名代表"})
    own_rules_basis = fields.String(allow_none=True,
                                    metadata={"description": "本组织规则条文，如《某街道劳动争议调解工作规则》第十条"})


#: The password policy's length, checked with the other fields (the service checks the rest of the policy).
PASSWORD_RULE = validate.Length(min=MIN_LENGTH, max=MAX_LENGTH, error=PASSWORD_LENGTH)


class UserIn(Strict):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{3,64}$",
                                                                      error="用户名为3至64位字母、数字或_.-"))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(required=True, validate=validate.OneOf(["clerk", "mediator", "supervisor", "admin"]))
    organisation_id = Id(required=True)
    password = fields.String(required=True, load_only=True, validate=PASSWORD_RULE)
    phone = fields.String(load_default=None, allow_none=True, validate=domain_check(validate_phone))


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    organisation_id = fields.Integer()
    active = fields.Boolean()


class StateOut(Schema):
    name = fields.String()
    label = fields.String()
    terminal = fields.Boolean()
    open = fields.Boolean()
    description = fields.String()


class TransitionDefOut(Schema):
    event = fields.String()
    label = fields.String()
    sources = fields.List(fields.String())
    dest = fields.String(allow_none=True)
    guards = fields.List(fields.String())
    roles = fields.List(fields.String())
    opens = fields.List(fields.String())
    meets = fields.List(fields.String())
    cancels = fields.List(fields.String())
    produces = fields.List(fields.String())
    requires_reason = fields.Boolean()
    description = fields.String()


class WorkflowOut(Schema):
    version = fields.String()
    current = fields.Boolean()
    initial_states = fields.List(fields.String())
    states = fields.List(fields.Nested(StateOut))
    transitions = fields.List(fields.Nested(TransitionDefOut))
    mermaid = fields.String()
