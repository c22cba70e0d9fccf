"""Legal correctness of the documents' wording (review findings 2, 3, 7–10, 14–16, 19, 20, 23–25): each
document is rendered to a real PDF, read back with the PDF text extractor, and checked for the wording the
law requires and for the absence of the wrong wording it replaced."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from documents import service as doc_service
from documents.builders.common import BuildInput
from documents.catalogue import get_kind
from documents.renderer import render_html, render_pdf
from mediation.cases import service as svc
from mediation.db.models import Case
from mediation.db.models_documents import GeneratedDocument
from mediation.domain.errors import ValidationFailed
from mediation.runtime.env import ServiceEnv, cached_calendar
from tests.factories import WORKER_ID, World, agreement_payload, application, build_world, drive
from tests.helpers import pdf_text

TODAY = dt.date(2025, 10, 20)

pytestmark = pytest.mark.usefixtures("producer")


@pytest.fixture
def world(db: Session, env: ServiceEnv) -> World:
    return build_world(db, env=env)


def docs(db: Session, case_id: int, kind: str) -> list[GeneratedDocument]:
    return list(db.scalars(select(GeneratedDocument).where(GeneratedDocument.case_id == case_id,
                                                           GeneratedDocument.kind == kind)
                           .order_by(GeneratedDocument.id)))


def body(content: bytes) -> str:
    """The PDF's text without the page numbers ("— 1 —"), so that sentences can be matched across pages."""
    return re.sub(r"—\d+—", "", pdf_text(content))


def text_of(db: Session, case: Case, kind: str) -> str:
    return body(docs(db, case.id, kind)[-1].content)


def generate(db: Session, world: World, case: Case, kind: str, today: dt.date = TODAY, **params: Any) -> str:
    doc = doc_service.generate_on_demand(db, actor=world.actor(world.mediator), case_id=case.id, kind=kind,
                                         params=params, today=today)
    return body(doc.content)


def has(t: str, *needles: str) -> None:
    missing = [n for n in needles if n not in t]
    assert not missing, f"missing {missing} in: {t[:2500]}"


def lacks(t: str, *needles: str) -> None:
    present = [n for n in needles if n in t]
    assert not present, f"still present {present} in: {t[:2500]}"


def mixed_agreement() -> dict[str, Any]:
    """Probe B of the review: the employer pays twice, the worker returns a laptop, one term has no amount."""
    p = agreement_payload(TODAY)
    p["obligations"] = [
        {"description": "支付2025年7-9月工资", "claim_type": "wages", "amount": "24000.00", "due_on": "2025-11-01"},
        {"obligor": "worker", "description": "返还工作电脑", "claim_type": "other", "amount": "5000.00",
         "due_on": "2025-11-01"},
        {"description": "支付第二期经济补偿", "claim_type": "economic_compensation", "amount": "30000.00",
         "due_on": "2027-01-31"},
        {"description": "为申请人出具解除劳动合同证明", "claim_type": "other", "amount": "0", "due_on": "2025-10-25"},
    ]
    return p


def agreed(db: Session, world: World, payload: dict[str, Any] | None = None, **overrides: Any) -> Case:
    case = svc.create_case(db, actor=world.actor(world.clerk), data=application(world, **overrides), today=TODAY,
                           env=world.env)
    case = drive(db, world, case, TODAY, "accept", "record_session")
    return svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator),
                          payload=payload or mixed_agreement(), today=TODAY, env=world.env)


def settled(db: Session, world: World) -> Case:
    case = svc.create_case(db, actor=world.actor(world.clerk), today=TODAY,
                           data=application(world, source="screening", initial_state="negotiating"), env=world.env)
    return svc.fire_event(db, case_id=case.id, event="settle", actor=world.actor(world.mediator),
                          payload=mixed_agreement(), today=TODAY, env=world.env)


# --- 3: a negotiated settlement is not a mediation agreement ------------------------------------------------


