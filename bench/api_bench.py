"""Benchmark: workflow transitions over HTTP under gunicorn (2 workers) on PostgreSQL, driven by wrk.

Run:  python bench/api_bench.py [--duration 20] [--connections 16] [--cases 800] [--worker-class sync|gthread]
      python bench/api_bench.py --documents queue [--duration 10] [--render-workers 2]

``--documents queue`` (documents off the request): the same transitions, first without documents, then with each
``record_session`` producing its session record — numbered in the transition, rendered by ``mediation worker``
(``--render-workers`` processes) into the blob store — while the workers run beside gunicorn. Prints
transitions/s with and without documents, the time from the transition to the PDF being ready (p50/p95, from the
documents' ``created_at`` and ``rendered_at``), the queue's render throughput, the dashboards' lag (how far the risk
rollups were behind while under load: sampled every 0.5 s) and the machine's core count.

Prepares a fresh PostgreSQL database with cases in mediation, starts gunicorn with 2 workers, and in
the same run measures (1) a trivial Flask endpoint (``/healthz``: the ceiling of this server setup) and
(2) ``POST /api/v1/cases/{id}/transitions`` firing ``record_session`` (payload validation, guards, a session
row, an event row, the version check) with 16 concurrent clients, each working on its own cases and
sending the version it last saw. Prints requests/s, p50/p99 latency, the ratio to the ceiling and the
workers' resident memory. Goal (issue 3): >= 800 transitions/s with p99 <= 50 ms on 2 cores.

It also measures, in the same run and with the same load, the floor under the transitions:
``bench/floor_app.py``, a bare Flask route under the same gunicorn that issues with SQLAlchemy Core only
the SQL the transition issues (token lookup, case lock, case UPDATE, event and session INSERTs, fact
UPDATE, COMMIT) with no validation or engine; and that route with only the lock, UPDATE, INSERT and
COMMIT. No implementation that does the same writes on this stack and machine can pass the first.

To explain the figures it also prints the SQL statements one transition issues, the case observers and
document producer installed (both run inside every transition's unit of work), and where the CPU time of
the transition run went (gunicorn workers, PostgreSQL backends, wrk) per transition. Everything shares the
same cores, so run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchdb import fresh_pg_database, pg_url  # noqa: E402

from mediation.accounts.tokens import issue_token  # noqa: E402
from mediation.cases import service as svc  # noqa: E402
from mediation.db import migrate, registry  # noqa: E402,F401
from mediation.db.engine import make_engine  # noqa: E402
from mediation.runtime.env import ServiceEnv, load_calendar  # noqa: E402
from mediation.wiring import OBSERVERS  # noqa: E402
from tests.factories import application, build_world  # noqa: E402

DB = os.environ.get("MEDIATION_BENCH_DB", "mediation_apibench")
URL = pg_url(DB)

LUA = r"""
local ids = {%(ids)s}
local token = "%(token)s"
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  versions = {}
  mine = {}
  local n = #ids
  local per = math.floor(n / %(conns)d)
  for k = 1, per do
    local id = ids[tid * per + k]
    table.insert(mine, id)
    versions[id] = 2
  end
  pos = 0
  current = nil
  errors409 = 0
end

body = '{"event":"record_session","payload":{"started_at":"2026-11-20T09:00:00+08:00","place":"调解室",' ..
       '"attendees":["张三","王建国"],"record":"双方陈述意见。"},"version":%%d}'

function request()
  pos = pos %% #mine + 1
  current = mine[pos]
  return wrk.format("POST", "/api/v1/cases/" .. current .. "/transitions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token%(prefer)s},
    string.format(body, versions[current]))
end

function response(status, headers, body)
  local etag = headers["ETag"] or headers["etag"]
  if (status == 200 or status == 204) and etag then
    versions[current] = tonumber(string.match(etag, "%%d+"))
  else
    errors409 = errors409 + 1
  end
