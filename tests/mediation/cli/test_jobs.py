"""The periodic jobs: the in-process runner (SQLite demo) runs the sweep on its interval and the daily jobs once
per China date after the hour (the claim decides), a failing job is reported without stopping the others, and
(against the pass's real database) the daily jobs lapse an expired mediation and rescore."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mediation.cli.main import main
from mediation.db.models import Case, CaseEvent
from mediation.domain.clock import CHINA_TZ
from mediation.tasks.periodic import JobResult, PeriodicRunner, daily_job, run_daily
from tests.factories import build_world, drive, new_case


def china(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=CHINA_TZ)


class Recorder:
    def __init__(self, fail: set[str] | None = None) -> None:
        self.calls: list[tuple[str, dt.datetime]] = []
        self.fail = fail or set()

    def job(self, name: str):
        def run(_factory: object, now: dt.datetime) -> str:
            self.calls.append((name, now))
            if name in self.fail:
                raise RuntimeError(f"{name} 出错")
            return f"{name} ok"

        return run


def runner(rec: Recorder, **kw: object) -> PeriodicRunner:
    return PeriodicRunner(lambda: None, jobs={"sweep": rec.job("sweep"), "daily": rec.job("daily")},  # type: ignore[arg-type]
                          **kw)  # type: ignore[arg-type]


def names(results: list[JobResult]) -> list[str]:
    return [r.job for r in results]


def test_runs_the_periodic_jobs_on_the_interval() -> None:
    rec = Recorder()
    s = runner(rec, sweep_every=dt.timedelta(minutes=15))
    assert names(s.tick(china(2026, 11, 26, 10, 0))) == ["期限检查", "每日任务"]
    assert s.tick(china(2026, 11, 26, 10, 5)) == []
    assert names(s.tick(china(2026, 11, 26, 10, 15))) == ["期限检查", "每日任务"]


def test_a_failing_job_is_reported_and_the_others_still_run() -> None:
    rec = Recorder(fail={"sweep"})
    s = runner(rec)
    results = s.tick(china(2026, 11, 26, 9, 0))
    assert [(r.job, r.ok) for r in results] == [("期限检查", False), ("每日任务", True)]
    assert "sweep 出错" in results[0].summary and "失败" in results[0].line()
    assert names(s.tick(china(2026, 11, 26, 9, 15))) == ["期限检查", "每日任务"]


def test_serve_stops_when_asked() -> None:
    rec = Recorder()
    s = runner(rec)
    stop = threading.Event()
    seen: list[JobResult] = []

    def report(r: JobResult) -> None:
        seen.append(r)
        stop.set()

    t = threading.Thread(target=s.serve, args=(stop,), kwargs={"report": report, "poll": 0.01,
                                                              "clock": lambda: china(2026, 11, 26, 0, 5)})
    t.start()
    t.join(timeout=10)
    assert not t.is_alive() and names(seen)[0] == "期限检查"


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        PeriodicRunner(lambda: None, sweep_every=dt.timedelta(0))  # type: ignore[arg-type,return-value]
    r = CliRunner().invoke(main, ["worker", "--daily-at", "25:99"])
    assert r.exit_code != 0 and "HH:MM" in r.output


def test_the_daily_jobs_run_once_per_china_date_after_the_hour(committing_engine: Engine) -> None:
    def factory() -> Session:
        return Session(committing_engine, expire_on_commit=False)

    # before 01:30 China time: not due (17:00 UTC is 01:00 the next day in China)
    assert "未到" in daily_job(factory, china(2026, 11, 26, 1, 0))
    first = daily_job(factory, china(2026, 11, 26, 1, 45), job_id=1)
    assert "期限检查完成" in first and "风险重新评估完成" in first
    # another worker's job the same day: skipped; the next China day: runs
    assert "已由其他进程运行" in daily_job(factory, china(2026, 11, 26, 9, 0), job_id=2)
    assert "期限检查完成" in daily_job(factory, china(2026, 11, 27, 1, 31), job_id=3)


def test_daily_jobs_lapse_expired_mediation_and_rescore(committing_engine: Engine) -> None:
    today = dt.date(2025, 10, 20)
    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s)
        case_id = drive(s, world, new_case(s, world, today), today, "accept").id

    def factory() -> Session:
        return Session(committing_engine, expire_on_commit=False)

    results = run_daily(factory, china(2025, 11, 20, 2, 0))
    expected = [("期限检查", True), ("风险重新评估", True), ("清理过期登录记录", True)]
    assert [(r.job, r.ok) for r in results] == expected, results
    assert "调解期满1件" in results[0].summary
    assert "评估" in results[1].summary
    with factory() as s:
        assert s.get(Case, case_id).status == "lapsed"  # type: ignore[union-attr]
        lapses = s.scalar(select(func.count()).select_from(CaseEvent)
                          .where(CaseEvent.case_id == case_id, CaseEvent.event == "lapse"))
        assert lapses == 1
    # again the same day: nothing more happens
    again = run_daily(factory, china(2025, 11, 20, 3, 0))
    assert all(r.ok for r in again) and "调解期满0件" in again[0].summary


def test_daily_command(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    r = CliRunner().invoke(main, ["daily"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "期限检查完成" in r.output and "风险重新评估完成" in r.output
