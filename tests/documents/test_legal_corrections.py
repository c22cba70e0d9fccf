"""Legal corrections read back from the produced PDFs: the arbitration-review pair the deadline row also cites,
per-worker amounts of a collective agreement, the limitation estimate of an enterprise committee's lapsed
mediation, masked reporters in the early-warning report — and no internal marker in any PDF of these flows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.cases import service as svc
from mediation.db.models import Case
from mediation.db.models_documents import GeneratedDocument
from mediation.domain.errors import GuardFailed
from mediation.domain.policy import Actor
from mediation.risk.signals import record_signal
from mediation.runtime.env import ServiceEnv
from tests.factories import World, agreement_payload, application, build_world, drive
from tests.helpers import pdf_text, signal_data
from tests.mediation.domain.test_legal_basis import offending

TODAY = dt.date(2025, 10, 20)
D = dt.date

pytestmark = pytest.mark.usefixtures("producer")

AUTHORISED = {"authorised_to_sign": True, "authorisation_scope": "代为承认、放弃、变更调解请求，代为达成、签署调解协议"}


@pytest.fixture
def world(db: Session, env: ServiceEnv) -> World:
    return build_world(db, env=env)


def texts(db: Session, case: Case, kind: str | None = None) -> list[str]:
    stmt = select(GeneratedDocument).where(GeneratedDocument.case_id == case.id)
    if kind:
        stmt = stmt.where(GeneratedDocument.kind == kind)
    return [re.sub(r"—\d+—", "", pdf_text(d.content)) for d in db.scalars(stmt.order_by(GeneratedDocument.id))]


def collective_case(db: Session, world: World, reps: list[dict[str, Any]]) -> Case:
    data = application(world, workers_count=12, is_collective=True, common_claim="支付拖欠的2025年7月至9月工资")
    data["parties"] = [
        {"role": "worker", "name": "张三"}, {"role": "worker", "name": "李四"}, *reps,
        {"role": "employer", "name": world.enterprise.name, "legal_representative": "王建国"},
    ]
    return svc.create_case(db, actor=world.actor(world.clerk), data=data, today=TODAY, env=world.env)


def test_the_agreement_and_its_deadline_row_cite_the_same_review_pair(db: Session, world: World) -> None:
    case = drive(db, world, svc.create_case(db, actor=world.actor(world.clerk), data=application(world),
                                            today=TODAY, env=world.env), TODAY, "accept", "sign_agreement")
    [row] = [d for d in case.deadlines if d.kind == "arbitration_review"]
    [t] = texts(db, case, "mediation_agreement")
    assert row.basis == "《企业劳动争议协商调解规定》第二十七条第二款、《劳动人事争议仲裁办案规则》第七十四条"
    assert f"提出仲裁审查申请（{row.basis}）" in t
    assert "逾期申请的不予受理（《劳动人事争议仲裁办案规则》第七十五条第三项）" in t
    # the acceptance notice cites the article of the mediation_end row
    [end] = [d for d in case.deadlines if d.kind == "mediation_end"]
    [notice] = texts(db, case, "acceptance_notice")
    assert f"经双方当事人同意可以延长（{end.basis}）" in notice


def test_a_collective_agreement_lists_each_workers_amount(db: Session, world: World) -> None:
    case = collective_case(db, world, [{"role": "representative", "name": n, **AUTHORISED}
                                       for n in ("赵一", "钱二", "孙三")])
    case = drive(db, world, case, TODAY, "accept")
    payload = agreement_payload(TODAY)
    due = (TODAY + dt.timedelta(days=10)).isoformat()
    payload["obligations"] = [
        {"description": "支付2025年7-9月工资", "claim_type": "wages", "amount": "12000.00", "due_on": due,
         "beneficiary": "张三"},
        {"description": "支付2025年7-9月工资", "claim_type": "wages", "amount": "10005.50", "due_on": due,
         "beneficiary": "李四"},
    ]
    case = svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator),
                          payload=payload, today=TODAY, env=world.env)
    assert [o.beneficiary for o in case.current_agreement.obligations] == ["张三", "李四"]  # type: ignore[union-attr]
    [t] = texts(db, case, "mediation_agreement")
    assert "1.被申请人向张三支付2025年7-9月工资，金额12,000.00元" in t
    assert "各职工应得款项：" in t and "序号职工姓名金额1张三12,000.00元" in t
    assert "2李四10,005.50元（人民币壹万零伍元伍角整）" in t


def test_a_representative_without_special_authorisation_cannot_sign_for_the_workers(
        db: Session, world: World) -> None:
    case = collective_case(db, world, [{"role": "representative", "name": "赵一", **AUTHORISED},
                                       {"role": "representative", "name": "钱二"},
                                       {"role": "representative", "name": "孙三"}])
    case = drive(db, world, case, TODAY, "accept")
    with pytest.raises(GuardFailed) as exc:
        svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator),
                       payload=agreement_payload(TODAY), today=TODAY, env=world.env)
    [blocker] = exc.value.blockers
    assert blocker.guard == "representatives_authorised"
    assert blocker.reason.startswith("代表钱二、孙三未经劳动者特别授权")
    assert texts(db, case, "mediation_agreement") == []  # nothing signed, nothing produced


def test_the_termination_certificate_words_the_limitation_as_an_estimate_from_the_restarting_day(
        db: Session, world: World) -> None:
    world.township.kind = "enterprise_committee"
    db.commit()
    case = svc.create_case(db, actor=world.actor(world.clerk), data=application(world), today=D(2025, 9, 28),
                           env=world.env)
    case = drive(db, world, case, D(2025, 9, 29), "accept")
    case = svc.fire_event(db, case_id=case.id, event="lapse", actor=Actor.system(), today=D(2025, 10, 15),
                          env=world.env)
    case = svc.fire_event(db, case_id=case.id, event="terminate", actor=world.actor(world.mediator),
                          payload={"end_reason": "lapsed", "reason": "期满未达成协议"}, today=D(2025, 10, 16),
                          env=world.env)
    [t] = texts(db, case, "termination_certificate")
    assert ("按本会记录推算，仲裁时效自2025年10月14日起重新计算（依据：《中华人民共和国劳动争议调解仲裁法》第二十七条"
            "第二款、《企业劳动争议协商调解规定》第三十一条），一年期间约至2026年10月14日届满") in t
    assert "此为本会根据记录所作的估算，仅供参考" in t and "最迟至" not in t


def test_the_early_warning_report_masks_the_signal_reporters(db: Session, world: World) -> None:
    record_signal(db, actor=world.actor(world.clerk), data=signal_data(world, reporter_name="李网格员",
                                                                        reporter_phone="13900001111"))
    case = collective_case(db, world, [])
    svc.fire_event(db, case_id=case.id, event="escalate", actor=world.actor(world.mediator), today=TODAY,
                   env=world.env)
    [t] = texts(db, case, "early_warning_report")
    assert "风险信息来源" in t and "李*" in t
    assert "李网格员" not in t and "13900001111" not in t


def test_no_pdf_of_these_flows_carries_an_internal_marker(db: Session, world: World) -> None:
    cases = []
    for kind in ("enterprise_committee", "township_mediation", "peoples_mediation"):
        world.township.kind = kind
        db.commit()
        rejected = svc.create_case(db, actor=world.actor(world.clerk), data=application(world), today=TODAY,
                                   env=world.env)
        cases.append(svc.fire_event(db, case_id=rejected.id, event="reject", actor=world.actor(world.mediator),
                                    payload={"reason_code": "respondent_refuses", "reason": "拒绝调解"},
                                    today=TODAY, env=world.env))
        cases.append(drive(db, world, svc.create_case(db, actor=world.actor(world.clerk), data=application(world),
                                                      today=TODAY, env=world.env), TODAY, "accept", "record_session",
                           "terminate", "refer"))
        cases.append(drive(db, world, svc.create_case(db, actor=world.actor(world.clerk), data=application(world),
                                                      today=TODAY, env=world.env), TODAY, "accept",
                           "sign_agreement"))
    produced = [t for c in cases for t in texts(db, c)]
    assert len(produced) >= 15
    assert [offending(t) for t in produced if offending(t)] == []
