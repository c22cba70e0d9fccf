"""Money: RMB amounts in figures and in Chinese financial capitals (大写).

Capitals follow the People's Bank of China's rules for filling in bills (《支付结算办法》附件一
《正确填写票据和结算凭证的基本规定》): digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟万亿; "整" after 元 when
there are no 角/分 (also written after 角 when there is no 分 — this module does so, the rules allow it);
one 零 for a run of zeros between non-zero digits, and 零 where 元 is zero but 角/分 follow a non-zero
amount (1,000.05 → 壹仟元零伍分). Amounts are rounded half-up to the fen.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
BIG_UNITS = ("", "万", "亿")
FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # up to 千亿


def to_fen(amount: Decimal | int | str) -> Decimal:
    try:
        value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    except InvalidOperation:
        raise ValueError(f"金额格式不正确：{amount!r}") from None
    if not value.is_finite():
        raise ValueError("金额必须是有限的数字")
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def _group(n: int) -> str:
    """0 < n < 10000 → capitals with 零 for inner zero runs (no leading/trailing 零)."""
    out: list[str] = []
    zero = False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            if out:
                zero = True
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[d] + SMALL_UNITS[pos])
    return "".join(out)


def _integer(n: int) -> str:
    if n == 0:
        return ""
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out: list[str] = []
    need_zero = False  # zero digits stand between the last written digit and the next one
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or g < 1000):
            out.append("零")
        out.append(_group(g) + BIG_UNITS[i])
        need_zero = g % 10 == 0
    return "".join(out)


def amount_in_capitals(amount: Decimal | int | str) -> str:
    """``Decimal("10005.50")`` → ``壹万零伍元伍角整``; ``0.05`` → ``伍分``; ``100000`` → ``壹拾万元整``."""
    value = to_fen(amount)
    if value < 0:
        raise ValueError("金额不能为负数")
    if value > MAX_AMOUNT:
        raise ValueError("金额过大（最多到千亿元）")
    fen_total = int(value * 100)
    yuan, jiao, fen = fen_total // 100, (fen_total // 10) % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    out = _integer(yuan)
    if yuan:
        out += "元"
    if jiao == 0 and fen == 0:
        return out + "整"
    if jiao:
        out += DIGITS[jiao] + "角"
    elif yuan:
        out += "零"  # 壹仟元零伍分
    if fen:
        out += DIGITS[fen] + "分"
    else:
        out += "整"
    return out


def format_amount(amount: Decimal | int | str) -> str:
    """``10005.5`` → ``10,005.50``."""
    return f"{to_fen(amount):,.2f}"


#: The largest amount any input takes (1000亿元); more is a typo, not a claim.
MAX_INPUT = Decimal("100000000000")


def exact_fen(value: Decimal, *, label: str = "金额") -> Decimal:
    """``value`` as an amount in fen, refusing rather than rounding: a finite number of at most 1000亿 with at
    most two decimals (``0.001`` is refused, not stored as ``0.00``; ``1.500`` is 1.50)."""
    if not value.is_finite():
        raise ValueError(f"{label}必须是有限的数字")
    if abs(value) > MAX_INPUT:
        raise ValueError(f"{label}不能超过1000亿元")
    if value != value.quantize(FEN, rounding=ROUND_HALF_UP):
        raise ValueError(f"{label}最多保留两位小数（精确到分）")
    return value.quantize(FEN)


def parse_money_input(value: object, *, label: str = "金额") -> Decimal:
    """A typed amount (``"10,005.5"``, ``"¥300"``): parsed like :func:`parse_amount` but never rounded."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"{label}格式不正确")
    text = str(value).strip().replace(",", "").replace("，", "").removeprefix("¥").removeprefix("￥")
    if len(text) > 40:
        raise ValueError(f"{label}格式不正确")
    try:
        parsed = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{label}格式不正确") from None
    return exact_fen(parsed, label=label)


def parse_amount(value: object) -> Decimal:
    """Accepts ``"10,005.5"``, ``"10005.50"``, ints and Decimals; refuses floats' binary noise and junk."""
    if isinstance(value, bool):
        raise ValueError("金额格式不正确")
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip().replace(",", "").replace("，", "").removeprefix("¥").removeprefix("￥")
    try:
        parsed = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"金额格式不正确：{value!r}") from None
    return to_fen(parsed)
