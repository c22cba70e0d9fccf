"""The case page's action forms, derived from the event payload schemas (mediation/schemas.py), and the
field errors the pages show (in Chinese, next to the field they concern).

One source of truth: a form offers every input its event's payload schema takes (in the schema's order; the
fields the workflow's guards need are marked required) and reads them back by the same field types, so a
field added to a schema appears in the form without touching the template.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, validate

from api.messages import translate
from workflows.events import event_schema
from workflows.guards import RejectionReason, TerminationReason
from workflows.schema import MAX_TEXT

FIELD_LABELS = {
    "reason": "理由", "note": "备注（选填）", "respondent_consents": "被申请人同意调解", "mediator_id": "主办调解员",
    "accepted_on": "受理日期", "started_at": "开始时间", "ended_at": "结束时间（选填）", "place": "地点",
    "recorder": "记录人", "attendees": "参加人员（用顿号或逗号分隔）", "record": "调解笔录",
    "signed_by_all": "参加人员已在笔录上签名", "worker_agrees": "劳动者同意延长", "employer_agrees": "用人单位同意延长",
    "days": "延长天数", "signed_on": "协议签订日期", "terms": "协议内容", "obligations": "履行事项",
    "performance_method": "履行方式", "performance_place": "履行地点", "signed_by_parties": "双方当事人已签名或盖章",
    "signed_by_mediator": "调解员已签名", "sealed": "已加盖调解组织印章", "end_reason": "终止原因",
    "obligation_id": "履行事项", "performed_on": "履行日期", "amount": "金额（元）",
    "proof": "凭证说明（如回单号；上传了凭证文件可不填）",
    "payer": "付款人（不填为履行义务人）", "payee": "收款人（不填为对方当事人）",
    "proof_ids": "凭证文件（PDF、JPEG或PNG，每个不超过10 MB，可多选）",
    "review_kind": "申请类型", "requested_on": "申请日期", "reason_code": "不予受理的原因",
    "received_on": "收到申请日期", "oral": "口头申请", "arbitration_committee": "移送的劳动人事争议仲裁委员会",
    "confirm": "确认",
    "suspended_on": "时效中止日期", "resumed_on": "时效恢复日期", "employment_ended_on": "劳动关系终止日期",
    "is_collective": "属于集体争议（十人以上并有共同请求）", "common_claim": "劳动者的共同请求",
}
#: The outcome of a joint review or confirmation request (workflow v3, documents/handoff.py).
FIELD_LABELS.update({"decision_number": "调解书或裁定书文号", "decided_on": "决定日期（默认今天）",
                     "decided_by": "作出机关（选填）"})
#: Choices of the string fields offered as a select (value, label); others come from the schema's ``OneOf``.
CHOICES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "reason_code": tuple((r.value, r.label) for r in RejectionReason),
    "end_reason": tuple((r.value, r.label) for r in TerminationReason),
    "review_kind": (("judicial_confirmation", "司法确认（30日内，民事诉讼法第二百零五条）"),
                    ("arbitration_review", "仲裁审查（15日内，企业劳动争议协商调解规定第二十七条第二款、"
                                           "劳动人事争议仲裁办案规则第七十四条）")),
}
#: Fields whose empty value in the form means "not given" for a date the service defaults (today): the form
#: shows today so the schema's date checks see the date that will be recorded.
TODAY_DEFAULT = ("received_on", "accepted_on", "signed_on", "performed_on", "requested_on", "suspended_on",
                 "resumed_on")
#: Events that end the handling of a case or cannot be undone: the form asks for an explicit confirmation
#: (a checkbox the server checks; no JavaScript needed).
CONFIRM_EVENTS = frozenset({"close", "withdraw", "terminate", "reject", "dismiss", "refer", "report_non_performance",
                            "confirm_performed"})


@dataclass(frozen=True)
class FormInput:
    name: str
    label: str
    #: check, textarea, text, date, datetime, number, decimal, list, select, mediator, obligation, obligations,
    #: files (proof files, uploaded with the form)
    widget: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()



def form_int(raw: str | None) -> int | None:
    """A whole number typed in a form or a URL — ASCII digits, at most a database key (2³¹−1) — or None.
    (``str.isdigit`` alone also accepts ``²`` or five thousand digits, which ``int`` or the database refuse.)"""
    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) <= 2**31 - 1:
        return int(raw)
    return None


def _widget(name: str, f: fields.Field) -> tuple[str, tuple[tuple[str, str], ...]]:
    if name == "mediator_id":
        return "mediator", ()
    if name == "obligation_id":
        return "obligation", ()
    if name == "proof_ids":
        return "files", ()
    if name in CHOICES:
        return "select", CHOICES[name]
    if isinstance(f, fields.Boolean):
        return "check", ()
    if isinstance(f, fields.DateTime):
        return "datetime", ()
    if isinstance(f, fields.Date):
        return "date", ()
    if isinstance(f, fields.Decimal):
        return "decimal", ()
    if isinstance(f, fields.Integer):
        return "number", ()
    if isinstance(f, fields.List):
        return ("obligations" if isinstance(f.inner, fields.Nested) else "list"), ()
    for v in f.validators:
        if isinstance(v, validate.OneOf):
            labels = list(v.labels) if v.labels else [str(c) for c in v.choices]
            return "select", tuple(zip((str(c) for c in v.choices), labels, strict=True))
        if isinstance(v, validate.Length) and v.max is not None and v.max >= MAX_TEXT and name != "note":
            return "textarea", ()
    return "text", ()


def _schema_fields(event: str) -> Mapping[str, fields.Field]:
    schema: Schema = event_schema(event)
    return {name: f for name, f in schema.fields.items() if not f.dump_only}


def event_inputs(event: str, guard_inputs: Iterable[str], requires_reason: bool) -> list[FormInput]:
    """The inputs of an event's form: every field of the payload schema in its order, any guard field the
    schema lacks, then the free-text ``reason`` and ``note``. The guards' fields are marked required."""
    schema_fields = _schema_fields(event)
    names = list(dict.fromkeys([*(n for n in schema_fields if n not in ("reason", "note")), *guard_inputs]))
    names += [n for n in ("reason", "note") if n in schema_fields and n not in names]
    guards = set(guard_inputs)
    out = []
    for name in names:
        f = schema_fields.get(name)
        widget, choices = _widget(name, f) if f is not None else ("text", ())
        if name == "reason":
            widget = "textarea" if requires_reason else "text"
        required = name in guards or (f is not None and f.required) or (name == "reason" and requires_reason)
        label = FIELD_LABELS.get(name, name)
        if name == "reason" and not requires_reason:
            label = "说明（选填）"
        out.append(FormInput(name, label, widget, required, choices))
    return out


