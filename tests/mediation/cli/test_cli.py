"""The command line against the pass's real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mediation.accounts.organisations import create_organisation
from mediation.cli.main import main
from mediation.db.models import CalendarYear, Case, User


@pytest.fixture
def run(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    runner = CliRunner()

    def _run(*args: str, input: str | None = None):
        result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
        return result

    return _run


def test_db_upgrade_is_idempotent(run) -> None:
    r = run("db", "upgrade")
    assert r.exit_code == 0 and "数据库已升级到" in r.output
    assert run("db", "current").output.strip()


def test_create_user_and_refusals(run, committing_engine: Engine) -> None:
    with Session(committing_engine) as s:
        org = create_organisation(s, name="测试总工会", kind="federation", level="city", region_code="330400")
        s.commit()
        org_id = org.id
    r = run("create-user", "--username", "zhang", "--name", "张调解", "--role", "mediator",
            "--organisation-id", str(org_id), "--password", "long-enough-pw")
    assert r.exit_code == 0, r.output
    with Session(committing_engine) as s:
        user = s.scalar(select(User).where(User.username == "zhang"))
        assert user is not None and user.password_hash.startswith("$argon2")
    dup = run("create-user", "--username", "zhang", "--name", "x", "--role", "mediator",
              "--organisation-id", str(org_id), "--password", "long-enough-pw")
    assert dup.exit_code != 0 and "已存在" in dup.output
    short = run("create-user", "--username", "lisi", "--name", "x", "--role", "mediator",
                "--organisation-id", str(org_id), "--password", "short")
    assert short.exit_code != 0 and "至少10个字符" in short.output
    common = run("create-user", "--username", "lisi", "--name", "x", "--role", "mediator",
                 "--organisation-id", str(org_id), "--password", "1234567890")
    assert common.exit_code != 0 and "过于常见" in common.output


def test_workflow_diagram(run, tmp_path: Path) -> None:
    out = tmp_path / "wf.mmd"
    assert run("workflow", "diagram", "--output", str(out)).exit_code == 0
    assert "stateDiagram-v2" in out.read_text(encoding="utf-8")
    assert run("workflow", "diagram", "--version", "9").exit_code != 0


def test_seed_sweep_and_calendar_load(run, committing_engine: Engine, tmp_path: Path) -> None:
    r = run("seed-demo", "--cases", "30", "--enterprises", "15")
    assert r.exit_code == 0 and "演示数据完成" in r.output
    assert "跳过" in run("seed-demo", "--if-empty").output
    sweep = run("deadlines", "sweep")
    assert sweep.exit_code == 0 and "新标记逾期" in sweep.output
    again = run("deadlines", "sweep")
    assert "新标记逾期0项" in again.output and "调解期满0件" in again.output
    assert run("deadlines", "sweep", "--today", "2025-13-01").exit_code != 0
    schedule = tmp_path / "2027.json"
    schedule.write_text(json.dumps({"year": 2027, "source": "测试", "holidays": ["2027-01-01"],
                                    "workdays": []}), encoding="utf-8")
    r = run("calendar", "load", str(schedule))
    assert r.exit_code == 0 and "已载入2027年" in r.output and "重算" in r.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert run("calendar", "load", str(bad)).exit_code != 0
    with Session(committing_engine) as s:
        assert s.get(CalendarYear, 2027) is not None
        assert (s.scalar(select(func.count()).select_from(Case)) or 0) >= 30
