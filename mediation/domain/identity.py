"""Resident identity card numbers (GB 11643-1999) and masking of personal data."""

from __future__ import annotations

import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|12351)$")


def id_check_character(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> str:
    v = value.strip().upper()
    if not _ID_RE.match(v):
        raise ValueError("身份证号码应为18位，最后一位可为数字或X")
    if id_check_character(v[:17]) != v[17]:
        raise ValueError("身份证号码校验位错误，请核对")
    return v


def validate_phone(value: str) -> str:
    v = value.strip().replace(" ", "")
    if not _PHONE_RE.match(v):
        raise ValueError("电话号码格式不正确（手机11位，或带区号的固定电话）")
    return v


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    return value[:3] + "****" + value[-4:] if len(value) >= 11 else value[:2] + "****"


def mask_name(value: str | None) -> str | None:
    """``李四`` → ``李*``, ``李网格员`` → ``李***``: the surname stays, enough to tell reporters apart."""
    if not value:
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_address(value: str | None) -> str | None:
    if not value:
        return value
    return value[:6] + "……" if len(value) > 6 else value