def test_settlement_has_its_own_document_without_mediation_recitals_or_remedies(db: Session, world: World) -> None:
    case = settled(db, world)
    doc = doc_service.generate_on_demand(db, actor=world.actor(world.mediator), case_id=case.id,
                                         kind="mediation_agreement", today=TODAY)
    assert doc.title == "和解协议书"
    assert doc.number == "（2025）东栅劳和登字第1号"  # its own sequence: mediation agreements keep theirs
    t = pdf_text(doc.content)
    has(t, "和解协议书", "登记编号：（2025）东栅劳和登字第1号", "劳动者：张三", "用人单位：嘉兴市南湖精密机械有限公司",
        "经双方协商（《中华人民共和国劳动争议调解仲裁法》第四条），自愿达成如下和解协议",
        "最迟于2025年11月1日（含当日）履行完毕", "履行方式：银行转账",
        # LDMAL art. 5: a settlement not performed -> mediation; no mediation -> arbitration
        "一方当事人不履行本和解协议的，另一方当事人可以向劳动争议调解组织申请调解；不愿调解的，可以依法向劳动人事争议"
        "仲裁委员会申请仲裁（《中华人民共和国劳动争议调解仲裁法》第五条）",
        "劳动者（签名或捺印）", "用人单位（盖章）", "2025年10月20日")
    lacks(t, "向本会申请调解", "受理", "经本会调解", "第十四条", "第十六条", "支付令", "司法确认", "仲裁审查",
          "调解员（签名）", "（印章）", "劳动争议调解协议书")
    # the next mediation agreement of the organisation still gets number 1 of its own sequence
    other = agreed(db, world)
    assert docs(db, other.id, "mediation_agreement")[0].number == "（2025）东栅劳调协字第1号"


def test_review_application_refuses_a_settlement(db: Session, world: World) -> None:
    case = settled(db, world)
    for kind in ("judicial_confirmation", "arbitration_review"):
        with pytest.raises(ValidationFailed, match=r"和解协议.*不能申请仲裁审查或者司法确认"):
            generate(db, world, case, "review_application", review_kind=kind)


# --- 7: non-acceptance: one sentence per reason, each with its own basis and route --------------------------


def _rejected(db: Session, world: World, code: str, note: str, on: dt.date = TODAY) -> str:
    case = svc.create_case(db, actor=world.actor(world.clerk), data=application(world), today=TODAY, env=world.env)
    svc.fire_event(db, case_id=case.id, event="reject", actor=world.actor(world.mediator), today=on,
                   payload={"reason_code": code, "reason": note}, env=world.env)
    return text_of(db, case, "non_acceptance_notice")


def test_non_acceptance_out_of_scope_points_to_other_routes(db: Session, world: World) -> None:
    world.township.kind = "enterprise_committee"
    db.commit()
    t = _rejected(db, world, "out_of_scope", "不属于受理范围")
    has(t, "不属于《中华人民共和国劳动争议调解仲裁法》第二条规定的劳动争议",
        "根据《企业劳动争议协商调解规定》第二十二条的规定，本会决定不予受理。",
        "具体情况：不属于受理范围。",  # the note is a sentence of its own
        "其他合法途径", "如认为该争议属于劳动争议的，可以依法向劳动人事争议仲裁委员会申请仲裁")
    lacks(t, "不予受理。不属于受理范围你", "其权利", "人民调解法", "第十七条", "《中华人民共和国劳动争议调解仲裁法》《",
          "第二十一条", "有关规定")


