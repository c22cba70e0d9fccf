"""Document numbers under concurrent generation on PostgreSQL: no duplicates, no gaps."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from documents import service as doc_service
from documents.service import PdfProducer
from mediation.cases import service as case_service
from mediation.db.models_documents import GeneratedDocument
from tests.factories import build_world, drive, new_case, standard_env

TODAY = dt.date(2025, 10, 20)
N = 8


@pytest.mark.postgres_only
def test_concurrent_generation_allocates_distinct_gapless_numbers(committing_engine: Engine,
                                                                 producer: PdfProducer) -> None:
    with Session(committing_engine, expire_on_commit=False) as s:
        world = build_world(s, env=standard_env(s, documents=producer))
        ids = [drive(s, world, new_case(s, world, TODAY), TODAY, "accept").id for _ in range(N + 1)]
        actor = world.actor(world.mediator)
    barrier = threading.Barrier(N + 1)
    errors: list[BaseException] = []

    def generate(case_id: int, fail: bool) -> None:
        with Session(committing_engine, expire_on_commit=False) as s:
            barrier.wait()
            params = {"facts": "拖欠工资", "legal_basis": "《劳动合同法》第三十条", "correction": "支付"}
            try:
                if fail:  # allocates a number and renders, then the transaction fails: the number comes back
                    case = case_service.get_case(s, case_id=case_id, actor=actor, for_update=True)
                    doc_service.generate(s, case, "supervision_opinion", actor=actor, params=params, today=TODAY)
                    s.rollback()
                else:
                    doc_service.generate_on_demand(s, actor=actor, case_id=case_id, kind="supervision_opinion",
                                                   params=params, today=TODAY)
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=generate, args=(cid, i == N)) for i, cid in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with Session(committing_engine) as s:
        numbers = s.scalars(select(GeneratedDocument.number)
                            .where(GeneratedDocument.kind == "supervision_opinion")).all()
    assert sorted(numbers) == sorted(f"东栅工监〔2025〕{n}号" for n in range(1, N + 1))
