"""Fuzz the REST API with schemathesis against the served OpenAPI document, once per role (not part of CI).

For each role (clerk, mediator, supervisor, admin) it copies one seeded demo database, serves the real
application on a free loopback port (gunicorn, one worker, documents on transition off so the fuzzer spends its
time on the API, not on PDF rendering), takes an API token for the role's demo user and runs

    schemathesis run http://127.0.0.1:PORT/api/v1/openapi.json -H "Authorization: Bearer …" \\
        --checks all --exclude-checks positive_data_acceptance,ignored_auth --max-time SECONDS \\
        --exclude-path-regex '^/api/v1/auth/' --report ndjson,junit --seed N

Each role gets its own copy of the database (an administrator's fuzzer deactivating users or resetting
passwords must not cut off the others' tokens). The login and token endpoints are left out: they throttle
themselves, and revoking the fuzzer's own token ends the run (they are covered by the test suite).
``positive_data_acceptance`` is left out because domain rules (check digits of ID numbers and credit codes,
organisations that must exist, legal guards) refuse some schema-valid bodies by design; ``ignored_auth``
because the fuzzer's token is valid on purpose.

At the end it prints, per role, the number of test cases (requests), the failures by check (5xx separately)
and the report folder. Usage (roles run one after the other unless ``--parallel``):

    python bench/fuzz_api.py --minutes 10                      # all four roles, 10 minutes each
    python bench/fuzz_api.py --minutes 10 --parallel --roles clerk,admin
    python bench/fuzz_api.py --database postgresql ...         # a scratch PostgreSQL database per role

Everything stays on 127.0.0.1; the servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROLES = {"clerk": "clerk_dongshan", "mediator": "med_dongshan1", "supervisor": "sup_jiaxing", "admin": "admin"}
PASSWORD = "demo-password-2026"
PG_ADMIN = os.environ.get("MEDIATION_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(database_url: str, instance: Path) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIATION_INSTANCE": str(instance),
           "MEDIATION_DOCUMENTS_ON_TRANSITION": "0", "MEDIATION_ENV": "development",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return env


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "mediation.cli.main", *args], env=env, cwd=ROOT, check=True)


def _template(work: Path, database: str, cases: int, prefix: str = "mediation_fuzz") -> str:
    """A migrated, seeded database to copy for each role: a SQLite file, or a PostgreSQL template database."""
    if database == "sqlite":
        url = f"sqlite:///{work / 'template.sqlite3'}"
    else:
        sys.path.insert(0, str(ROOT))
        from tests.pgdb import recreate_database

        url = recreate_database(PG_ADMIN, f"{prefix}_template")
    env = _env(url, work / "instance")
    _cli(env, "db", "upgrade")
    _cli(env, "seed-demo", "--cases", str(cases))
    return url


def _copy(template: str, work: Path, role: str, database: str, prefix: str = "mediation_fuzz") -> str:
    if database == "sqlite":
        target = work / f"{role}.sqlite3"
        shutil.copyfile(template.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    from sqlalchemy import text

    from mediation.db.engine import make_engine

    name = f"{prefix}_{role}"
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{prefix}_template"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _serve(url: str, work: Path, role: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    log = open(work / f"{role}-server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "4", "-b", f"127.0.0.1:{port}", "--timeout", "120",
         "api.app:create_app()"], env=_env(url, work / "instance"), cwd=ROOT, stdout=log, stderr=log)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2).read()
            return proc, port
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"the {role} server did not start: see {work / f'{role}-server.log'}")


def _token(port: int, username: str) -> str:
    body = json.dumps({"username": username, "password": PASSWORD, "name": "schemathesis"}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/tokens", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    return str(json.loads(urllib.request.urlopen(req, timeout=30).read())["token"])


def _fuzz(port: int, token: str, seconds: int, reports: Path, seed: int) -> subprocess.Popen[bytes]:
    reports.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "schemathesis.cli", "run", f"http://127.0.0.1:{port}/api/v1/openapi.json",
        "-H", f"Authorization: Bearer {token}",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance,ignored_auth",
        "--exclude-path-regex", "^/api/v1/auth/",
        "--max-time", str(seconds), "--seed", str(seed), "--workers", "2", "--request-timeout", "120",
        "--max-response-time", "120",
        "--report", "ndjson,junit", "--report-dir", str(reports), "--suppress-health-check", "all",
        "--output-truncate", "true", "--no-color",
    ]
    out = open(reports / "schemathesis.out", "wb")
    return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def summarise(reports: Path) -> dict[str, object]:
    """Requests made and failures by check, from the ndjson event stream (and the console output's summary)."""
    requests = 0
    failures: Counter[str] = Counter()
    server_errors: Counter[str] = Counter()
    for path in reports.glob("*.ndjson"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            text = json.dumps(event, ensure_ascii=False)
            requests += text.count('"response": {"status_code"')
            for name, body in event.items():
                if name != "ScenarioFinished" or not isinstance(body, dict):
                    continue
                for check in _walk_checks(body):
                    if check.get("status") in ("failure", "FAILURE", 1, "1"):
                        failures[check.get("name", "?")] += 1
                        if check.get("name") == "not_a_server_error":
                            server_errors[str(check.get("label", ""))[:80]] += 1
    out = (reports / "schemathesis.out").read_text(encoding="utf-8", errors="replace")
    tail = [line for line in out.splitlines()[-60:] if line.strip()]
    return {"requests": requests, "failures": dict(failures), "server_errors": dict(server_errors), "tail": tail}


def _walk_checks(node: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "name" in item and "status" in item and ("response" in item or "failure_info" in item):
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--roles", default=",".join(ROLES))
    p.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql",
                   help="postgresql (default; SQLite's single writer answers 503 'busy' under concurrent fuzzing)")
    p.add_argument("--cases", type=int, default=600, help="demo cases to seed (default 600)")
    p.add_argument("--parallel", action="store_true", help="fuzz the roles at the same time")
    p.add_argument("--seed", type=int, default=20261204)
    p.add_argument("--out", default=None, help="folder for databases, logs and reports (default: a temp folder)")
    p.add_argument("--db-prefix", default="mediation_fuzz",
                   help="PostgreSQL: names of the scratch databases, <prefix>_template and <prefix>_<role> (a second "
                        "run on the same server at the same time takes another)")
    a = p.parse_args()
    roles = [r.strip() for r in a.roles.split(",") if r.strip()]
    work = Path(a.out or tempfile.mkdtemp(prefix="fuzz-api-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    print(f"work folder: {work}", flush=True)
    template = _template(work, a.database, a.cases, a.db_prefix)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        runs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        for role in roles:
            url = _copy(template, work, role, a.database, a.db_prefix)
            proc, port = _serve(url, work, role)
            servers.append(proc)
            token = _token(port, ROLES[role])
            reports = work / f"reports-{role}"
            print(f"{role}: fuzzing http://127.0.0.1:{port}/api/v1 as {ROLES[role]} for {a.minutes} min", flush=True)
            fuzz = _fuzz(port, token, int(a.minutes * 60), reports, a.seed)
            runs[role] = (fuzz, reports)
            if not a.parallel:
                fuzz.wait()
        for fuzz, _ in runs.values():
            fuzz.wait()
        print("\n=== schemathesis per role ===")
        for role, (fuzz, reports) in runs.items():
            s = summarise(reports)
            print(f"\n--- {role} (exit {fuzz.returncode}) — reports in {reports}")
            print(f"requests: {s['requests']}  failures by check: {s['failures']}  5xx: {s['server_errors']}")
            print("\n".join(str(line) for line in s["tail"]))  # type: ignore[attr-defined]
    finally:
        for proc in servers:
            proc.terminate()
        for proc in servers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
