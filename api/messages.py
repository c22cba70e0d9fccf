"""marshmallow's (English) field-error messages in the Chinese a mediator reads; our own messages pass through.

Applied to the ``errors`` member of every problem response, whether the errors come from the HTTP
schemas (webargs) or from a service's input schema (``ValidationFailed``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_EXACT = {
    "Missing data for required field.": "必填",
    "Unknown field.": "不认识的字段",
    "Field may not be null.": "不能为空",
    "Invalid input type.": "内容应为JSON对象",
    "Invalid type.": "类型无效",
    "Invalid value.": "取值无效",
    "Invalid input.": "输入无效",
    "Not a valid string.": "应为文本",
    "Not a valid utf-8 string.": "应为有效的UTF-8文本",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Number too large.": "数字过大",
    "Not a valid boolean.": "应为 true 或 false",
    "Not a valid date.": "应为日期（YYYY-MM-DD）",
    "Not a valid datetime.": "应为日期时间（ISO 8601，例如 2026-01-05T09:30:00+08:00）",
    "Not a valid aware datetime.": "应为带时区的日期时间（例如 2026-01-05T09:30:00+08:00）",
    "Not a valid naive datetime.": "应为不带时区的日期时间",
    "Not a valid time.": "应为时间（HH:MM）",
    "Not a valid list.": "应为列表",
    "Not a valid tuple.": "应为列表",
    "Not a valid mapping type.": "应为JSON对象",
    "Not a valid email address.": "电子邮件地址无效",
    "Not a valid URL.": "网址无效",
    "Not a valid UUID.": "UUID无效",
    "Not a valid period of time.": "时长无效",
    "String does not match expected pattern.": "格式不正确",
    "Special numeric values (nan or infinity) are not permitted.": "不允许 NaN 或无穷大",
}

_OPS = {"greater than or equal to": "≥", "greater than": ">", "less than or equal to": "≤", "less than": "<"}
_OP = "(greater than or equal to|greater than|less than or equal to|less than)"


def _range_all(m: re.Match[str]) -> str:
    return f"应{_OPS[m[1]]} {m[2]} 且 {_OPS[m[3]]} {m[4]}"


_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(rf"^Must be {_OP} (.+) and {_OP} (.+)\.$"), _range_all),
    (re.compile(rf"^Must be {_OP} (.+)\.$"), lambda m: f"应{_OPS[m[1]]} {m[2]}"),
    (re.compile(r"^Must be one of: (.+)\.$"), lambda m: f"应为以下之一：{m[1]}"),
    (re.compile(r"^Must be equal to (.+)\.$"), lambda m: f"应等于 {m[1]}"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), lambda m: f"长度应为{m[1]}至{m[2]}个字符"),
    (re.compile(r"^Length must be (\d+)\.$"), lambda m: f"长度应为{m[1]}"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lambda m: f"不能超过{m[1]}个字符"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), lambda m: f"至少{m[1]}个字符"),
    (re.compile(r"^One or more of the choices you made was not in: (.+)\.$"), lambda m: f"只能从以下选择：{m[1]}"),
    (re.compile(r"^One or more of the choices you made was in: (.+)\.$"), lambda m: f"不能选择：{m[1]}"),
    (re.compile(r"^\"(.*)\" cannot be formatted as a (.+)\.$", re.S), lambda m: f"“{m[1]}”无法转换"),
    (re.compile(r"^Not a valid (.+)\.$"), lambda m: "格式无效"),
]


def translate_message(message: str) -> str:
    exact = _EXACT.get(message)
    if exact is not None:
        return exact
    if message.isascii():
        for pattern, make in _PATTERNS:
            m = pattern.match(message)
            if m:
                return make(m)
    return message


def translate(errors: Any) -> Any:
    """Translate every string leaf of a marshmallow error structure (dicts, lists, strings)."""
    if isinstance(errors, str):
        return translate_message(errors)
    if isinstance(errors, dict):
        return {k: translate(v) for k, v in errors.items()}
    if isinstance(errors, (list, tuple)):
        return [translate(v) for v in errors]
    return errors