end
"""


def prepare(n_cases: int) -> tuple[list[int], str]:
    engine = fresh_pg_database(DB)
    migrate.upgrade(engine)
    today = dt.date.today()
    with Session(engine, expire_on_commit=False) as s:
        world = build_world(s)
        env = ServiceEnv(calendar=load_calendar(s), observers=OBSERVERS)
        ids = []
        for _ in range(n_cases):
            case = svc.create_case(s, actor=world.actor(world.clerk), data=application(world), env=env, today=today)
            case = svc.fire_event(s, case_id=case.id, event="accept", actor=world.actor(world.mediator),
                                  payload={"respondent_consents": True}, env=env, today=today)
            ids.append(case.id)
        _, token = issue_token(s, user=world.mediator, name="bench")
        versions = {c for (c,) in s.execute(text("select distinct version from cases")).all()}
        assert versions == {2}, versions
    engine.dispose()
    return ids, token


def start_gunicorn(port: int, worker_class: str, documents: str, app: str = "api.app:create_app()",
                   **extra_env: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": URL, "SECRET_KEY": secrets.token_urlsafe(48), "MEDIATION_ENV": "production",
           "MEDIATION_DOCUMENTS_ON_TRANSITION": "1" if documents in ("on", "queue") else "0", **BLOB_ENV,
           **extra_env}
    cmd = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
           "--backlog", "256", "--pythonpath", f"{ROOT},{ROOT / 'bench'}"]
    if worker_class == "gthread":
        cmd += ["-k", "gthread", "--threads", "4"]
    cmd.append(app)
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    probe = "/healthz" if app.startswith("api:") else "/api/v1/cases/0/transitions"
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1):
                return proc
        except urllib.error.HTTPError:
            return proc  # it answers (the floor app has no GET route)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def floor(port: int, ids: list[int], token: str, args: argparse.Namespace, steps: str) -> dict[str, float]:
    """The same wrk load against ``floor_app.py``: the transition's SQL in a bare route (see its docstring)."""
    proc = start_gunicorn(port, args.worker_class, "off", "floor_app:create_app()", FLOOR_STEPS=steps)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(LUA % {"ids": ",".join(map(str, ids)), "token": token, "conns": args.connections,
                            "prefer": ""})
        workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                                  text=True).stdout.split()]
        before = (cpu_seconds(workers), cpu_seconds(pids_named("postgres")))
        out = wrk(f"http://127.0.0.1:{port}/api/v1/cases/", args.duration, args.connections, fh.name)
        done = max(out["total"] - out["non2xx"], 1)
        out["worker_ms"] = (cpu_seconds(workers) - before[0]) * 1000 / done
        out["pg_ms"] = (cpu_seconds(pids_named("postgres")) - before[1]) * 1000 / done
        return out
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def worker_rss_mb(master: int) -> list[float]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in out:
        status = Path(f"/proc/{pid}/status").read_text()
        m = re.search(r"VmRSS:\s+(\d+) kB", status)
        if m:
            sizes.append(int(m.group(1)) / 1024)
    return sizes


def wrk(url: str, duration: int, conns: int, script: str | None) -> dict[str, float]:
    cmd = ["wrk", "-t", str(conns), "-c", str(conns), "-d", f"{duration}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert m, out
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%"), "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
            "total": total}


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the given processes (those that have exited count as 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pids_named(name: str) -> list[int]:
    return [int(p) for p in subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout.split()]


def statements_per_transition(case_ids: tuple[int, int], token: str, documents: str,
                              minimal: bool) -> tuple[int, list[str]]:
    """Fire one transition in-process and count the SQL statements it issues (and list them), after a
    first one on another case (which loads the calendar and stamps the token's last use, once per
    process), with the same ``Prefer`` header as the load run."""
    from sqlalchemy import event

    from api.app import create_app
    from mediation.db.engine import make_session_factory

    engine = make_engine(URL)
    app = create_app({"SECRET_KEY": "bench", "DOCUMENTS_ON_TRANSITION": documents == "on"},
                     session_factory=make_session_factory(engine))
    client = app.test_client()
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, stmt, *_a: seen.append(" ".join(stmt.split())))
    body = {"event": "record_session", "version": 2, "payload": {
        "started_at": "2026-11-20T09:00:00+08:00", "place": "调解室", "attendees": ["张三"], "record": "试运行"}}
    headers = {"Authorization": f"Bearer {token}", **({"Prefer": "return=minimal"} if minimal else {})}
    warm, case_id = case_ids
    r = client.post(f"/api/v1/cases/{warm}/transitions", json=body, headers=headers)
    assert r.status_code in (200, 204), r.get_json()
    seen.clear()
    r = client.post(f"/api/v1/cases/{case_id}/transitions", json=body, headers=headers)
    assert r.status_code in (200, 204), r.get_json()
    engine.dispose()
    return len(seen), [st[:110] for st in seen]


def hooks_installed(documents: str) -> str:
    observers = [f"{o.__module__}.{o.__name__}" for o in OBSERVERS] or ["none"]
    return (f"observers: {', '.join(observers)}; session records rendered by the transition: {documents} "
            "(--documents on|off)")