def test_non_acceptance_refusal_gives_the_arbitration_route_and_the_restarted_limitation(
        db: Session, world: World) -> None:
    world.township.kind = "enterprise_committee"
    db.commit()
    t = _rejected(db, world, "respondent_refuses", "被申请人书面表示不同意调解", on=dt.date(2025, 10, 22))
    has(t, "对方当事人明确表示不同意调解，根据《企业劳动争议协商调解规定》第二十二条的规定，本会决定不予受理。",
        "具体情况：被申请人书面表示不同意调解。", "申请仲裁", "第二十七条",
        # the application interrupted the limitation; the refusal restarts it (ELDNMP art. 31), as an estimate
        "你（你们）于2025年10月20日申请调解，仲裁时效因此中断（《中华人民共和国劳动争议调解仲裁法》第二十七条第二款、"
        "《劳动人事争议仲裁办案规则》第二十七条第一项）。",
        "按本会记录推算，仲裁时效自2025年10月22日起重新计算（依据：《中华人民共和国劳动争议调解仲裁法》第二十七条第二款、"
        "《企业劳动争议协商调解规定》第三十一条），一年期间约至2026年10月22日届满；此为估算")
    lacks(t, "其权利", "人民调解法", "第十七条", "有关规定", "待核实")


def test_non_acceptance_at_a_township_body_cites_its_own_rules_or_nothing(db: Session, world: World) -> None:
    t = _rejected(db, world, "respondent_refuses", "被申请人拒绝")
    has(t, "对方当事人明确表示不同意调解，本会决定不予受理。", "仲裁时效因此中断",
        "仲裁时效自2025年10月20日起重新计算（依据：《中华人民共和国劳动争议调解仲裁法》第二十七条第二款、"
        "《劳动人事争议仲裁办案规则》第二十七条第一项）")
    lacks(t, "企业劳动争议协商调解规定", "有关规定", "人民调解法")
    world.township.own_rules_basis = "《东栅街道劳动争议调解工作规则》第十条"
    db.commit()
    t = _rejected(db, world, "respondent_refuses", "被申请人拒绝")
    has(t, "根据《东栅街道劳动争议调解工作规则》第十条的规定，本会决定不予受理。")


def test_non_acceptance_refusal_cites_pml_17_only_for_a_peoples_mediation_committee(db: Session,
                                                                                   world: World) -> None:
    world.township.kind = "peoples_mediation"
    db.commit()
    t = _rejected(db, world, "respondent_refuses", "被申请人拒绝")
    has(t, "《中华人民共和国人民调解法》第十七条“当事人一方明确拒绝调解的，不得调解”", "申请仲裁")
    lacks(t, "企业劳动争议协商调解规定")


def test_non_acceptance_already_in_arbitration_gives_no_route(db: Session, world: World) -> None:
    t = _rejected(db, world, "already_arbitrated", "已向南湖区仲裁委申请仲裁")
    has(t, "该争议已进入劳动人事争议仲裁或者诉讼程序，本会决定不予受理。", "具体情况：已向南湖区仲裁委申请仲裁。")
    lacks(t, "一年内", "可以依法向劳动人事争议仲裁委员会申请仲裁", "第十七条", "其他合法途径")


# --- 8, 9, 23: the agreement's effect clause, totals per obligor, unambiguous deadlines -----------------------


def test_agreement_effect_clause_totals_and_deadlines(db: Session, world: World) -> None:
    case = agreed(db, world)
    t = text_of(db, case, "mediation_agreement")
    has(t, "自本协议生效之日起十五日内，共同向有管辖权的劳动人事争议仲裁委员会提出仲裁审查申请"
        "（《企业劳动争议协商调解规定》第二十七条第二款、《劳动人事争议仲裁办案规则》第七十四条），"
        "逾期申请的不予受理（《劳动人事争议仲裁办案规则》第七十五条第三项）",
        "未经仲裁审查，一方当事人不履行本协议的，另一方当事人可以依法申请仲裁（《企业劳动争议协商调解规定》第二十八条）",
        "自本协议生效之日起三十日内",
        "申请司法确认（《中华人民共和国民事诉讼法》第二百零五条）",
        "第十四条", "第十五条", "第十六条",
        # one total per obligor, never both sides added together
        "被申请人应支付合计：54,000.00元（人民币伍万肆仟元整）", "申请人应给付合计：5,000.00元（人民币伍仟元整）",
        # a term without an amount prints none
        "4.被申请人为申请人出具解除劳动合同证明，最迟于2025年10月25日（含当日）履行完毕。",
        "最迟于2025年11月1日（含当日）履行完毕")
    lacks(t, "合计金额", "59,000.00", "伍万玖仟", "金额0.00元", "零元", "人民调解法", "前履行完毕")
    assert [x["label"] for x in docs(db, case.id, "mediation_agreement")[0].snapshot["agreement"]["totals"]] == [
        "被申请人应支付合计", "申请人应给付合计"]


