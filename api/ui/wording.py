"""What the pages say when something is missing or refused: short, in plain Chinese, naming the field.

The guards (workflows/guards.py) explain a refusal with the legal sentence behind it and name the fields
they need; a person filling a form needs to know *which box* is empty. So the pages turn the guards'
``missing`` fields into one instruction each, and keep the legal sentence as the basis, never the message.

The rule tables cite confirmed articles (mediation/domain/legal_basis.py) and carry no internal notes any more;
text stored by earlier versions (event descriptions, risk-rule notes) may still hold one (``（条号待核实）``,
``（待核实）``): :func:`public` strips them from anything shown to a user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup

_NOTE = re.compile(r"[（(]([^（）()]*待核实[^（）()]*)[）)]")
_NOTE_WORDS = re.compile(r"[，,、；]?\s*(?:条号|条款|数额)?待核实")


def _strip_note(m: re.Match[str]) -> str:
    rest = _NOTE_WORDS.sub("", m[1]).strip("，,、； ")
    return f"（{rest}）" if rest else ""


def public(text: Any) -> Any:
    """``text`` without the rule tables' internal notes: ``（条号待核实）`` goes, ``（地方做法，待核实）`` keeps
    ``（地方做法）`` (keeps Markup as Markup)."""
    if text is None:
        return ""
    out = _NOTE_WORDS.sub("", _NOTE.sub(_strip_note, str(text)))
    return Markup(out) if isinstance(text, Markup) else out


#: One instruction per field a guard may name (the field's own label is in api.ui.forms.FIELD_LABELS).
MISSING: Mapping[str, str] = {
    "respondent_consents": "请核实被申请人同意调解后勾选“被申请人同意调解”；被申请人明确拒绝调解的，请改用“不予受理”",
    "signed_by_parties": "请在双方当事人签名或盖章后勾选“双方当事人已签名或盖章”",
    "signed_by_mediator": "请在调解员签名后勾选“调解员已签名”",
    "sealed": "请在加盖调解组织印章后勾选“已加盖调解组织印章”",
    "terms": "请填写协议内容",
    "obligations": "请至少填写一项履行事项（事项、金额、履行期限）",
    "started_at": "请填写会议开始时间",
    "place": "请填写会议地点",
    "record": "请填写调解笔录",
    "attendees": "请填写参加人员",
    "worker_agrees": "请在劳动者同意后勾选“劳动者同意延长”",
    "employer_agrees": "请在用人单位同意后勾选“用人单位同意延长”",
    "days": "请填写延长天数（正整数）",
    "end_reason": "请选择终止原因",
    "obligation_id": "请选择履行事项",
    "performed_on": "请填写履行日期",
    "amount": "请填写金额（元）",
    "proof": "请填写凭证（如银行转账回单号）",
    "category": "请选择争议类别",
    "requests": "请填写调解请求",
    "worker": "请登记劳动者（申请人）的姓名",
    "employer": "请登记用人单位（被申请人）的名称",
    "representatives": "请登记劳动者推举的代表",
    "common_claim": "请填写劳动者的共同请求（十人以上并有共同请求的才是集体争议）",
    "employment_ended_on": "请填写劳动关系终止日期",
}
#: How a summary names a field the form has no box for (the parties) or a box to tick.
NAMES: Mapping[str, str] = {"worker": "劳动者（申请人）", "employer": "用人单位（被申请人）",
                            "representatives": "劳动者推举的代表"}
CHECKS = frozenset({"respondent_consents", "signed_by_parties", "signed_by_mediator", "sealed", "worker_agrees",
                    "employer_agrees", "signed_by_all"})
_OB = re.compile(r"^obligations[.\[](\d+)\]?\.(\w+)$")
_OB_FIELDS = {"amount": "金额", "due_on": "履行期限", "description": "事项", "claim_type": "款项性质",
              "obligor": "履行义务人"}


def missing_message(field: str) -> str:
    m = _OB.match(field)
    if m:
        return "请填写"  # shown in the row, after "第N项金额："
    return MISSING.get(field, "请填写此项")


def _field_key(field: str) -> str:
    """``obligations[0].amount`` (the guards' notation) is the form's ``obligations.0.amount``."""
    return re.sub(r"\[(\d+)\]", r".\1", field)


def refusal(label: str, blockers: Iterable[Mapping[str, Any]], field_labels: Mapping[str, str]
            ) -> tuple[str, dict[str, list[str]], list[str]]:
    """A guard refusal as (the summary naming what is missing, one instruction per field, the legal bases).

    ``未能受理：缺少“被申请人同意调解”。`` — with the instruction beside the box and the basis (the guard's
    own sentence, without internal notes) under the summary."""
    errors: dict[str, list[str]] = {}
    names: list[str] = []
    ticks: list[str] = []
    bases: list[str] = []
    other: list[str] = []
    for b in blockers:
        reason = public(b.get("reason") or "")
        fields = [_field_key(f) for f in b.get("missing") or []]
        if fields:
            if reason and reason not in bases:
                bases.append(reason)
            for f in fields:
                errors.setdefault(f, []).append(missing_message(f))
                m = _OB.match(f)
                if m:
                    name = f"第{int(m[1]) + 1}项履行事项的{_OB_FIELDS.get(m[2], m[2])}"
                elif f in NAMES:
                    name = NAMES[f]
                else:
                    name = "“" + field_labels.get(f, f).removesuffix("（选填）") + "”"
                target = ticks if f in CHECKS else names
                if name not in target:
                    target.append(name)
        elif reason:
            other.append(reason)
    parts = []
    if names:
        parts.append("缺少" + "、".join(names))
    if ticks:
        parts.append("未勾选" + "、".join(ticks))
    parts += other
    return f"未能{label}：" + "；".join(parts) + "。", errors, bases