BLOB_DIR = Path(tempfile.gettempdir()) / f"{DB}-blobs"
BLOB_ENV = {"MEDIATION_BLOB_STORE": f"dir:{BLOB_DIR}",
            **({"MEDIATION_FONT_CACHE": str(ROOT / "instance" / "fonts")} if (ROOT / "instance" / "fonts").is_dir()
               else {})}


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def documents_queue(args: argparse.Namespace) -> None:
    """Transitions without and with documents rendered by the queue (see the module's docstring)."""
    import threading

    from sqlalchemy import create_engine

    from mediation.risk import fold

    print(f"preparing {2 * args.cases} cases in mediation on PostgreSQL ...", flush=True)
    ids, token = prepare(2 * args.cases)
    plain_ids, doc_ids = ids[:args.cases], ids[args.cases:]
    engine = create_engine(URL.replace("postgresql://", "postgresql+psycopg://"))
    results: dict[str, dict[str, float]] = {}
    lags: dict[str, list[float]] = {}
    drained_after = float("nan")
    # the workers run through both phases: they fold the risk deltas of every transition, and render in the second
    env = {**os.environ, "DATABASE_URL": URL, "MEDIATION_LOG_LEVEL": "WARNING", **BLOB_ENV}
    workers = subprocess.Popen([sys.executable, "-m", "mediation.cli.main", "worker", "--processes",
                                str(args.render_workers)], cwd=ROOT, env=env, start_new_session=True)
    time.sleep(3)  # the workers connect and load the fonts
    for label, case_ids, documents in (("without documents", plain_ids, "off"), ("with documents", doc_ids, "queue")):
        proc = start_gunicorn(args.port, args.worker_class, documents, MEDIATION_LOG_LEVEL="WARNING")
        stop = threading.Event()
        samples = lags.setdefault(label, [])

        def sample(stop: threading.Event = stop, samples: list[float] = samples) -> None:
            with Session(engine) as s:
                while not stop.wait(0.5):
                    now = dt.datetime.now(dt.UTC)
                    samples.append((now - fold.fresh_as_of(s, now)).total_seconds())
                    s.rollback()

        sampler = threading.Thread(target=sample, daemon=True)
        try:
            base = f"http://127.0.0.1:{args.port}"
            wrk(base + "/healthz", 2, args.connections, None)  # warm-up
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
                fh.write(LUA % {"ids": ",".join(map(str, case_ids)), "token": token, "conns": args.connections,
                                "prefer": ""})
            sampler.start()
            results[label] = wrk(base + "/api/v1/cases/", args.duration, args.connections, fh.name)
            ended = time.monotonic()
            if documents == "queue":
                with Session(engine) as s:
                    for _ in range(1200):
                        pending = s.scalar(text("SELECT count(*) FROM generated_documents WHERE status = 'pending'"))
                        s.rollback()
                        if not pending:
                            break
                        time.sleep(0.25)
                drained_after = time.monotonic() - ended
        finally:
            stop.set()
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
    os.killpg(workers.pid, signal.SIGTERM)
    workers.wait(timeout=60)
    with Session(engine) as s:
        rows = s.execute(text("SELECT extract(epoch FROM rendered_at - created_at), rendered_at, status "
                              "FROM generated_documents WHERE kind = 'session_record'")).all()
        failed = s.scalar(text("SELECT count(*) FROM generated_documents WHERE status <> 'ready'"))
        waiting = fold.pending(s)
    ready = [float(r[0]) for r in rows if r[2] == "ready"]
    stamps = sorted(r[1] for r in rows if r[1] is not None)
    span = (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else float("nan")
    a, b = results["without documents"], results["with documents"]
    print(f"\n== documents off the request: gunicorn 2 workers ({args.worker_class}), {args.connections} clients, "
          f"{args.duration}s each, PostgreSQL, {args.render_workers} queue workers beside them (fold + render); "
          f"{os.cpu_count()} cores on this machine")
    print(f"transitions without documents   {a['rps']:8.0f} req/s   p50 {a['p50']:6.2f} ms   p99 {a['p99']:6.2f} ms   "
          f"non-2xx {a['non2xx']:.0f} of {a['total']:.0f}")
    print(f"transitions with documents      {b['rps']:8.0f} req/s   p50 {b['p50']:6.2f} ms   p99 {b['p99']:6.2f} ms   "
          f"non-2xx {b['non2xx']:.0f} of {b['total']:.0f}   (each numbers and queues a session record)")
    p50, p95 = _percentile(ready, 0.5), _percentile(ready, 0.95)
    rate = len(stamps) / span if span == span and span > 0 else float("nan")
    print(f"transition → PDF ready          p50 {p50:8.2f} s   p95 {p95:8.2f} s"
          f"   ({len(ready)} documents; not ready: {failed})")
    print(f"queue render throughput         {rate:8.1f} "
          f"PDFs/s with {args.render_workers} workers   (backlog drained {drained_after:.1f} s after the load ended)")
    for label, values in lags.items():
        lag50, lag95 = _percentile(values, 0.5), _percentile(values, 0.95)
        print(f"dashboard lag, {label:17s} p50 {lag50:5.2f} s   p95 {lag95:5.2f} s   "
              f"max {max(values, default=float('nan')):5.2f} s   ({len(values)} samples every 0.5 s)")
    print(f"risk deltas waiting at the end  {waiting}")
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--cases", type=int, default=800)
    ap.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--minimal", action="store_true",
                    help="send Prefer: return=minimal (204 + ETag instead of the case detail)")
    ap.add_argument("--documents", choices=("off", "on", "queue"), default="off",
                    help="render the session record each record_session produces (on), or not (off: the engine "
                         "alone; documents then come on demand); queue: without and with documents, rendered by "
                         "the queue's workers, with the time to PDF ready and the queue's throughput")
    ap.add_argument("--render-workers", type=int, default=2, help="--documents queue: worker processes")
    args = ap.parse_args()
    if args.documents == "queue":
        documents_queue(args)
        return
    print(f"preparing {args.cases} cases in mediation on PostgreSQL ...", flush=True)
    ids, token = prepare(3 * args.cases + 2)
    probes, ids = (ids[-2], ids[-1]), ids[:-2]
    ids, floor_ids, minimal_ids = ids[:args.cases], ids[args.cases:2 * args.cases], ids[2 * args.cases:]
    n_statements, statements = statements_per_transition(probes, token, args.documents, args.minimal)
    proc = start_gunicorn(args.port, args.worker_class, args.documents)
    try:
        base = f"http://127.0.0.1:{args.port}"
        wrk(base + "/healthz", 3, args.connections, None)  # warm-up
        ceiling = wrk(base + "/healthz", args.duration, args.connections, None)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(LUA % {"ids": ",".join(map(str, ids)), "token": token, "conns": args.connections,
                            "prefer": ', ["Prefer"] = "return=minimal"' if args.minimal else ""})
            script = fh.name
        workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                                  text=True).stdout.split()]
        pg = pids_named("postgres")
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        before = (cpu_seconds(workers), cpu_seconds(pg), children.ru_utime + children.ru_stime)
        trans = wrk(base + "/api/v1/cases/", args.duration, args.connections, script)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        after = (cpu_seconds(workers), cpu_seconds(pids_named("postgres")), children.ru_utime + children.ru_stime)
        rss = worker_rss_mb(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    same_sql = floor(args.port, floor_ids, token, args, "full")
    minimal_sql = floor(args.port, minimal_ids, token, args, "minimal")
    print(f"\n== gunicorn 2 workers ({args.worker_class}), {args.connections} concurrent clients, "
          f"{args.duration}s each, PostgreSQL")
    print(f"ceiling  GET /healthz          {ceiling['rps']:8.0f} req/s   p50 {ceiling['p50']:6.2f} ms   "
          f"p99 {ceiling['p99']:6.2f} ms")
    print(f"transitions POST record_session {trans['rps']:8.0f} req/s   p50 {trans['p50']:6.2f} ms   "
          f"p99 {trans['p99']:6.2f} ms   non-2xx {trans['non2xx']:.0f} of {trans['total']:.0f}")
    print(f"floor    the same SQL, bare route {same_sql['rps']:6.0f} req/s   p50 {same_sql['p50']:6.2f} ms   "
          f"p99 {same_sql['p99']:6.2f} ms   non-2xx {same_sql['non2xx']:.0f} (bench/floor_app.py: token, lock, "
          "UPDATE, 2 INSERTs, fact UPDATE, COMMIT)")
    print(f"floor    lock+UPDATE+INSERT only {minimal_sql['rps']:7.0f} req/s   p50 {minimal_sql['p50']:6.2f} ms   "
          f"p99 {minimal_sql['p99']:6.2f} ms   non-2xx {minimal_sql['non2xx']:.0f}")
    print(f"ratio transitions/ceiling      {trans['rps'] / ceiling['rps']:.2f}   transitions/floor "
          f"{trans['rps'] / same_sql['rps']:.2f}")
    print("worker RSS after run           " + ", ".join(f"{m:.0f} MB" for m in rss))
    done = max(trans["total"] - trans["non2xx"], 1)
    workers_ms = (after[0] - before[0]) * 1000 / done
    pg_ms = (after[1] - before[1]) * 1000 / done
    wrk_ms = (after[2] - before[2]) * 1000 / done
    print(f"CPU per transition             gunicorn workers {workers_ms:.2f} ms, PostgreSQL {pg_ms:.2f} ms, "
          f"wrk {wrk_ms:.2f} ms (on {os.cpu_count()} cores: at most "
          f"{os.cpu_count() * 1000 / (workers_ms + pg_ms + wrk_ms):.0f} transitions/s)")
    print(f"CPU per floor request          gunicorn workers {same_sql['worker_ms']:.2f} ms, PostgreSQL "
          f"{same_sql['pg_ms']:.2f} ms (the same SQL); the transition's own work in the workers: "
          f"{workers_ms - same_sql['worker_ms']:.2f} ms")
    print(f"SQL statements per transition  {n_statements}")
    for st in statements:
        print(f"    {st}")
    print(hooks_installed(args.documents))


if __name__ == "__main__":
    main()