def _text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name, "")).strip()


def payload_from_form(event: str, form: Any) -> dict[str, Any]:
    """The form's fields to the event's payload, by the schema's field types. Blank fields are left out (the
    schema's defaults apply; a required one is reported by the schema); anything malformed is passed on as
    typed so the schema says what is wrong, next to the field."""
    p: dict[str, Any] = {}
    for name, f in _schema_fields(event).items():
        raw = _text(form, name)
        if isinstance(f, fields.Boolean):
            # A box left unticked is "not confirmed", never "refused": it is left out (every such field
            # defaults to False/None), so a guard says what has to be confirmed. An explicit refusal is its own
            # action (e.g. 不予受理), not an empty box.
            if form.get(name) in ("on", "true", "1", "yes"):
                p[name] = True
        elif isinstance(f, fields.List) and isinstance(f.inner, fields.Nested):
            p[name] = _obligations(form)
        elif not raw:
            continue
        elif isinstance(f, fields.List):
            p[name] = [a.strip() for a in raw.replace("，", ",").replace("、", ",").replace("；", ",").split(",")
                       if a.strip()]
        elif isinstance(f, fields.Integer):
            n = form_int(raw)
            p[name] = raw if n is None else n
        elif isinstance(f, fields.Decimal):
            p[name] = raw.replace(",", "").replace("，", "")
        elif isinstance(f, fields.DateTime):
            # <input type="datetime-local"> gives local (China) time without seconds or offset
            p[name] = raw + (":00+08:00" if len(raw) == 16 else "+08:00" if len(raw) == 19 else "")
        else:
            p[name] = raw
    return p


def _obligations(form: Any) -> list[dict[str, Any]]:
    rows = []
    descs, amounts = form.getlist("ob_description"), form.getlist("ob_amount")
    dues, types = form.getlist("ob_due_on"), form.getlist("ob_claim_type")
    beneficiaries = form.getlist("ob_beneficiary")

    def at(values: list[str], i: int) -> str:
        return values[i].strip() if i < len(values) else ""

    for i, desc in enumerate(descs):
        if not desc.strip() and not at(amounts, i):
            continue
        row = {"description": desc.strip(), "claim_type": at(types, i) or "other"}
        # a blank amount or date is left out, so the schema says it is required (not "not a number")
        if at(amounts, i):
            row["amount"] = at(amounts, i).replace(",", "").replace("，", "")
        if at(dues, i):
            row["due_on"] = at(dues, i)
        if at(beneficiaries, i):
            row["beneficiary"] = at(beneficiaries, i)
        rows.append(row)
    return rows


# --- errors ------------------------------------------------------------------------------------------------

def _ui_message(message: str) -> str:
    text = translate(message)
    if text.startswith("应为以下之一"):
        return "请从列表中选择"
    return str(text)


def field_errors(errors: Any, aliases: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """A marshmallow error structure (nested dicts and lists) as ``{"field": [Chinese messages]}``: nested keys
    joined with dots (``obligations.0.amount``), then renamed by ``aliases`` (exact key or a ``prefix.``) to the
    form's field names; schema-wide errors under ``_schema``."""
    out: dict[str, list[str]] = {}

    def walk(value: Any, key: str) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, f"{key}.{k}" if key else str(k))
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v, key)
        elif value is not None:
            out.setdefault(_alias(key or "_schema", aliases or {}), []).append(_ui_message(str(value)))

    walk(errors, "")
    return out


def _alias(key: str, aliases: Mapping[str, str]) -> str:
    if key in aliases:
        return aliases[key]
    for prefix, target in aliases.items():
        if prefix.endswith(".") and key.startswith(prefix):
            return target + key[len(prefix):] if target.endswith("_") else target
    return key


def leftover(errors: Mapping[str, list[str]], shown: Iterable[str]) -> list[str]:
    """Messages of fields the page has no place for (shown together above the form, never lost)."""
    seen = set(shown)
    return [f"{FIELD_LABELS.get(k, k) + '：' if k != '_schema' else ''}{m}" for k, ms in errors.items()
            if k not in seen for m in ms]
