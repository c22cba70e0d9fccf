"""Resident identity card numbers (GB 11643-1999) and masking of personal data."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
ID_FORMAT = re.compile(r"^\d{17}[\dX]$")
_ID_RE = ID_FORMAT
_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|12351)$")


def id_check_character(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


#: 港澳台居民居住证: the same 18-character format with these region codes (GB 11643 numbering since 2018).
RESIDENCE_PERMIT_CODES = frozenset({"810000", "820000", "830000"})
#: Birth dates before this are not credible on a resident identity card.
EARLIEST_BIRTH = dt.date(1900, 1, 1)


@functools.cache
def _region_db() -> Any:
    from stdnum import numdb

    return numdb.get("cn/loc")


def known_region_code(code: str) -> bool:
    """A GB/T 2260 division code that exists or existed at any time: python-stdnum's ``cn/loc`` table (with the
    codes abolished since 1980, e.g. 110103 崇文区 until 2010), the current divisions this installation knows
    (newer than that table) and the residence-permit codes of Hong Kong, Macao and Taiwan residents. An
    identity number keeps the code of the place and time it was first issued, so old codes stay valid for life
    (and a code is not checked against the birth year: people registered after a change carry the new code)."""
    if len(code) != 6 or not code.isdigit():
        return False
    if code in RESIDENCE_PERMIT_CODES:
        return True
    info = {k: v for _part, props in _region_db().info(code) for k, v in props.items()}
    if "county" in info:
        return True
    from mediation.domain import divisions  # current codes newer than stdnum's table (e.g. 330113 临平区, 2021)

    return divisions.find(code) is not None


def validate_id_number(value: str, *, today: dt.date | None = None) -> str:
    """A resident identity number (GB 11643-1999), upper-cased: 18 characters, a known region code (current or
    historical), a real birth date between 1900 and today, and the check character. The message says which
    part is wrong: 地区码无效, 出生日期无效 or 校验码错误."""
    v = value.strip().upper()
    if not _ID_RE.match(v):
        raise ValueError("身份证号码应为18位，最后一位可为数字或X")
    if not known_region_code(v[:6]):
        raise ValueError(f"身份证号码地区码无效（前6位{v[:6]}不是已知的行政区划代码）")
    today = today or dt.date.today()
    try:
        born = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValueError(f"身份证号码出生日期无效（第7至14位{v[6:14]}不是有效日期）") from None
    if not EARLIEST_BIRTH <= born <= today:
        raise ValueError(f"身份证号码出生日期无效（{born.isoformat()}早于1900年或晚于今天）")
    if id_check_character(v[:17]) != v[17]:
        raise ValueError("身份证号码校验码错误（最后一位校验位错误），请核对")
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


def mask_email(value: str | None) -> str | None:
    """``zhangsan@example.cn`` → ``z***@example.cn``: the domain stays, the mailbox is hidden."""
    if not value:
        return value
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