def test_agreement_of_a_peoples_mediation_committee_also_cites_pml_33(db: Session, world: World) -> None:
    world.township.kind = "peoples_mediation"
    db.commit()
    t = text_of(db, agreed(db, world), "mediation_agreement")
    has(t, "《中华人民共和国民事诉讼法》第二百零五条、《中华人民共和国人民调解法》第三十三条")


# --- 14 (and 9): the parties' joint application ---------------------------------------------------------------


def test_review_application_is_the_parties_joint_application(db: Session, world: World) -> None:
    case = agreed(db, world)
    agreement_no = docs(db, case.id, "mediation_agreement")[0].number
    t = generate(db, world, case, "review_application", review_kind="judicial_confirmation")
    has(t, "司法确认申请书", "存档编号：（2025）东栅劳调审字第1号", "申请人（劳动者）：张三",
        "申请人（用人单位）：嘉兴市南湖精密机械有限公司", f"调解协议书{agreement_no}", "于2025年10月20日生效",
        "用人单位应支付合计54,000.00元", "劳动者应给付合计5,000.00元",
        "根据《中华人民共和国民事诉讼法》第二百零五条的规定，自调解协议生效之日起三十日内",
        "人民法院（请核实有管辖权的基层人民法院）", "申请人（劳动者）（签名或捺印）", "申请人（用人单位）（盖章）")
    lacks(t, "被申请人", "约定金额合计", "59,000.00", f"（{case.number}）", "南湖区人民法院", "人民调解法")
    assert not t.startswith("东栅街道劳动争议调解委员会司法确认申请书")  # no committee letterhead
    t = generate(db, world, case, "review_application", review_kind="arbitration_review")
    has(t, "仲裁审查申请书",
        "根据《企业劳动争议协商调解规定》第二十七条第二款、《劳动人事争议仲裁办案规则》第七十四条的规定，"
        "自调解协议生效之日起十五日内",
        "南湖区劳动人事争议仲裁委员会（请核实有管辖权的劳动人事争议仲裁委员会）")
    t = generate(db, world, case, "review_application", review_kind="judicial_confirmation",
                 addressee="嘉兴市南湖区人民法院")
    has(t, "此致嘉兴市南湖区人民法院附")
    lacks(t, "请核实")


#: A representative's special authorisation to agree for the workers (checked before signing).
AUTHORISED = {"authorised_to_sign": True, "authorisation_scope": "代为承认、放弃、变更调解请求，代为达成、签署调解协议"}


# --- 10: collective agreements name the workers they bind ------------------------------------------------------


def test_collective_agreement_names_the_workers_and_annexes_the_list(db: Session, world: World) -> None:
    data = application(world, workers_count=12, is_collective=True)
    data["parties"] = [
        {"role": "worker", "name": "张三", "id_number": WORKER_ID},
        {"role": "worker", "name": "李四"},
        {"role": "representative", "name": "赵一", "gender": "male", **AUTHORISED},
        {"role": "representative", "name": "钱二", "gender": "female", **AUTHORISED},
        {"role": "representative", "name": "孙三", "gender": "male", **AUTHORISED},
        {"role": "employer", "name": world.enterprise.name, "legal_representative": "王建国"},
    ]
    case = svc.create_case(db, actor=world.actor(world.clerk), data=data, today=TODAY, env=world.env)
    case = drive(db, world, case, TODAY, "accept", "record_session")
    case = svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator),
                          payload=mixed_agreement(), today=TODAY, env=world.env)
    t = text_of(db, case, "mediation_agreement")
    has(t, "申请人：张三等12名职工（名单附后）。", "代表人：赵一，男。", "代表人：钱二，女。",
        "申请人代表人（签名）", "职工签名见所附职工名单",
        "附：职工名单（共12名）", "由代表人代为签署的，应当附被代表职工的特别授权委托书",
        "序号姓名公民身份号码金额（元）签名（捺印）", f"1张三{WORKER_ID}", "2李四", "3赵一", "4钱二", "5孙三", "12")
    lacks(t, "申请人（职工代表）", "（代表12名职工）")
    assert "12" in t and not t.endswith("13")
    # the other documents of the case name the group too
    has(text_of(db, case, "acceptance_notice"), "张三等12名职工")


