"""The SMS provider's HTTP adapter against a local HTTP server the test starts; quiet-hour windows."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from mediation.db.models_notify import NotificationMessage
from mediation.domain.clock import CHINA_TZ
from mediation.notify.channels import DeliveryError, HttpSms, LogSms, NotifySettings, channels_from_settings
from mediation.notify.service import parse_window, quiet_until


class Provider(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], dict[str, Any]]] = []  # noqa: RUF012
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def provider() -> Iterator[tuple[str, type[Provider]]]:
    handler = type("P", (Provider,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sms/send", handler
    finally:
        server.shutdown()
        server.server_close()


def sms(address: str = "13812345678") -> NotificationMessage:
    return NotificationMessage(id=7, channel="sms", address=address, recipient_name="张三", subject="调解会议通知",
                               body="张三：您好。调解会议定于2025年10月23日 09:30举行。")


def test_http_adapter_posts_the_message(provider: tuple[str, type[Provider]]) -> None:
    url, handler = provider
    HttpSms(url, key="k-123", template_id="SMS_001").send(sms())
    [(headers, body)] = handler.received
    assert headers["Authorization"] == "Bearer k-123"
    assert body == {"phone": "13812345678", "template_id": "SMS_001", "reference": "notice-7",
                    "content": "张三：您好。调解会议定于2025年10月23日 09:30举行。"}


def test_http_adapter_failure_is_a_delivery_error(provider: tuple[str, type[Provider]]) -> None:
    url, handler = provider
    handler.status = 503
    with pytest.raises(DeliveryError, match="短信接口返回503"):
        HttpSms(url).send(sms())
    with pytest.raises(DeliveryError, match="短信接口不可达"):
        HttpSms("http://127.0.0.1:9/none", timeout=2).send(sms())
    with pytest.raises(DeliveryError, match="没有手机号码"):
        LogSms().send(sms(address=""))


def test_settings_choose_the_adapter() -> None:
    s = NotifySettings.from_env({"MEDIATION_SMS_ADAPTER": "http", "MEDIATION_SMS_URL": "http://sms.local/api",
                                 "MEDIATION_SMS_KEY": "k", "MEDIATION_SMS_TEMPLATE": "T1",
                                 "MEDIATION_SMTP_PORT": "2525"})
    assert isinstance(channels_from_settings(s).get("sms"), HttpSms)
    assert s.smtp_port == 2525
    assert isinstance(channels_from_settings(NotifySettings.from_env({})).get("sms"), LogSms)
    with pytest.raises(DeliveryError, match="未配置发送渠道"):
        channels_from_settings(s).get("fax")


@pytest.mark.parametrize(("local", "until"), [
    (dt.datetime(2025, 10, 20, 21, 59), None),
    (dt.datetime(2025, 10, 20, 22, 0), dt.datetime(2025, 10, 21, 8, 0)),
    (dt.datetime(2025, 10, 21, 3, 0), dt.datetime(2025, 10, 21, 8, 0)),
    (dt.datetime(2025, 10, 21, 8, 0), None),
])
def test_quiet_window_across_midnight(local: dt.datetime, until: dt.datetime | None) -> None:
    got = quiet_until(local.replace(tzinfo=CHINA_TZ), parse_window("22:00-08:00"))
    assert got == (until.replace(tzinfo=CHINA_TZ) if until else None)


def test_quiet_window_within_a_day_and_empty() -> None:
    window = parse_window("12:00-14:00")
    at = dt.datetime(2025, 10, 20, 13, 0, tzinfo=CHINA_TZ)
    assert quiet_until(at, window) == dt.datetime(2025, 10, 20, 14, 0, tzinfo=CHINA_TZ)
    assert quiet_until(at, parse_window("")) is None
    assert quiet_until(at, (dt.time(9), dt.time(9))) is None
