"""Several nodes: a calendar loaded on one node is used by every process at once (the version row), and
production refuses settings that would keep state on one node (no DATABASE_URL, files on a local disk)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mediation.cases.calendar_admin import load_year
from mediation.runtime import env as env_module
from mediation.runtime.settings import ConfigurationError, Settings


def test_a_calendar_loaded_elsewhere_is_seen_at_the_next_operation(committing_engine: Engine) -> None:
    day = dt.date(2031, 3, 3)  # a Monday, no library data for 2031
    with Session(committing_engine) as s:
        assert env_module.cached_calendar(s).is_workday(day)
    # "another node" loads the 2031 schedule: this process's cache is not told, the version row is
    with Session(committing_engine) as other:
        load_year(other, {"year": 2031, "source": "测试", "holidays": [day.isoformat()], "workdays": []})
    with Session(committing_engine) as s:
        assert not env_module.cached_calendar(s).is_workday(day)


def test_the_cache_is_kept_while_the_version_is_unchanged(committing_engine: Engine,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[int] = []
    real = env_module.load_calendar
    monkeypatch.setattr(env_module, "load_calendar", lambda s: loads.append(1) or real(s))
    env_module.invalidate_calendar_cache()
    for _ in range(3):
        with Session(committing_engine) as s:
            env_module.cached_calendar(s)
    assert len(loads) == 1


@pytest.mark.parametrize(("environ", "problem"), [
    ({}, "DATABASE_URL is not set"),
    ({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "names SQLite"),
    ({"DATABASE_URL": "postgresql://db/m"}, "MEDIATION_BLOB_STORE is not set"),
])
def test_production_refuses_to_start_with_state_on_one_node(environ: dict[str, str], problem: str) -> None:
    settings = Settings.from_env({"MEDIATION_ENV": "production", **environ})
    with pytest.raises(ConfigurationError, match=problem):
        settings.check()


def test_production_starts_with_a_database_and_a_shared_store() -> None:
    ok = Settings.from_env({"MEDIATION_ENV": "production", "DATABASE_URL": "postgresql://db/m",
                            "MEDIATION_BLOB_STORE": "s3://bucket/pdf"})
    assert ok.check() is ok and ok.log_format == "json"
    assert Settings.from_env({}).check().log_format == "plain"  # development: the local SQLite default is fine