# --- 24: agents say whom they act for ----------------------------------------------------------------------------


def test_agents_say_whom_they_act_for(db: Session, world: World) -> None:
    data = application(world)
    data["parties"] += [
        {"role": "agent", "name": "周律师", "agent_kind": "lawyer", "represents_index": 0},
        {"role": "agent", "name": "吴经理", "agent_kind": "employee", "represents_index": 1},
        {"role": "agent", "name": "郑某"},
    ]
    case = svc.create_case(db, actor=world.actor(world.clerk), data=data, today=TODAY, env=world.env)
    t = text_of(db, case, "application")
    has(t, "申请人张三的委托代理人：周律师（律师）",
        f"被申请人{world.enterprise.name}的委托代理人：吴经理（单位工作人员）",
        "委托代理人（代理对象未登记）：郑某")
    # the employer's agent is printed after the employer, not between the applicant and the respondent
    assert t.index("吴经理") > t.index("被申请人：") > t.index("周律师")
    lacks(t, "。委托代理人：周律师", "。委托代理人：吴经理")


# --- 25: the acceptance notice lists the parties' rights -----------------------------------------------------------


def test_acceptance_notice_lists_the_rights(db: Session, world: World) -> None:
    case = drive(db, world, svc.create_case(db, actor=world.actor(world.clerk), data=application(world),
                                            today=TODAY, env=world.env), TODAY, "accept")
    t = text_of(db, case, "acceptance_notice")
    has(t, "要求终止调解", "要求调解公开进行或者不公开进行", "要求调解员回避", "自愿达成调解协议")
    lacks(t, "人民调解法")
    world.township.kind = "peoples_mediation"
    db.commit()
    t = generate(db, world, case, "acceptance_notice")
    has(t, "《中华人民共和国人民调解法》第二十三条", "（二）接受调解、拒绝调解或者要求终止调解",
        "（三）要求调解公开进行或者不公开进行", "第二十四条")


# --- 15 and 2: the termination certificate ----------------------------------------------------------------------


def test_termination_certificate_only_for_terminated_cases_and_its_limitation_is_an_estimate(
        db: Session, world: World) -> None:
    failed = drive(db, world, svc.create_case(db, actor=world.actor(world.clerk), data=application(world),
                                              today=TODAY, env=world.env), TODAY, "accept", "terminate")
    t = text_of(db, failed, "termination_certificate")
    has(t, "本会于2025年10月20日受理", "经调解未能达成协议，本会决定终止调解",
        # the estimate it is, from the day the committee's records show (the application, at a township body)
        "按本会记录推算，仲裁时效自2025年10月20日起重新计算（依据：《中华人民共和国劳动争议调解仲裁法》第二十七条第二款、"
        "《劳动人事争议仲裁办案规则》第二十七条第一项），一年期间约至2026年10月20日届满",
        "仅供参考，以劳动人事争议仲裁委员会认定为准", "（《企业劳动争议协商调解规定》第三十条）")
    lacks(t, "按本会记录，仲裁时效至", "（未受理）", "最迟至")
    # still available after the referral of a terminated case
    drive(db, world, failed, TODAY, "refer")
    generate(db, world, failed, "termination_certificate")

    withdrawn = drive(db, world, svc.create_case(db, actor=world.actor(world.clerk), data=application(world),
                                                 today=TODAY, env=world.env), TODAY, "withdraw")
    with pytest.raises(ValidationFailed, match="撤回"):
        generate(db, world, withdrawn, "termination_certificate")
    rejected = drive(db, world, svc.create_case(db, actor=world.actor(world.clerk), data=application(world),
                                                today=TODAY, env=world.env), TODAY, "reject")
    with pytest.raises(ValidationFailed, match="不予受理通知书"):
        generate(db, world, rejected, "termination_certificate")
    mediating = drive(db, world, svc.create_case(db, actor=world.actor(world.clerk), data=application(world),
                                                 today=TODAY, env=world.env), TODAY, "accept")
    with pytest.raises(ValidationFailed, match="未终止调解"):
        generate(db, world, mediating, "termination_certificate")
    assert not docs(db, withdrawn.id, "termination_certificate") and not docs(db, rejected.id,
                                                                              "termination_certificate")


