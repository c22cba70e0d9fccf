"""The password policy: at least 10 characters, at most 256, not a common password (nor a common one with a
few digits or signs added before or after it, like ``iloveyou2026!``), not the username or the display name
(nor containing them). Every way a password is set — an administrator creating a user or resetting a
password, the command line, the user changing their own — goes through :func:`check_password`.

The common passwords are ``common_passwords.txt`` beside this file (from Django's list; see its header).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 256
PASSWORD_LENGTH = f"密码为{MIN_LENGTH}至{MAX_LENGTH}个字符"
_LIST = Path(__file__).with_name("common_passwords.txt")
_AFFIXES = re.compile(r"^[\d\W_]*(.*?)[\d\W_]*$")


@cache
def common_passwords() -> frozenset[str]:
    with _LIST.open(encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip() and not line.startswith("#"))


def _squash(text: str) -> str:
    return "".join(text.lower().split())


def password_problems(password: str, *, username: str | None = None, display_name: str | None = None) -> list[str]:
    """What is wrong with ``password`` (in Chinese, for the user), empty if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return [f"密码至少{MIN_LENGTH}个字符"]
    if len(password) > MAX_LENGTH:
        return [f"密码不能超过{MAX_LENGTH}个字符"]
    problems = []
    low = password.lower()
    common = common_passwords()
    core = _AFFIXES.match(low)
    if low in common or _squash(low) in common or (core is not None and len(core.group(1)) >= 4
                                                    and core.group(1) in common):
        problems.append("密码过于常见，容易被猜中，请换一个")
    if len(set(password)) < 4:
        problems.append("密码中不同的字符太少")
    for who, label in ((username, "用户名"), (display_name, "姓名")):
        name = _squash(who or "")
        if name and (name == _squash(low) or (len(name) >= 3 and name in _squash(low))):
            problems.append(f"密码不能包含{label}")
    return problems
