"""Benchmark: what the risk observer adds to one workflow transition (it runs inside every one).

Run:  python bench/risk_observer_bench.py [--backend sqlite|postgresql] [--n 300]

Fires ``accept`` and a first ``record_session`` on fresh cases (both change the case's fact row, so the
observer writes facts, rollup and counter deltas; neither changes whether the case is open, so no
re-assessment), once with the registered observers and once with none, in the same run, and prints the
median time per transition, the difference, and the SQL statements per transition.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchdb import fresh_pg_database

from mediation.cases import service as svc
from mediation.db import migrate, registry  # noqa: F401
from mediation.db.engine import make_engine
from mediation.runtime.env import ServiceEnv, load_calendar
from mediation.wiring import OBSERVERS
from tests.factories import application, build_world, session_payload

PG_DB = "mediation_observerbench"


def engine_for(backend: str) -> Any:
    if backend == "postgresql":
        return fresh_pg_database(PG_DB)
    return make_engine(f"sqlite:///{tempfile.mkdtemp()}/observer.sqlite3")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    engine = engine_for(args.backend)
    migrate.upgrade(engine)
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_a: Any) -> None:
        statements[0] += 1

    today = dt.date.today()
    with Session(engine, expire_on_commit=False) as s:
        world = build_world(s)
        calendar = load_calendar(s)
        envs = {"with risk observer": ServiceEnv(calendar=calendar, observers=OBSERVERS),
                "no observers": ServiceEnv(calendar=calendar, observers=())}
        clerk, mediator = world.actor(world.clerk), world.actor(world.mediator)
        print(f"{args.backend}: observers registered: {[o.__module__ + '.' + o.__name__ for o in OBSERVERS]}")
        for ev in ("accept", "record_session"):
            medians = {}
            for label, env in envs.items():
                ids = [svc.create_case(s, actor=clerk, data=application(world), env=env, today=today).id
                       for _ in range(args.n)]
                if ev == "record_session":
                    for i in ids:
                        svc.fire_event(s, case_id=i, event="accept", actor=mediator, env=env, today=today,
                                       payload={"respondent_consents": True})
                payload = session_payload() if ev == "record_session" else {"respondent_consents": True}
                times = []
                statements[0] = 0
                for i in ids:
                    t = time.perf_counter()
                    svc.fire_event(s, case_id=i, event=ev, actor=mediator, env=env, today=today, payload=payload)
                    times.append((time.perf_counter() - t) * 1000)
                medians[label] = (statistics.median(times), statements[0] / len(ids))
                print(f"  {ev:15} {label:20} median {medians[label][0]:6.2f} ms, {medians[label][1]:.1f} statements")
            (w, sw), (n, sn) = medians["with risk observer"], medians["no observers"]
            print(f"  {ev:15} observer adds {w - n:.2f} ms and {sw - sn:.1f} statements per transition")


if __name__ == "__main__":
    main()
