"""The channels behind one interface: :class:`Channel` ``send(message, attachment)`` raises
:class:`DeliveryError` (or any exception) when the message did not go out; the caller retries.

- e-mail over SMTP (:class:`SmtpChannel`, ``smtplib``; STARTTLS or implicit TLS, login when a user is set);
- SMS through a provider adapter: :class:`LogSms` (the demo: writes the message to the log) or :class:`HttpSms`
  (POSTs JSON to the provider's URL with the key and the template id);
- in-app notices (:class:`InApp`): the row itself is the notice; delivering it only marks it sent.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from typing import Protocol

from mediation.db.models_notify import NotificationMessage

log = logging.getLogger("mediation.notify")


class DeliveryError(RuntimeError):
    """The channel could not deliver the message (retried, then marked failed)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/pdf"


class Channel(Protocol):
    def send(self, message: NotificationMessage, attachment: Attachment | None = None) -> None: ...


@dataclass(frozen=True)
class NotifySettings:
    """``MEDIATION_SMTP_HOST`` (empty: no e-mail channel; messages for it fail with a reason),
    ``MEDIATION_SMTP_PORT`` (25), ``MEDIATION_SMTP_USER``/``MEDIATION_SMTP_PASSWORD``, ``MEDIATION_SMTP_TLS``
    (``none`` | ``starttls`` | ``ssl``), ``MEDIATION_SMTP_FROM``; ``MEDIATION_SMS_ADAPTER`` (``log`` | ``http``)
    with ``MEDIATION_SMS_URL``, ``MEDIATION_SMS_KEY``, ``MEDIATION_SMS_TEMPLATE``; ``MEDIATION_NOTIFY_QUIET``
    (the parties' quiet hours, China time, default ``22:00-08:00``)."""

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: str = "none"
    smtp_from: str = "noreply@mediation.local"
    smtp_timeout: float = 10.0
    sms_adapter: str = "log"
    sms_url: str = ""
    sms_key: str = ""
    sms_template: str = ""
    party_quiet: str = "22:00-08:00"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NotifySettings:
        env = os.environ if environ is None else environ
        return cls(smtp_host=env.get("MEDIATION_SMTP_HOST", ""), smtp_port=int(env.get("MEDIATION_SMTP_PORT", "25")),
                   smtp_user=env.get("MEDIATION_SMTP_USER", ""), smtp_password=env.get("MEDIATION_SMTP_PASSWORD", ""),
                   smtp_tls=env.get("MEDIATION_SMTP_TLS", "none").lower(),
                   smtp_from=env.get("MEDIATION_SMTP_FROM", "noreply@mediation.local"),
                   sms_adapter=env.get("MEDIATION_SMS_ADAPTER", "log").lower(),
                   sms_url=env.get("MEDIATION_SMS_URL", ""),
                   sms_key=env.get("MEDIATION_SMS_KEY", ""), sms_template=env.get("MEDIATION_SMS_TEMPLATE", ""),
                   party_quiet=env.get("MEDIATION_NOTIFY_QUIET", "22:00-08:00"))


@dataclass(frozen=True)
class SmtpChannel:
    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    tls: str = "none"
    sender: str = "noreply@mediation.local"
    timeout: float = 10.0

    def build(self, message: NotificationMessage, attachment: Attachment | None = None) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.sender
        mail["To"] = formataddr((message.recipient_name, message.address), charset="utf-8")
        # the sender's domain, never a lookup of this host's name (slow or absent without DNS)
        mail["Message-ID"] = make_msgid(idstring=f"notice{message.id}",
                                        domain=parseaddr(self.sender)[1].rpartition("@")[2] or "mediation.local")
        mail.set_content(message.body, charset="utf-8")
        if attachment is not None:
            maintype, subtype = attachment.mime.split("/", 1)
            mail.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
        return mail

    def send(self, message: NotificationMessage, attachment: Attachment | None = None) -> None:
        if not self.host:
            raise DeliveryError("未配置邮件服务器（MEDIATION_SMTP_HOST）")
        if not message.address:
            raise DeliveryError("收件人没有电子邮件地址")
        mail = self.build(message, attachment)
        try:
            if self.tls == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.tls == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"邮件发送失败：{exc}") from exc


@dataclass(frozen=True)
class LogSms:
    """The demo's SMS adapter: the message goes to the log, nothing leaves the machine."""

    def send(self, message: NotificationMessage, attachment: Attachment | None = None) -> None:
        if not message.address:
            raise DeliveryError("收件人没有手机号码")
        log.info("SMS to %s: %s", message.address, message.body)


@dataclass(frozen=True)
class HttpSms:
    """A provider's HTTP API: ``POST url`` with ``{"phone", "template_id", "content", "reference"}`` and
    ``Authorization: Bearer <key>``; any 2xx is accepted, anything else (or no answer) is a failure."""

    url: str
    key: str = ""
    template_id: str = ""
    timeout: float = 10.0

    def send(self, message: NotificationMessage, attachment: Attachment | None = None) -> None:
        if not self.url:
            raise DeliveryError("未配置短信接口地址（MEDIATION_SMS_URL）")
        if not message.address:
            raise DeliveryError("收件人没有手机号码")
        body = json.dumps({"phone": message.address, "template_id": self.template_id, "content": message.body,
                           "reference": f"notice-{message.id}"}, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.key}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if not 200 <= response.status < 300:
                    raise DeliveryError(f"短信接口返回{response.status}")
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"短信接口返回{exc.code}") from exc
        except OSError as exc:
            raise DeliveryError(f"短信接口不可达：{exc}") from exc


@dataclass(frozen=True)
class InApp:
    def send(self, message: NotificationMessage, attachment: Attachment | None = None) -> None:
        return None


@dataclass(frozen=True)
class Channels:
    by_name: Mapping[str, Channel] = field(default_factory=dict)

    def get(self, name: str) -> Channel:
        channel = self.by_name.get(name)
        if channel is None:
            raise DeliveryError(f"未配置发送渠道：{name}")
        return channel


def channels_from_settings(settings: NotifySettings) -> Channels:
    sms: Channel
    if settings.sms_adapter == "http":
        sms = HttpSms(settings.sms_url, settings.sms_key, settings.sms_template)
    else:
        sms = LogSms()
    return Channels({
        "email": SmtpChannel(settings.smtp_host, settings.smtp_port, settings.smtp_user, settings.smtp_password,
                             settings.smtp_tls, settings.smtp_from, settings.smtp_timeout),
        "sms": sms,
        "inapp": InApp(),
    })
