"""Unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters over the alphabet ``0-9 A-H J-N P-R T U W-Y`` (no I, O, S, V, Z): registration
department (1), organisation type (1), region code (6, GB/T 2260), organisation code (9, GB 11714 with
its own check character) and a check character computed modulo 31 with weights 3^i mod 31.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714-1997 organisation code: 8 body characters (0-9, A-Z) and a check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_character(first17: str) -> str:
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError("统一社会信用代码前17位含有非法字符或长度不对")
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    try:
        validate_uscc(code)
    except ValueError:
        return False
    return True


def validate_uscc(code: str) -> str:
    v = code.strip().replace(" ", "").upper()
    if len(v) != 18:
        raise ValueError("统一社会信用代码长度应为18位")
    bad = sorted({c for c in v if c not in _VALUE})
    if bad:
        raise ValueError(f"统一社会信用代码含有非法字符：{''.join(bad)}")
    if not v[2:8].isdigit():
        raise ValueError("统一社会信用代码第3至8位应为登记管理机关的行政区划代码（6位数字）")
    if check_character(v[:17]) != v[17]:
        raise ValueError("统一社会信用代码校验码错误（最后一位校验位错误），请核对")
    return v


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    def value(c: str) -> int:
        return int(c) if c.isdigit() else ord(c) - ord("A") + 10

    c = 11 - sum(value(ch) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else ("0" if c == 11 else str(c))


def make_uscc(registration_dept: str, org_type: str, region_code: str, org_code8: str) -> str:
    """Build a valid code (for demo and test data): e.g. ``make_uscc("9", "1", "330402", "MA2B1234")``."""
    if len(region_code) != 6 or not region_code.isdigit():
        raise ValueError("行政区划代码应为6位数字")
    body = org_code8.upper()
    if len(body) != 8 or any(c not in _VALUE for c in body):
        raise ValueError("组织机构代码主体应为8位且只含统一社会信用代码字符")
    first17 = f"{registration_dept}{org_type}{region_code}{body}{org_code_check(body)}"
    if any(c not in _VALUE for c in first17):
        raise ValueError("组织机构代码校验位不在统一社会信用代码字符集中")
    return first17 + check_character(first17)
