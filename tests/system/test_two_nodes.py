"""Several nodes on one PostgreSQL database: two gunicorn nodes and two queue workers (real processes) drive
cases through both nodes; both workers' periodic deferrers fire the same tick and both run the daily jobs;
checked: no duplicate job effects (one job per tick, one daily run per China date, one lapse per case, one
alert per key), no lost job (every deferred job finished), invariants hold (status = last event, risk tables =
recomputation)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from mediation.accounts.tokens import issue_token
from mediation.db import migrate
from mediation.db.engine import make_engine
from mediation.db.models import Case, CaseEvent
from mediation.db.models_ops import PeriodicRun
from mediation.db.models_risk import RiskAlert
from mediation.domain.clock import china_today
from mediation.risk import maintenance
from mediation.tasks.periodic import daily_job
from tests.conftest import PG_ADMIN_URL, PG_PREFIX
from tests.factories import application, build_world
from tests.pgdb import drop_database, recreate_database

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SECRET = "two-nodes-test-secret-k8Zq3Lw9Rt5Vx2Nb7Hy4"  # production refuses a weak key


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict[str, Any]]:
    name = f"{PG_PREFIX}_nodes_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    url = recreate_database(PG_ADMIN_URL, name)
    engine = make_engine(url)
    migrate.upgrade(engine)
    env = {**os.environ, "DATABASE_URL": url, "MEDIATION_ENV": "production", "SECRET_KEY": SECRET,
           "MEDIATION_BLOB_STORE": f"dir:{tmp_path / 'blobs'}", "MEDIATION_INSTANCE": str(tmp_path),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "WEB_CONCURRENCY": "1",
           "MEDIATION_LOG_LEVEL": "WARNING", "MEDIATION_DOCUMENTS_ON_TRANSITION": "0"}
    (tmp_path / "prom").mkdir()
    procs: list[subprocess.Popen[bytes]] = []
    ports = [_free_port(), _free_port()]
    try:
        for port in ports:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                 "api.app:create_app()"], cwd=ROOT, env={**env, "MEDIATION_BIND": f"127.0.0.1:{port}"},
                stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"node{port}.log", "wb")))
        for i in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "mediation.cli.main", "worker", "--processes", "1", "--heartbeat", "1",
                 "--stalled-after", "5"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                stderr=open(tmp_path / f"worker{i}.log", "wb")))
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        deadline = time.monotonic() + 180
        for base in bases:
            while True:
                try:
                    if requests.get(base + "/readyz", timeout=30).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                assert time.monotonic() < deadline, (tmp_path / f"node{base[-5:]}.log").read_text()[-2000:]
                time.sleep(0.5)
        yield {"engine": engine, "bases": bases, "url": url}
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        engine.dispose()
        drop_database(PG_ADMIN_URL, name)


def _jobs(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as c:
        return list(c.execute(text("SELECT task_name, status, args FROM procrastinate_jobs ORDER BY id")))


def test_two_nodes_and_two_workers_on_one_database(cluster: dict[str, Any]) -> None:
    engine: Engine = cluster["engine"]
    bases: list[str] = cluster["bases"]
    today = china_today()
    with Session(engine, expire_on_commit=False) as s:
        world = build_world(s)
        _, clerk = issue_token(s, user=world.clerk, name="t")
        _, mediator = issue_token(s, user=world.mediator, name="t")
        s.commit()
    headers = {"clerk": {"Authorization": f"Bearer {clerk}"}, "mediator": {"Authorization": f"Bearer {mediator}"}}

    # cases through both nodes: created on one, accepted on the other
    received = (today - dt.timedelta(days=3)).isoformat()
    case_ids = []
    for i in range(8):
        a, b = bases[i % 2], bases[(i + 1) % 2]
        r = requests.post(a + "/api/v1/cases/", json=application(world, received_on=received, title=f"两节点案件{i}"),
                          headers=headers["clerk"], timeout=120)
        assert r.status_code == 201, r.text
        case = r.json()
        r = requests.post(f"{b}/api/v1/cases/{case['id']}/transitions", timeout=120,
                          json={"event": "accept", "payload": {"respondent_consents": True}},
                          headers={**headers["mediator"], "If-Match": f'"{case["version"]}"'})
        assert r.status_code == 200, r.text
        case_ids.append(case["id"])
    assert requests.get(bases[0] + "/readyz", timeout=10).json()["checks"]["queue"]["ok"]

    # both workers' periodic deferrers hit the same tick: the database keeps one job (the workers have already
    # deferred the current tick themselves at start-up, each of them: one job there too)
    tick = int(time.time()) // 900 * 900 - 4 * 900
    with engine.begin() as c:
        ids = [c.execute(text("SELECT procrastinate_defer_periodic_job_v2('periodic', NULL, 'periodic.daily', "
                              "'periodic.daily', 0, 'daily', :ts, CAST(:args AS jsonb))"),
                         {"ts": tick, "args": f'{{"timestamp": {tick}}}'}).scalar() for _ in range(2)]
    assert ids[0] is not None and ids[1] is None
    with engine.connect() as c:
        per_tick = c.execute(text("SELECT task_name, defer_timestamp, count(*) FROM procrastinate_periodic_defers "
                                  "GROUP BY 1, 2")).all()
    assert per_tick and all(n == 1 for _, _, n in per_tick), per_tick

    # and both nodes run the daily jobs directly at the same moment (e.g. cron on each): one run per day
    factory = lambda: Session(engine, expire_on_commit=False)  # noqa: E731
    # a month on (03:00 China time): every mediation above has run out, the sweep lapses it
    later = today + dt.timedelta(days=30)
    now = dt.datetime(later.year, later.month, later.day, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    results: list[str] = []
    threads = [threading.Thread(target=lambda j=j: results.append(daily_job(factory, now, job_id=1000 + j)))
               for j in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    # wait for the queue to drain (no lost job)
    deadline = time.monotonic() + 240
    while any(status in ("todo", "doing") for _, status, _ in _jobs(engine)):
        assert time.monotonic() < deadline, _jobs(engine)
        time.sleep(1)
    jobs = _jobs(engine)
    assert [j for j in jobs if j[1] == "failed"] == []

    with Session(engine) as s:
        runs = s.scalars(select(PeriodicRun).where(PeriodicRun.name == "daily")).all()
        assert later.isoformat() in {r.period for r in runs}  # (and today's, run by the workers' own tick)
        assert all(r.finished_at is not None for r in runs)
        for cid in case_ids:
            lapses = s.scalar(select(func.count()).select_from(CaseEvent)
                              .where(CaseEvent.case_id == cid, CaseEvent.event == "lapse"))
            assert lapses == 1, cid
            case = s.get(Case, cid)
            last = s.scalars(select(CaseEvent).where(CaseEvent.case_id == cid).order_by(CaseEvent.seq.desc())
                             .limit(1)).one()
            assert case is not None and case.status == last.to_state == "lapsed"
        keys = s.scalars(select(RiskAlert.dedupe_key).where(RiskAlert.dedupe_key.is_not(None))).all()
        assert len(keys) == len(set(keys))
        report = maintenance.verify(s)
        assert report.ok, report
    assert sorted("已由其他进程运行" in r for r in results) == [False, True], results