# --- 16: the referral letter hands over the file; enclosures by reason -------------------------------------------


def test_referral_letter_hands_over_the_file_and_lists_the_right_enclosures(db: Session, world: World) -> None:
    def new() -> Case:
        return svc.create_case(db, actor=world.actor(world.clerk), data=application(world), today=TODAY, env=world.env)

    terminated = drive(db, world, new(), TODAY, "accept", "record_session", "terminate", "refer")
    t = text_of(db, terminated, "referral_letter")
    has(t, "根据调解与仲裁衔接（调裁衔接）工作机制", "移送你委", "本函仅移送案件材料，不是仲裁申请",
        "应当自行向劳动人事争议仲裁委员会提交书面仲裁申请（《中华人民共和国劳动争议调解仲裁法》第二十八条）",
        "仲裁时效期间内", "调解终止（经调解未能达成协议）", "附：调解申请书、调解笔录、终止调解书复印件。")
    lacks(t, "请依法处理", "已移送仲裁", "不予受理通知书", "调解协议书")

    rejected = drive(db, world, new(), TODAY, "reject", "refer")
    t = text_of(db, rejected, "referral_letter")
    has(t, "附：调解申请书、不予受理通知书复印件。", "不予受理（申请事项不属于劳动争议调解受理范围）")
    lacks(t, "终止调解书", "调解笔录")

    case = agreed(db, world, agreement_payload(TODAY))
    later = TODAY + dt.timedelta(days=20)
    svc.fire_event(db, case_id=case.id, event="report_non_performance", actor=world.actor(world.mediator),
                   payload={}, today=later, env=world.env)
    case = svc.fire_event(db, case_id=case.id, event="refer", actor=world.actor(world.mediator), payload={},
                          today=later, env=world.env)
    t = text_of(db, case, "referral_letter")
    has(t, "附：调解申请书、调解笔录、调解协议书、履行情况材料复印件。")
    lacks(t, "终止调解书")


# --- 19: supervision letters --------------------------------------------------------------------------------------


def test_supervision_reply_period_runs_from_receipt_and_the_proposal_waits_for_it(db: Session,
                                                                                  world: World) -> None:
    case = agreed(db, world)
    t = generate(db, world, case, "supervision_opinion", facts="拖欠7至9月工资", correction="立即足额支付",
                 legal_basis="《劳动合同法》第三十条")
    has(t, "自收到本意见书之日起15个工作日内书面答复本会")
    lacks(t, "于2025年11月10日前", "2025年11月10日")
    # 15 working days from issue (2025-10-20) end 2025-11-10: receipt cannot precede issue, so the reply
    # period cannot have passed on or before that day
    for day in (TODAY, dt.date(2025, 11, 10)):
        with pytest.raises(ValidationFailed, match=r"答复期限.*尚未届满"):
            generate(db, world, case, "supervision_proposal", today=day, response_history="逾期未答复")
    t = generate(db, world, case, "supervision_proposal", today=dt.date(2025, 11, 20),
                 response_history="逾期未答复，未整改")
    has(t, "本会于2025年10月20日向", "要求其自收到之日起15个工作日内书面答复", "逾期未答复，未整改")


