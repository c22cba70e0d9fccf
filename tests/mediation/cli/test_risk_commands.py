"""``mediation risk …`` against the pass's real database: synthetic import, verify, tamper, rebuild."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from mediation.cli.main import main
from mediation.db.models import Case, CaseEvent, Enterprise
from mediation.db.models_risk import EnterpriseRisk, RiskCaseFacts, RiskRollup
from mediation.risk import bulk


@pytest.fixture
def run(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    runner = CliRunner()

    def _run(*args: str) -> Any:
        return runner.invoke(main, list(args), catch_exceptions=False)

    return _run


def test_import_verify_tamper_rebuild(run: Any, committing_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "DROP_INDEXES_FROM", 1000)  # exercise the large-import path: indexes dropped, rebuilt
    r = run("risk", "import-synthetic", "--cases", "1500", "--province", "330000", "--seed", "7")
    assert r.exit_code == 0, r.output
    # 17: the case number's index is unique (numbers are unique in the installation), so it stays during the load
    assert "导入1,500件案件" in r.output and "已重建17个索引" in r.output
    with Session(committing_engine) as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1500
        assert s.scalar(select(func.count()).select_from(RiskCaseFacts)) == 1500
        # every case's history ends in its status
        last = (select(CaseEvent.case_id, func.max(CaseEvent.seq).label("seq")).group_by(CaseEvent.case_id)
                .subquery())
        ends = s.execute(select(Case.status, CaseEvent.to_state).join(last, last.c.case_id == Case.id)
                         .join(CaseEvent, (CaseEvent.case_id == Case.id) & (CaseEvent.seq == last.c.seq))).all()
        assert len(ends) == 1500 and all(a == b for a, b in ends)
        collective = s.scalar(select(func.count()).select_from(Case).where(Case.is_collective)) or 0
        assert 0 < collective < 150  # a few per cent
        assert s.scalar(select(func.count()).select_from(EnterpriseRisk)) > 0
        assert s.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.region_code.like("33%"))) == 75
    r = run("risk", "verify")
    assert r.exit_code == 0 and r.output.startswith("一致"), r.output

    with Session(committing_engine) as s:
        s.execute(update(RiskRollup).where(RiskRollup.dim == "county").values(cases=RiskRollup.cases + 1))
        s.commit()
    r = run("risk", "verify")
    assert r.exit_code == 1 and "不一致" in r.output and "汇总行" in r.output
    assert run("risk", "rebuild").exit_code == 0
    assert run("risk", "verify").exit_code == 0

    # a second import adds to the first (fresh ids, organisations and numbers)
    r = run("risk", "import-synthetic", "--cases", "300", "--province", "320000", "--no-score")
    assert r.exit_code == 0, r.output
    assert run("risk", "verify").exit_code == 0
    r = run("risk", "rescore", "--no-alerts")
    assert r.exit_code == 0 and "评估" in r.output
    assert run("risk", "verify").exit_code == 0


def test_bad_province_is_refused(run: Any) -> None:
    r = run("risk", "import-synthetic", "--cases", "10", "--province", "330100")
    assert r.exit_code != 0 and "不是省级行政区划代码" in r.output


def test_large_imports_drop_and_rebuild_the_secondary_indexes() -> None:
    names = {str(i.name) for i in bulk.secondary_indexes()}
    assert {"ix_cases_status", "ix_case_events_case_id", "ix_claims_case_id"} <= names
    assert not any(i.unique for i in bulk.secondary_indexes())


def test_a_failing_generator_rolls_the_import_back(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from mediation.risk import synthetic

    def broken(*_a: Any, **_k: Any) -> Any:
        raise ValueError("生成器故障")
        yield  # pragma: no cover

    monkeypatch.setattr(synthetic, "cases", broken)
    with Session(committing_engine) as s, pytest.raises(RuntimeError, match="生成器故障"):
        bulk.import_synthetic(s, cases=50, provinces=("330000",))
    with Session(committing_engine) as s:
        assert s.scalar(select(func.count()).select_from(Enterprise)) == 0


def test_copy_text_marks_nulls_and_escapes_only_what_needs_it() -> None:
    assert bulk.copy_text([]) == ""
    assert bulk.copy_text([(1, None, "甲"), (2, "x", 3)]) == "1\t\\N\t甲\n2\tx\t3\n"
    # a value with a separator, a backslash or the word None: the batch is escaped value by value
    assert bulk.copy_text([(1, "a\tb", None), (2, "c\nd", "e\\f")]) == "1\ta\\tb\t\\N\n2\tc\\nd\te\\\\f\n"
    assert bulk.copy_text([(1, "None", None)]) == "1\tNone\t\\N\n"
    assert bulk.copy_text([(1, "\\N", None)]) == "1\t\\\\N\t\\N\n"
    assert bulk.copy_text([(1, "a\rb")]) == "1\ta\\rb\n"


def test_verify_counts_waiting_deltas_and_fold_folds_them(run: Any, committing_engine: Engine) -> None:
    from mediation.risk import facts, fold
    from tests.factories import build_world, new_case, standard_env
    from tests.helpers import TODAY

    with Session(committing_engine, info={facts.FOLD_BY_WORKER: True}) as s:  # as the app on PostgreSQL
        world = build_world(s, "_cli")
        world.env = standard_env(s)
        new_case(s, world, TODAY)
        s.commit()
        waiting = fold.pending(s)
    assert waiting >= 1
    r = run("risk", "verify")
    assert r.exit_code == 0 and f"含尚未汇总的变更{waiting}条" in r.output, r.output
    with Session(committing_engine) as s:
        assert fold.pending(s) == waiting  # verify changed nothing
    r = run("risk", "fold")
    assert r.exit_code == 0 and f"已汇总{waiting}条变更" in r.output
    r = run("risk", "verify")
    assert r.exit_code == 0 and r.output.startswith("一致") and "尚未汇总" not in r.output
    assert run("risk", "fold").output.strip() == "已汇总0条变更"
