"""Benchmark: a realistic mix of mediators and supervisors against the real server, driven by locust.

Run:  python bench/mixed_load.py --db postgresql [--clients 16] [--duration 60]
      python bench/mixed_load.py --db sqlite [--clients 8] [--duration 60]     # the laptop demo set-up

Prepares a fresh database with the demo data (``mediation db upgrade``, ``mediation seed-demo``), starts the
app as it is deployed (gunicorn with ``deploy/gunicorn.conf.py``, 2 workers; on PostgreSQL with a directory
blob store, over plain HTTP, so without production's Secure cookies) and ``mediation worker``, then:

1. measures each request kind alone — one client, sequential requests — and takes the median;
2. runs the users of ``bench/mixed_locustfile.py`` (three mediators in four: workbench, case list, case
   pages, recording sessions, PDF downloads; one supervisor in four: dashboard, hotspot API, today list,
   alerts inbox) with N concurrent clients for the duration;
3. prints per request kind: requests, failures, p50/p95/p99 under load beside the one-client median and the
   ratios p95/alone and p99/alone (goal on PostgreSQL with 16 clients: p95 <= 3x, p99 <= 5x; the SQLite
   demo with 8 clients: p99 <= 500 ms), and how fresh the dashboard says its figures are.

The machine's core count is printed with the figures; load tool, server, worker and database share them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchdb import fresh_pg_database, pg_url  # noqa: E402

from mediation.accounts.tokens import issue_token  # noqa: E402
from mediation.cli.seed import DEMO_PASSWORD  # noqa: E402
from mediation.db import registry  # noqa: E402,F401
from mediation.db.models import Case, User  # noqa: E402
from mediation.db.models_documents import GeneratedDocument  # noqa: E402

KINDS = ("workbench", "case list", "case page", "case (API)", "transition", "PDF download", "dashboard",
         "hotspot API", "today list", "alerts inbox")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FRESH = re.compile(r"数据更新于\s*(\d{1,2}:\d{2}:\d{2})")


def prepare(db: str, tmp: Path) -> str:
    if db == "postgresql":
        fresh_pg_database("mediation_mixed").dispose()
        url = pg_url("mediation_mixed")
    else:
        url = f"sqlite:///{tmp / 'mixed.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url}
    t0 = time.perf_counter()
    subprocess.run(["mediation", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["mediation", "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    print(f"demo data seeded in {time.perf_counter() - t0:.0f} s")
    return url


def accounts(url: str, path: Path) -> dict:
    """Mediators with open cases of their own (and documents on their organisation's cases), supervisors."""
    engine = create_engine(url)
    with Session(engine) as s:
        mediators = []
        for user in s.scalars(select(User).where(User.role == "mediator", User.active.is_(True)).order_by(User.id)):
            cases = list(s.scalars(select(Case.id).where(Case.lead_mediator_id == user.id,
                                                         Case.status == "mediating").order_by(Case.id)))
            if not cases:
                continue
            docs = s.execute(select(GeneratedDocument.case_id, GeneratedDocument.id)
                             .join(Case, Case.id == GeneratedDocument.case_id)
                             .where(Case.organisation_id == user.organisation_id,
                                    GeneratedDocument.status == "ready").limit(20)).all()
            _, token = issue_token(s, user=user, name="mixed-load bench")
            mediators.append({"username": user.username, "token": token, "cases": cases,
                              "documents": [list(d) for d in docs]})
        supervisors = list(s.scalars(select(User.username).where(User.role == "supervisor",
                                                                 User.active.is_(True)).order_by(User.id)))
        s.commit()
    engine.dispose()
    if not mediators or not supervisors:
        raise SystemExit("the demo data has no mediator with a case in mediation, or no supervisor")
    config = {"password": DEMO_PASSWORD, "mediators": mediators, "supervisors": supervisors}
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return config


def start(url: str, db: str, port: int, tmp: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48),
           "MEDIATION_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "MEDIATION_LOG_LEVEL": "WARNING",
           "MEDIATION_INSTANCE": str(tmp)}
    if db == "postgresql":  # as a production node, but over plain HTTP: production's Secure cookies would not come back
        env |= {"MEDIATION_BLOB_STORE": f"dir:{tmp / 'blobs'}"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                               "api.app:create_app()"], cwd=ROOT, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=open(tmp / "server.log", "wb"))
    worker = subprocess.Popen(["mediation", "worker"], cwd=ROOT, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return [server, worker]
        except OSError:
            time.sleep(0.2)
    stop([server, worker])
    raise SystemExit("the server did not start:\n" + (tmp / "server.log").read_text(errors="replace")[-3000:])


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def signed_in(base: str, username: str, password: str) -> requests.Session:
    http = requests.Session()
    token = _CSRF.search(http.get(f"{base}/login").text)
    assert token is not None
    resp = http.post(f"{base}/login", data={"csrf_token": token.group(1), "username": username, "password": password},
                     allow_redirects=False)
    assert resp.status_code in (302, 303), resp.status_code
    return http


def alone(base: str, config: dict, repeats: int) -> dict[str, float]:
    """Each request kind's median with one client and nothing else running (milliseconds)."""
    med = config["mediators"][0]
    mediator = signed_in(base, med["username"], config["password"])
    supervisor = signed_in(base, config["supervisors"][0], config["password"])
    auth = {"Authorization": f"Bearer {med['token']}"}
    case_id = med["cases"][-1]
    version = int(re.sub(r"\D", "", mediator.get(f"{base}/api/v1/cases/{case_id}", headers=auth).headers["ETag"]))

    def transition() -> requests.Response:
        nonlocal version
        started = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(hours=1)).replace(microsecond=0)
        resp = mediator.post(f"{base}/api/v1/cases/{case_id}/transitions", headers=auth, json={
            "event": "record_session", "version": version,
            "payload": {"started_at": started.isoformat(), "place": "调解室", "attendees": ["申请人"],
                        "record": "记录。"}})
        version = int(re.sub(r"\D", "", resp.headers.get("ETag", str(version))))
        return resp

    doc = med["documents"][0] if med["documents"] else None
    calls = {
        "workbench": lambda: mediator.get(f"{base}/ui/"),
        "case list": lambda: mediator.get(f"{base}/ui/cases?view=mine"),
        "case page": lambda: mediator.get(f"{base}/ui/cases/{case_id}"),
        "case (API)": lambda: mediator.get(f"{base}/api/v1/cases/{case_id}", headers=auth),
        "transition": transition,
        "dashboard": lambda: supervisor.get(f"{base}/ui/dashboard"),
        "hotspot API": lambda: supervisor.get(f"{base}/api/v1/hotspots?by=county"),
        "today list": lambda: supervisor.get(f"{base}/ui/today"),
        "alerts inbox": lambda: supervisor.get(f"{base}/ui/alerts"),
    }
    if doc:
        calls["PDF download"] = lambda: mediator.get(f"{base}/api/v1/cases/{doc[0]}/documents/{doc[1]}/pdf",
                                                     headers=auth)
    out = {}
    for kind, call in calls.items():
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            resp = call()
            times.append((time.perf_counter() - t0) * 1000)
            if resp.status_code >= 400:
                raise SystemExit(f"{kind} answered {resp.status_code} with one client: {resp.text[:300]}")
        out[kind] = statistics.median(times)
    return out


