"""Identity numbers (security item 9): real birth dates, known region codes (current and historical), the check
character — and the message says which part is wrong."""

from __future__ import annotations

import datetime as dt

import pytest

from mediation.domain.identity import id_check_character, known_region_code, validate_id_number
from mediation.domain.uscc import make_uscc, validate_uscc


def _with_check(first17: str) -> str:
    return first17 + id_check_character(first17)


@pytest.mark.parametrize(("number", "part"), [
    ("110105202613990018", "出生日期无效"),  # month 13, day 99 (check character valid)
    (_with_check("11010519900230001"), "出生日期无效"),  # 30 February
    (_with_check("11010518991231001"), "出生日期无效"),  # before 1900
    (_with_check("11010520991231001"), "出生日期无效"),  # in the future
    (_with_check("99999919900101001"), "地区码无效"),
    (_with_check("33049919900101001"), "地区码无效"),  # province and city exist, the county does not
    ("110105194912310021", "校验码错误"),
    ("330402199003070099", "校验码错误"),
    ("3304021990030700", "18位"),
    ("33040219900307001Y", "18位"),
])
def test_each_wrong_part_is_named(number: str, part: str) -> None:
    with pytest.raises(ValueError) as exc:
        validate_id_number(number, today=dt.date(2026, 12, 4))
    assert part in str(exc.value)


@pytest.mark.parametrize("number", [
    "330402199003070015",
    "11010519491231002x",  # lower-case x is upper-cased
    _with_check("11010319950101001"),  # 崇文区, abolished in 2010: people keep their numbers
    _with_check("11010419700101001"),  # 宣武区, likewise
    _with_check("33011320220101001"),  # 临平区, created 2021 (newer than python-stdnum's table)
    _with_check("81000019800101001"),  # a Hong Kong resident's residence permit
    _with_check("11010519000101001"),  # born on 1900-01-01
])
def test_valid_numbers_current_and_historical(number: str) -> None:
    assert validate_id_number(number, today=dt.date(2026, 12, 4)) == number.upper()


def test_region_codes() -> None:
    assert known_region_code("330402") and known_region_code("110103") and known_region_code("330113")
    assert not known_region_code("999999") and not known_region_code("3304") and not known_region_code("33040a")


def test_uscc_names_the_wrong_part() -> None:
    good = make_uscc("9", "1", "330402", "MA2B1234")
    assert validate_uscc(good.lower()) == good
    with pytest.raises(ValueError, match="校验码错误"):
        validate_uscc(good[:-1] + ("0" if good[-1] != "0" else "1"))
    with pytest.raises(ValueError, match="行政区划代码"):
        validate_uscc("91ABCDEF" + good[8:])
