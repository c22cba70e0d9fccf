"""The scheduler: when it runs the sweep and the daily jobs, that a failing job is reported without stopping
the others, and (against the pass's real database) that it lapses an expired mediation and rescores."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mediation.cli.jobs import JobResult, Scheduler, run_daily
from mediation.cli.main import main
from mediation.db.models import Case, CaseEvent
from mediation.domain.clock import CHINA_TZ
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


def scheduler(rec: Recorder, **kw: object) -> Scheduler:
    return Scheduler(lambda: None, jobs={"sweep": rec.job("sweep"), "rescore": rec.job("rescore")},  # type: ignore[arg-type]
                     **kw)  # type: ignore[arg-type]


def names(results: list[JobResult]) -> list[str]:
    return [r.job for r in results]


def test_sweeps_on_interval_and_runs_the_daily_jobs_once_a_day_after_the_hour() -> None:
    rec = Recorder()
    s = scheduler(rec, sweep_every=dt.timedelta(minutes=15), daily_at=dt.time(1, 30))
    # started mid-morning: today's daily jobs have not run yet, so they run at once (the sweep first)
    assert names(s.tick(china(2026, 11, 26, 10, 0))) == ["期限检查", "风险重新评估"]
    assert s.tick(china(2026, 11, 26, 10, 5)) == []
    assert names(s.tick(china(2026, 11, 26, 10, 15))) == ["期限检查"]
    assert s.tick(china(2026, 11, 26, 10, 29)) == []
    # after midnight but before the daily hour: only the sweep
    assert names(s.tick(china(2026, 11, 27, 0, 40))) == ["期限检查"]
    assert names(s.tick(china(2026, 11, 27, 1, 29))) == ["期限检查"]
    # the daily hour on China time, whatever the clock's zone
    utc = china(2026, 11, 27, 1, 31).astimezone(dt.UTC)
    assert names(s.tick(utc)) == ["期限检查", "风险重新评估"]
    assert s.tick(utc + dt.timedelta(minutes=1)) == []
    assert [n for n, _ in rec.calls].count("rescore") == 2


def test_started_before_the_daily_hour_only_sweeps() -> None:
    rec = Recorder()
    s = scheduler(rec, daily_at=dt.time(1, 30))
    assert names(s.tick(china(2026, 11, 26, 0, 10))) == ["期限检查"]
    assert names(s.tick(china(2026, 11, 26, 1, 30))) == ["期限检查", "风险重新评估"]


def test_a_failing_job_is_reported_and_the_others_still_run() -> None:
    rec = Recorder(fail={"sweep"})
    s = scheduler(rec)
    results = s.tick(china(2026, 11, 26, 9, 0))
    assert [(r.job, r.ok) for r in results] == [("期限检查", False), ("风险重新评估", True)]
    assert "sweep 出错" in results[0].summary and "失败" in results[0].line()
    # the loop goes on: the next interval sweeps again
    assert names(s.tick(china(2026, 11, 26, 9, 15))) == ["期限检查"]


def test_serve_stops_when_asked() -> None:
    rec = Recorder()
    s = scheduler(rec)
    stop = threading.Event()
    seen: list[JobResult] = []

    def report(r: JobResult) -> None:
        seen.append(r)
        stop.set()

    t = threading.Thread(target=s.serve, args=(stop,), kwargs={"report": report, "poll": 0.01,
                                                              "clock": lambda: china(2026, 11, 26, 0, 5)})
    t.start()
    t.join(timeout=10)
    assert not t.is_alive() and names(seen) == ["期限检查"]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Scheduler(lambda: None, sweep_every=dt.timedelta(0))  # type: ignore[arg-type,return-value]
    r = CliRunner().invoke(main, ["scheduler", "--daily-at", "25:99"])
    assert r.exit_code != 0 and "HH:MM" in r.output


def test_daily_jobs_lapse_expired_mediation_and_rescore(committing_engine: Engine) -> None:
    today = dt.date(2025, 10, 20)
    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s)
        case_id = drive(s, world, new_case(s, world, today), today, "accept").id

    def factory() -> Session:
        return Session(committing_engine, expire_on_commit=False)

    results = run_daily(factory, china(2025, 11, 20, 2, 0))
    assert [(r.job, r.ok) for r in results] == [("期限检查", True), ("风险重新评估", True)], results
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