def freshness(base: str, config: dict) -> str:
    page = signed_in(base, config["supervisors"][0], config["password"]).get(f"{base}/ui/dashboard").text
    m = _FRESH.search(page)
    if not m:
        return "the dashboard shows no 数据更新于 time"
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    shown = dt.datetime.combine(now.date(), dt.time.fromisoformat(m.group(1)), now.tzinfo)
    return f"数据更新于 {m.group(1)} — {(now - shown).total_seconds():.1f} s behind the clock when read"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    ap.add_argument("--clients", type=int, default=None, help="default 16 on PostgreSQL, 8 on SQLite")
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--alone", type=int, default=15, help="requests per kind for the one-client medians")
    ap.add_argument("--port", type=int, default=5391)
    args = ap.parse_args()
    clients = args.clients or (16 if args.db == "postgresql" else 8)
    base = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url = prepare(args.db, tmp)
        config = accounts(url, tmp / "config.json")
        procs = start(url, args.db, args.port, tmp)
        try:
            single = alone(base, config, args.alone)
            subprocess.run(["locust", "-f", str(ROOT / "bench" / "mixed_locustfile.py"), "--headless",
                            "-u", str(clients), "-r", str(clients), "-t", f"{args.duration}s", "--host", base,
                            "--csv", str(tmp / "run"), "--only-summary", "--loglevel", "WARNING"],
                           env={**os.environ, "MIXED_CONFIG": str(tmp / "config.json")}, cwd=ROOT, check=False,
                           stdout=subprocess.DEVNULL, stderr=open(tmp / "locust.log", "wb"))
            fresh = freshness(base, config)
            rows = {r["Name"]: r for r in csv.DictReader(open(tmp / "run_stats.csv", encoding="utf-8"))}
        finally:
            stop(procs)
    print(f"\n== mixed load: {args.db}, gunicorn 2 workers + 1 worker process, {clients} clients, "
          f"{args.duration} s, {os.cpu_count()} cores (shared by load tool, server and database)")
    print(f"{'request':14s} {'n':>6s} {'fail':>5s} {'alone':>8s} {'p50':>7s} {'p95':>7s} {'p99':>7s} "
          f"{'p95/alone':>9s} {'p99/alone':>9s} {'req/s':>7s}")
    for kind in KINDS:
        r = rows.get(kind)
        if r is None or kind not in single:
            continue
        base_ms = single[kind]
        p50, p95, p99 = (float(r[k]) for k in ("50%", "95%", "99%"))
        print(f"{kind:14s} {int(r['Request Count']):6d} {int(r['Failure Count']):5d} {base_ms:6.1f}ms {p50:5.0f}ms "
              f"{p95:5.0f}ms {p99:5.0f}ms {p95 / base_ms:8.1f}x {p99 / base_ms:8.1f}x {float(r['Requests/s']):7.1f}")
    agg = rows.get("Aggregated")
    if agg:
        print(f"{'all':14s} {int(agg['Request Count']):6d} {int(agg['Failure Count']):5d} {'':8s} "
              f"{float(agg['50%']):5.0f}ms {float(agg['95%']):5.0f}ms {float(agg['99%']):5.0f}ms "
              f"{'':9s} {'':9s} {float(agg['Requests/s']):7.1f}")
    print(f"dashboard freshness after the run: {fresh}")


if __name__ == "__main__":
    main()
