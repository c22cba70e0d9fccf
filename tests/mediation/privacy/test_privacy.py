"""PIPL lifecycle: retention policies as data, legal holds, the purge (dry run first), the access-request export,
all audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mediation.cases import parties as party_svc
from mediation.cli.main import main
from mediation.db.models import Case, CaseEvent, Party
from mediation.db.models_privacy import PrivacyAudit, RetentionPolicy
from mediation.domain.errors import DuplicateError, NotFound, ValidationFailed
from mediation.privacy import policy
from mediation.privacy.access_request import export_person, subject_hash
from mediation.privacy.purge import purge
from tests.factories import WORKER_ID, World, build_world, drive, new_case
from tests.helpers import TODAY

TEN_YEARS_LATER = dt.date(2035, 10, 20)


def _closed(db: Session, w: World, **kw: object) -> Case:
    case = new_case(db, w, TODAY, **kw)
    party_svc.add_party(db, case_id=case.id, actor=w.actor(w.clerk), expected_version=case.version,
                        data={"role": "worker", "name": "王五", "id_number": "11010519491231002X",
                              "phone": "13900001111", "address": "嘉兴市南湖区某路1号"}, env=w.env)
    db.expire_all()
    return drive(db, w, db.get(Case, case.id), TODAY, "withdraw", "close")  # type: ignore[arg-type]


def _snapshot(db: Session, case_id: int) -> list[tuple[object, ...]]:
    db.expire_all()
    return [(p.name, p.id_number, p.phone, p.address, p.legal_representative, p.anonymised_at)
            for p in db.scalars(select(Party).where(Party.case_id == case_id).order_by(Party.id))]


def test_default_policies_are_data(db: Session) -> None:
    assert policy.ensure_default_policies(db) == []  # installed by migration 0012
    rows = {p.subject: p for p in db.scalars(select(RetentionPolicy))}
    assert rows["parties"].action == "anonymise" and rows["parties"].years_after_archive == 10
    assert {"name", "id_number", "phone", "address"} <= set(rows["parties"].fields)
    assert rows["documents"].action == "keep"


def test_purge_dry_run_reports_and_writes_nothing(db: Session, world: World) -> None:
    case = _closed(db, world)
    before = _snapshot(db, case.id)
    report = purge(db, today=TEN_YEARS_LATER, actor="dry-run", dry_run=True)
    assert [c["case_id"] for c in report.cases] == [case.id]
    assert report.parties == 3 and report.fields["id_number"] == 2 and report.fields["name"] == 2
    assert report.fields.get("legal_representative") is None or report.fields["legal_representative"] >= 0
    assert _snapshot(db, case.id) == before
    assert db.scalar(select(PrivacyAudit.id)) is None


def test_purge_anonymises_people_not_before_the_period_and_not_under_hold(db: Session, world: World) -> None:
    case = _closed(db, world)
    held = _closed(db, world, title="保全案件")
    open_case = new_case(db, world, TODAY, title="在办案件")
    policy.place_hold(db, case_ref=held.number, reason="当事人已起诉，法院调卷", actor="档案员")
    with pytest.raises(DuplicateError):
        policy.place_hold(db, case_ref=str(held.id), reason="重复", actor="档案员")

    early = purge(db, today=TEN_YEARS_LATER - dt.timedelta(days=1), actor="档案员", dry_run=False)
    assert early.cases == []  # closed 9 years 364 days ago: not yet
    report = purge(db, today=TEN_YEARS_LATER, actor="档案员", dry_run=False)
    assert [c["case_id"] for c in report.cases] == [case.id]
    assert [h["case_id"] for h in report.held] == [held.id]

    rows = {p.role + str(i): p for i, p in enumerate(db.scalars(select(Party).where(Party.case_id == case.id)
                                                                .order_by(Party.id)))}
    for p in rows.values():
        assert p.anonymised_at is not None
        if p.role == "employer":
            assert p.name and p.name != "（已匿名）" and p.legal_representative is None
        else:
            assert (p.name, p.id_number, p.phone, p.address, p.birth_date) == ("（已匿名）", None, None, None, None)
    named = [e.payload for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                                    CaseEvent.event == "party_added"))]
    assert named and all(p["name"] == "（已匿名）" for p in named)
    assert all(p.anonymised_at is None for p in db.scalars(select(Party).where(Party.case_id.in_(
        [held.id, open_case.id]))))
    audit = db.scalars(select(PrivacyAudit).where(PrivacyAudit.action == "purge")).all()
    assert len(audit) == 2 and audit[-1].actor == "档案员" and audit[-1].details["parties"] == 3
    # nothing left to do; after the hold is released, the held case follows
    assert purge(db, today=TEN_YEARS_LATER, actor="档案员", dry_run=False).cases == []
    policy.release_hold(db, case_ref=held.number, actor="档案员", reason="诉讼终结")
    assert [c["case_id"] for c in purge(db, today=TEN_YEARS_LATER, actor="档案员", dry_run=False).cases] == [held.id]
    actions = [a.action for a in db.scalars(select(PrivacyAudit).order_by(PrivacyAudit.id))]
    assert actions.count("hold_placed") == 1 and actions.count("hold_released") == 1


def test_policy_changes_are_validated_and_audited(db: Session, world: World) -> None:
    case = _closed(db, world)
    p = policy.set_policy(db, subject="parties", actor="管理员", years=20)
    assert p.years_after_archive == 20
    assert purge(db, today=TEN_YEARS_LATER, actor="x", dry_run=True).cases == []
    assert [c["case_id"] for c in purge(db, today=dt.date(2045, 10, 20), actor="x", dry_run=True).cases] == [case.id]
    with pytest.raises(ValidationFailed):
        policy.set_policy(db, subject="parties", actor="管理员", years=0)
    with pytest.raises(ValidationFailed):
        policy.set_policy(db, subject="parties", actor="管理员", fields=["facts"])
    policy.set_policy(db, subject="parties", actor="管理员", active=False)
    assert purge(db, today=dt.date(2045, 10, 20), actor="x", dry_run=False).policy is None
    changes = db.scalars(select(PrivacyAudit).where(PrivacyAudit.action == "policy_changed")).all()
    assert len(changes) == 2 and changes[0].details["before"]["years_after_archive"] == 10
    with pytest.raises(NotFound):
        policy.place_hold(db, case_ref="（2099）无此劳调字第1号", reason="x", actor="y")


def test_access_request_export_finds_everything_and_is_audited(db: Session, world: World) -> None:
    first = new_case(db, world, TODAY)
    second = new_case(db, world, TODAY, title="第二件")
    data = export_person(db, id_number=WORKER_ID.lower(), actor="信息保护专员")
    assert {r["case"]["number"] for r in data["records"]} == {first.number, second.number}
    rec = data["records"][0]
    assert rec["party"]["id_number"] == WORKER_ID and rec["party"]["name"] == "张三"
    assert rec["claims"] and rec["case"]["organisation"]
    json.dumps(data, ensure_ascii=False)  # serialisable as it is
    [row] = db.scalars(select(PrivacyAudit).where(PrivacyAudit.action == "access_export")).all()
    assert row.actor == "信息保护专员" and row.subject_hash == subject_hash(WORKER_ID)
    assert WORKER_ID not in json.dumps(row.details, ensure_ascii=False)
    assert sorted(row.details["cases"]) == sorted([first.number, second.number])
    with pytest.raises(ValidationFailed):
        export_person(db, id_number="12345", actor="x")


def test_anonymised_people_are_no_longer_found(db: Session, world: World) -> None:
    _closed(db, world)
    purge(db, today=TEN_YEARS_LATER, actor="档案员", dry_run=False)
    assert export_person(db, id_number="11010519491231002X", actor="x")["records"] == []


def test_privacy_commands(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", committing_engine.url.render_as_string(hide_password=False))
    with Session(committing_engine, expire_on_commit=False) as s:
        policy.ensure_default_policies(s)  # the committing engine's tables are emptied between tests
        w = build_world(s)
        case = _closed(s, w)
        number = case.number
    run = CliRunner()
    r = run.invoke(main, ["privacy", "policy"], catch_exceptions=False)
    assert r.exit_code == 0 and "parties" in r.output and "10" in r.output
    r = run.invoke(main, ["privacy", "purge", "--dry-run", "--today", "2035-10-20"], catch_exceptions=False)
    assert r.exit_code == 0 and "试运行" in r.output and number in r.output, r.output
    r = run.invoke(main, ["privacy", "purge", "--today", "2035-10-20"])
    assert r.exit_code != 0 and "--operator" in r.output
    r = run.invoke(main, ["privacy", "hold", number, "--reason", "诉讼中", "--operator", "档案员"],
                   catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert number in run.invoke(main, ["privacy", "holds"], catch_exceptions=False).output
    r = run.invoke(main, ["privacy", "purge", "--today", "2035-10-20", "--operator", "档案员"], catch_exceptions=False)
    assert r.exit_code == 0 and "因保全未处理：1件" in r.output, r.output
    out = tmp_path / "export.json"
    r = run.invoke(main, ["privacy", "export", "--id-number", WORKER_ID, "--output", str(out), "--operator", "专员"],
                   catch_exceptions=False)
    assert r.exit_code == 0 and json.loads(out.read_text(encoding="utf-8"))["records"], r.output
    r = run.invoke(main, ["privacy", "release", number, "--operator", "档案员"], catch_exceptions=False)
    assert r.exit_code == 0
    r = run.invoke(main, ["privacy", "purge", "--today", "2035-10-20", "--operator", "档案员", "--json"],
                   catch_exceptions=False)
    assert json.loads(r.output)["cases"][0]["number"] == number
    audit = run.invoke(main, ["privacy", "audit"], catch_exceptions=False).output
    assert "access_export" in audit and "hold_placed" in audit and "purge" in audit
    r = run.invoke(main, ["privacy", "policy-set", "parties", "--years", "0", "--operator", "x"])
    assert r.exit_code != 0


def test_the_history_stays_append_only_outside_the_purge(db: Session, world: World) -> None:
    """The purge may replace names in party events; nothing else may change the history (the database refuses
    on PostgreSQL, the ORM everywhere)."""
    from sqlalchemy import update
    from sqlalchemy.exc import DBAPIError

    case = new_case(db, world, TODAY)
    ev = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).first()
    assert ev is not None
    with pytest.raises(RuntimeError):
        with db.begin_nested():
            ev.reason = "改写历史"
            db.flush()
    db.expire_all()
    if db.get_bind().dialect.name == "postgresql":
        with pytest.raises(DBAPIError):
            with db.begin_nested():
                db.execute(update(CaseEvent).where(CaseEvent.id == ev.id).values(payload={"x": 1}))