# --- 20: the seal and the date stay with the body's last lines ------------------------------------------------


CLOSINGS = ("application", "oral_application", "acceptance_notice", "non_acceptance_notice", "mediation_agreement",
            "settlement", "review_application", "termination_certificate", "referral_letter", "supervision_opinion",
            "supervision_proposal", "early_warning_report")


def _context(db: Session, world: World, name: str) -> tuple[str, dict[str, Any]]:
    """A real context of a document that ends with a seal or a date (its builder called directly)."""
    def build(case: Case, kind: str, today: dt.date = TODAY, **params: Any) -> tuple[str, dict[str, Any]]:
        b = BuildInput(session=db, case=case, params=params, today=today, calendar=cached_calendar(db),
                       actor_name="调解员")
        context = {**get_kind(kind).builder(b), "number": "（2025）测试第1号"}
        return get_kind(kind).template_for(context), context

    def new(*events: str, **overrides: Any) -> Case:
        case = svc.create_case(db, actor=world.actor(world.clerk), data=application(world, **overrides), today=TODAY,
                               env=world.env)
        return drive(db, world, case, TODAY, *events)

    if name == "oral_application":
        return build(new(source="walk_in_oral"), "application")
    if name == "settlement":
        return build(settled(db, world), "mediation_agreement")
    if name == "non_acceptance_notice":
        return build(new("reject"), name)
    if name in ("termination_certificate", "referral_letter"):
        return build(new("accept", "terminate", "refer"), name)
    case = agreed(db, world)
    letter = {"facts": "拖欠工资", "correction": "支付", "legal_basis": "劳动合同法"}
    if name == "supervision_opinion":
        return build(case, name, **letter)
    if name == "supervision_proposal":
        generate(db, world, case, "supervision_opinion", **letter)
        return build(case, name, today=dt.date(2025, 12, 1), response_history="逾期未答复")
    return build(case, name)


def _plain(html: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))


@pytest.mark.parametrize("name", CLOSINGS)
def test_seal_and_date_stay_with_the_last_lines_of_the_body(db: Session, world: World, name: str) -> None:
    """GB/T 9704-2012: whatever the length of the body, the page that carries the date also carries the
    seal line (or the first signature line) and the end of the paragraph before them: the closing block
    never starts a page on its own. The body is lengthened one line at a time; the lengths tried are those
    around the one where the closing first moves to a new page (found by bisection)."""
    template, context = _context(db, world, name)
    html = render_html(template, context)
    m = re.search(r'<div class="[^"]*\bsign-off\b[^"]*">', html)
    assert m, f"{name}: no sign-off block"
    head, tail = html[:m.start()], html[m.start():]
    before = _plain(head.rsplit("<p", 1)[-1].split(">", 1)[-1])[-6:]  # the last words before the closing
    closing = _plain(tail.split("</div>", 1)[0].split(">", 1)[-1])
    first_line, last_line = closing[:6], closing[-6:]
    filler = "<p>本段为测试填充文字，逐行加长正文，检验落款位置。</p>"  # one line (2 + 22 of 28 characters)
    body_start = html.index("</h1>") + len("</h1>")
    pages_of: dict[int, int] = {}

    def check(n: int) -> int:
        if n not in pages_of:
            longer = html[:body_start] + filler * n + html[body_start:]
            pdf = render_pdf(longer, title="t", organisation="o", case_number="c").pdf
            pages = [re.sub(r"\s+", "", p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages]
            page = [p for p in pages if last_line in p][-1]  # the closing ends the document (before any annex)
            assert first_line in page and before in page, (
                f"{name}, {n} extra lines: the closing block is separated from the body: {page[:300]}")
            pages_of[n] = pages.index(page)
        return pages_of[n]

    low, high = 0, 23  # 23 extra lines are more than a page: the closing page moves at least once
    start = check(low)
    assert check(high) > start
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if check(mid) > start else (mid, high)
    for n in (high - 2, high + 1, high + 2):  # just before, at and just after the move
        check(n)
