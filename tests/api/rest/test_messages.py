"""Field errors reach the mediator in Chinese, whichever schema produced them."""

from __future__ import annotations

import pytest

from api.messages import translate, translate_message
from tests.factories import World
from tests.fixtures import Api


@pytest.mark.parametrize(("english", "chinese"), [
    ("Missing data for required field.", "必填"),
    ("Unknown field.", "不认识的字段"),
    ("Not a valid integer.", "应为整数"),
    ("Not a valid aware datetime.", "应为带时区的日期时间（例如 2026-01-05T09:30:00+08:00）"),
    ("Must be greater than or equal to 1 and less than or equal to 100.", "应≥ 1 且 ≤ 100"),
    ("Must be less than 5.", "应< 5"),
    ("Must be one of: a, b.", "应为以下之一：a, b"),
    ("Longer than maximum length 64.", "不能超过64个字符"),
    ("Length must be between 1 and 64.", "长度应为1至64个字符"),
    ("金额应大于零", "金额应大于零"),  # our own messages pass through
])
def test_translate_message(english: str, chinese: str) -> None:
    assert translate_message(english) == chinese


def test_translate_nested_structures() -> None:
    errors = {"claims": {0: {"amount": ["Not a valid number."]}}, "title": ["Missing data for required field."]}
    assert translate(errors) == {"claims": {0: {"amount": ["应为数字"]}}, "title": ["必填"]}


def test_problem_field_errors_are_chinese(api: Api, world: World) -> None:
    r = api.as_(world.clerk).post("/api/v1/cases/", json={"title": 5, "surprise": True})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert r.json["errors"]["title"] == ["应为文本"]
    assert r.json["errors"]["surprise"] == ["不认识的字段"]
    assert r.json["errors"]["category"] == ["必填"]
