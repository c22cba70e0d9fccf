"""The messages in Chinese, one template per occasion: a subject (e-mail, the in-app list) and a body (every
channel; SMS sends the body alone). Fields are filled with :meth:`str.format_map` from what the occasion knows;
a missing field is a programming error and fails loudly in the unit that decided to send."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Template:
    subject: str
    body: str

    def render(self, fields: Mapping[str, Any]) -> tuple[str, str]:
        return self.subject.format_map(fields), self.body.format_map(fields)


SIGNATURE = "【{organisation}】"

TEMPLATES: dict[str, Template] = {
    # to parties
    "application_received": Template(
        "调解申请已收到（{number}）",
        "{name}：您好。{organisation}已于{date}收到您的劳动争议调解申请（案号{number}），"
        "将在受理期限内决定是否受理，请保持电话畅通。" + SIGNATURE),
    "accepted": Template(
        "调解申请已受理（{number}）",
        "{name}：您好。您参与的劳动争议调解案件（案号{number}）已于{date}受理，"
        "调解员{mediator}将与您联系安排调解。" + SIGNATURE),
    "not_accepted": Template(
        "调解申请未予受理（{number}）",
        "{name}：您好。您参与的劳动争议调解申请（案号{number}）经审查不予受理，理由：{reason}。"
        "您可依法申请劳动争议仲裁。" + SIGNATURE),
    "session_scheduled": Template(
        "调解会议通知（{number}）",
        "{name}：您好。案号{number}的调解会议定于{when}在{place}举行，请准时参加，"
        "并携带身份证件及相关证据材料。" + SIGNATURE),
    "session_tomorrow": Template(
        "明日调解会议提醒（{number}）",
        "{name}：您好。提醒您：案号{number}的调解会议将于明天（{when}）在{place}举行，请准时参加。" + SIGNATURE),
    "agreement_signed": Template(
        "调解协议已签订（{number}）",
        "{name}：您好。案号{number}的{document_title}已于{date}签订，履行事项共{instalments}项，"
        "合计{total}元。{attachment_note}" + SIGNATURE),
    "instalment_due": Template(
        "履行期限提醒（{number}）",
        "{name}：您好。按照案号{number}的协议，“{description}”应于{due_on}前履行，金额{amount}元，"
        "距履行期限还有3天。" + SIGNATURE),
    "instalment_overdue": Template(
        "履行逾期提醒（{number}）",
        "{name}：您好。按照案号{number}的协议，“{description}”应于{due_on}前履行，金额{amount}元，"
        "尚未履行的{outstanding}元已逾期。一方不履行的，另一方可依法申请仲裁。" + SIGNATURE),
    # to mediators
    "new_assignment": Template(
        "新指派案件（{number}）",
        "{name}：您好。案件{number}（{title}）已指派由您主办，请及时处理。" + SIGNATURE),
    "deadline_tomorrow": Template(
        "期限明日届满（{number}）",
        "{name}：您好。案件{number}的“{deadline}”将于明天（{due_on}）届满，请及时处理。" + SIGNATURE),
    "lapse_coming": Template(
        "调解期限即将届满（{number}）",
        "{name}：您好。案件{number}的调解期限将于{due_on}届满，届满未达成协议的视为调解不成"
        "（《劳动争议调解仲裁法》第十四条）。如双方同意延长，请及时办理。" + SIGNATURE),
    # to supervisors
    "red_alert": Template(
        "红色预警待报告（{enterprise}）",
        "{name}：您好。{enterprise}的劳动关系风险已达红色预警（{score}分，涉及{workers}人），"
        "应于{due_on}前报告，请及时签收并处置。" + SIGNATURE),
    "collective_unreported": Template(
        "集体争议尚未报告（{number}）",
        "{name}：您好。集体劳动争议案件{number}（{workers}人）的报告期限为{due_on}，尚未报告，请及时上报。"
        + SIGNATURE),
}

#: What the list and the case page call each occasion.
EVENT_LABELS: dict[str, str] = {
    "application_received": "申请已收到", "accepted": "已受理", "not_accepted": "不予受理",
    "session_scheduled": "调解会议通知", "session_tomorrow": "调解会议前一日提醒", "agreement_signed": "协议已签订",
    "instalment_due": "履行期限提醒", "instalment_overdue": "履行逾期提醒", "new_assignment": "新指派案件",
    "deadline_tomorrow": "期限明日届满", "lapse_coming": "调解期限即将届满", "red_alert": "红色预警",
    "collective_unreported": "集体争议未报告",
}
CHANNEL_LABELS: dict[str, str] = {"email": "电子邮件", "sms": "短信", "inapp": "站内通知"}
STATUS_LABELS: dict[str, str] = {"pending": "待发送", "sent": "已送达", "failed": "发送失败"}


def render(event: str, fields: Mapping[str, Any]) -> tuple[str, str]:
    return TEMPLATES[event].render(fields)
