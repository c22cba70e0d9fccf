"""Real races on PostgreSQL: N threads fire the same transition at one case at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.cases.sweep import run_sweep
from mediation.db.models import Case, CaseEvent
from mediation.domain.errors import ConflictError, DomainError
from mediation.runtime.env import ServiceEnv
from tests.factories import build_world, drive, new_case, standard_env

TODAY = dt.date(2025, 10, 20)
N = 8


def _race(engine: Engine, case_id: int, version: int, actors: list, event: str, payload: dict,
          env: ServiceEnv) -> list[object]:
    barrier = threading.Barrier(len(actors))
    results: list[object] = [None] * len(actors)

    def run(i: int) -> None:
        with Session(engine, expire_on_commit=False) as s:
            barrier.wait()
            try:
                svc.fire_event(s, case_id=case_id, event=event, actor=actors[i], payload=payload,
                               expected_version=version, today=TODAY, env=env)
                results[i] = "ok"
            except DomainError as exc:
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.postgres_only
def test_one_winner_many_conflicts(committing_engine: Engine) -> None:
    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s)
        case = new_case(s, world, TODAY)
        case_id, version = case.id, case.version
        actors = [world.actor(world.mediator), world.actor(world.mediator2)] * (N // 2)
    results = _race(committing_engine, case_id, version, actors, "accept", {"respondent_consents": True},
                    world.env)
    assert results.count("ok") == 1, results
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(conflicts) == N - 1, results
    with Session(committing_engine) as s:
        n = s.scalar(select(func.count()).select_from(CaseEvent)
                     .where(CaseEvent.case_id == case_id, CaseEvent.event == "accept"))
        assert n == 1
        case = s.get(Case, case_id)
        assert case is not None and case.status == "mediating" and case.version == version + 1


@pytest.mark.postgres_only
def test_concurrent_sweeps_lapse_once(committing_engine: Engine) -> None:
    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s)
        ids = [drive(s, world, new_case(s, world, TODAY), TODAY, "accept").id for _ in range(5)]
    later = TODAY + dt.timedelta(days=40)

    def factory() -> Session:
        return Session(committing_engine, expire_on_commit=False)

    with factory() as s:
        env = standard_env(s)
    reports: list[object] = []
    threads = [threading.Thread(target=lambda: reports.append(run_sweep(factory, today=later, env=env)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    lapsed = sorted(c for r in reports for c in r.lapsed)  # type: ignore[attr-defined]
    assert lapsed == sorted(ids)
    with factory() as s:
        for cid in ids:
            assert s.get(Case, cid).status == "lapsed"  # type: ignore[union-attr]
            n = s.scalar(select(func.count()).select_from(CaseEvent)
                         .where(CaseEvent.case_id == cid, CaseEvent.event == "lapse"))
            assert n == 1
        again = run_sweep(factory, today=later, env=env)
        assert again.lapsed == [] and again.overdue_marked == 0
