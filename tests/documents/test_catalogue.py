"""Every document kind rendered from a realistic case, read back with a PDF text extractor, and checked
for the elements docs/domain.md#documents requires; numbering, versions, immutability, rollback and security."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import io
import re
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from documents import renderer
from documents import service as doc_service
from documents.catalogue import CATALOGUE
from mediation.cases import service as svc
from mediation.db.models import Case, CaseEvent
from mediation.db.models_documents import DocumentNumberFormat, GeneratedDocument
from mediation.domain.errors import ValidationFailed
from mediation.domain.uscc import make_uscc
from mediation.runtime.env import ServiceEnv
from tests.factories import WORKER_ID, World, agreement_payload, application, build_world, drive
from tests.helpers import pdf_pages, pdf_text

TODAY = dt.date(2025, 10, 20)
USCC = make_uscc("9", "1", "330402", "MA2B1234")
RARE = "李堃喆"
RARE2 = "王昇旻珺燊"

pytestmark = pytest.mark.usefixtures("producer")


@pytest.fixture
def world(db: Session, env: ServiceEnv) -> World:
    w = build_world(db, env=env)
    w.enterprise.uscc = USCC
    db.commit()
    return w


def realistic(world: World, **overrides: Any) -> dict[str, Any]:
    data = application(world, **({"common_claim": "支付拖欠的工资"} if overrides.get("is_collective") else {}))
    data["parties"] = [
        {"role": "worker", "name": RARE, "gender": "male", "id_number": WORKER_ID, "phone": "13812345678",
         "address": "嘉兴市南湖区建国路1号", "job_title": "车工", "hired_on": "2023-03-01"},
        {"role": "agent", "name": RARE2, "agent_kind": "lawyer", "phone": "13900001111", "represents_index": 0},
        {"role": "employer", "name": world.enterprise.name, "legal_representative": "王建国", "uscc": USCC,
         "address": "嘉兴市南湖区东栅街道工业路18号"},
    ]
    data["claims"] = [
        {"claim_type": "wages", "description": "2025年7-9月工资", "amount": "10005.50"},
        {"claim_type": "economic_compensation", "description": "解除劳动合同经济补偿", "amount": "100000.00"},
    ]
    data.update(overrides)
    return data


def awkward_agreement() -> dict[str, Any]:
    p = agreement_payload(TODAY)
    p["performance_place"] = "东栅街道调解室"
    p["obligations"] = [
        {"description": "支付2025年7-9月工资", "claim_type": "wages", "amount": "10005.50",
         "due_on": "2025-10-31"},
        {"description": "支付经济补偿", "claim_type": "economic_compensation", "amount": "100000.00",
         "due_on": "2025-11-30"},
        {"description": "支付银行手续费", "claim_type": "other", "amount": "0.05", "due_on": "2025-11-30"},
    ]
    return p


def docs(db: Session, case_id: int, kind: str | None = None) -> list[GeneratedDocument]:
    stmt = select(GeneratedDocument).where(GeneratedDocument.case_id == case_id)
    if kind:
        stmt = stmt.where(GeneratedDocument.kind == kind)
    return list(db.scalars(stmt.order_by(GeneratedDocument.id)))


def agreed_case(db: Session, world: World) -> Case:
    actor = world.actor(world.mediator)
    case = svc.create_case(db, actor=world.actor(world.clerk), data=realistic(world), today=TODAY, env=world.env)
    case = drive(db, world, case, TODAY, "accept", "record_session")
    return svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=actor, payload=awkward_agreement(),
                          today=TODAY, env=world.env)


def assert_contains(text_: str, *needles: str) -> None:
    text_ = re.sub(r"—\d+—", "", text_)  # page numbers may fall inside a sentence
    missing = [n for n in needles if n not in text_]
    assert not missing, f"missing {missing} in: {text_[:1500]}"


# --- transitions produce their documents ---------------------------------------------------------------


def test_transitions_produce_their_documents_and_the_history_records_them(db: Session, world: World) -> None:
    case = agreed_case(db, world)
    kinds = [d.kind for d in docs(db, case.id)]
    assert kinds == ["application", "acceptance_notice", "session_record", "mediation_agreement"]
    numbers = {d.kind: d.number for d in docs(db, case.id)}
    assert numbers["mediation_agreement"] == "（2025）东栅劳调协字第1号"
    assert numbers["acceptance_notice"] == "（2025）东栅劳调受字第1号"
    events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
    generated = [e.payload["kind"] for e in events if e.event == "document_generated"]
    assert generated == kinds
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[-1].to_state == case.status == "agreed"  # the invariant holds with document events too
    # a document event does not count as a change of the case: one version per transition
    assert case.version == 4
    for d in docs(db, case.id):
        assert d.sha256 == hashlib.sha256(d.content).hexdigest() and d.size == len(d.content)
        assert d.content.startswith(b"%PDF-")


def test_agreement_is_complete_to_the_character(db: Session, world: World) -> None:
    case = agreed_case(db, world)
    (doc,) = docs(db, case.id, "mediation_agreement")
    t = pdf_text(doc.content)
    assert_contains(
        t,
        "东栅街道劳动争议调解委员会", "劳动争议调解协议书", "（2025）东栅劳调协字第1号",
        # particulars: name, sex, ID number, address; employer, USCC, legal representative; agent
        f"申请人：{RARE}，男，公民身份号码{WORKER_ID}，住址嘉兴市南湖区建国路1号",
        f"被申请人：{world.enterprise.name}，统一社会信用代码{USCC}", "法定代表人（负责人）：王建国",
        f"申请人{RARE}的委托代理人：{RARE2}（律师）",
        # facts and matters
        "因拖欠劳动报酬、经济补偿发生争议", "2025年10月20日向本会申请调解", "2025年7月至9月工资未发放",
        # terms, amounts in figures and capitals (awkward values)
        "被申请人同意支付申请人2025年7月至9月工资",
        "10,005.50元（人民币壹万零伍元伍角整）", "100,000.00元（人民币壹拾万元整）", "0.05元（人民币伍分）",
        "被申请人应支付合计：110,005.55元（人民币壹拾壹万零伍元伍角伍分）",
        # manner, place and deadline of performance
        "履行方式：银行转账；履行地点：东栅街道调解室", "最迟于2025年10月31日（含当日）履行完毕",
        "最迟于2025年11月30日（含当日）履行完毕",
        # effect clause, LDMAL arts. 14-16; arbitration review (办案规则 art. 74); judicial confirmation (CPL 205)
        "第十四条", "第十五条", "第十六条", "支付令", "仲裁审查", "第七十四条", "司法确认", "第二百零五条",
        # copies, signature and seal lines, date
        "一式三份", "申请人（签名或捺印）", "被申请人（盖章）", "调解员（签名）", "（印章）", "2025年10月20日",
    )
    assert 1 <= pdf_pages(doc.content) <= 3


def test_pdf_is_pdfa_with_snapshot_attachment_and_metadata(db: Session, world: World) -> None:
    case = agreed_case(db, world)
    (doc,) = docs(db, case.id, "mediation_agreement")
    reader = PdfReader(io.BytesIO(doc.content))
    meta = reader.metadata
    assert meta is not None and meta.title == "劳动争议调解协议书"
    assert meta.author == "东栅街道劳动争议调解委员会"
    assert case.number in (meta.subject or "")
    assert reader.trailer["/Root"].get("/Lang") == "zh-CN"
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert "pdfaid:part" in raw and ("<pdfaid:part>3</pdfaid:part>" in raw or 'pdfaid:part="3"' in raw)
    attachments = reader.attachments
    assert "case-snapshot.json" in attachments
    import json

    snap = json.loads(attachments["case-snapshot.json"][0].decode("utf-8"))
    assert snap["document"]["number"] == doc.number
    assert snap["case"]["number"] == case.number
    assert snap["agreement"]["totals"][0]["amount"]["figures"] == "110,005.55"
    assert snap == doc.snapshot


# --- every kind ------------------------------------------------------------------------------------------


def _generate(db: Session, world: World, case: Case, kind: str, **params: Any) -> GeneratedDocument:
    return doc_service.generate_on_demand(db, actor=world.actor(world.mediator), case_id=case.id, kind=kind,
                                          params=params, today=TODAY)


def test_every_kind_renders_with_its_required_elements(db: Session, world: World) -> None:
    seen: set[str] = set()
    agreed = agreed_case(db, world)
    by_kind = {d.kind: d for d in docs(db, agreed.id)}

    t = pdf_text(by_kind["application"].content)
    assert_contains(t, "劳动争议调解申请书", RARE, world.enterprise.name, "调解请求", "支付拖欠工资24,000元",
                    "事实和理由", "2025年7月至9月工资未发放", "2025年10月20日", "申请人（签名或捺印）")
    t = pdf_text(by_kind["acceptance_notice"].content)
    assert_contains(t, "受理通知书", "（2025）东栅劳调受字第1号", RARE, world.enterprise.name, "拖欠劳动报酬",
                    "决定于2025年10月20日予以受理", "调解员mediator", "当事人的权利和义务", "十五日内",
                    "2025年11月4日")
    t = pdf_text(by_kind["session_record"].content)
    assert_contains(t, "调解笔录", "2025年10月20日09时00分", "东栅街道调解室", "mediator", "张三、王建国",
                    "双方陈述意见", "当事人（签名）", "记录人（签名）")
    seen |= {"application", "acceptance_notice", "session_record", "mediation_agreement"}

    review = _generate(db, world, agreed, "review_application", review_kind="judicial_confirmation")
    assert_contains(pdf_text(review.content), "司法确认申请书", RARE, world.enterprise.name,
                    "调解协议书（2025）东栅劳调协字第1号", "于2025年10月20日生效", "第二百零五条",
                    "请核实有管辖权的基层人民法院", "申请人（劳动者）（签名或捺印）", "申请人（用人单位）（盖章）")
    receipt = _generate(db, world, agreed, "service_receipt", served_document_id=by_kind["mediation_agreement"].id,
                        method="直接送达")
    assert_contains(pdf_text(receipt.content), "送达回证", "送达机关", "东栅街道劳动争议调解委员会", agreed.number,
                    "劳动争议调解协议书（（2025）东栅劳调协字第1号）一份", RARE, "嘉兴市南湖区建国路1号", "直接送达",
                    "受送达人签名（盖章）及日期", "代收人", "拒收事由、见证人", "送达人", "备注")
    opinion = _generate(db, world, agreed, "supervision_opinion", facts="拖欠7至9月工资", correction="立即足额支付",
                        legal_basis="《劳动合同法》第三十条")
    # 15 working days after 2025-10-20 (no holidays in between): 2025-11-10
    assert_contains(pdf_text(opinion.content), "劳动法律监督意见书", "南湖工监〔2025〕1号".replace("南湖", "东栅"),
                    world.enterprise.name, "拖欠7至9月工资", "《劳动合同法》第三十条", "立即足额支付",
                    "自收到本意见书之日起15个工作日内书面答复", "工会主席（签名）", "（印章）", "2025年10月20日")
    # the proposal only after the reply period (15 working days from receipt, so at the earliest from issue)
    proposal = doc_service.generate_on_demand(
        db, actor=world.actor(world.mediator), case_id=agreed.id, kind="supervision_proposal",
        params={"response_history": "逾期未答复，未整改", "authority": "嘉兴市南湖区人力资源和社会保障局"},
        today=dt.date(2025, 11, 20))
    assert_contains(pdf_text(proposal.content), "劳动法律监督建议书", "嘉兴市南湖区人力资源和社会保障局",
                    opinion.number, "逾期未答复，未整改", "拖欠7至9月工资", "工会主席（签名）")
    warning = _generate(db, world, agreed, "early_warning_report", trend="可能扩大")
    # location, indicators and level come from the early-warning rules (mediation.risk)
    assert_contains(pdf_text(warning.content), "劳动关系风险预警报告", world.enterprise.name, USCC,
                    "浙江省嘉兴市南湖区", world.park.name, "未建工会", "1人", "预警", "可能扩大", "受理", "mediator")
    seen |= {"review_application", "service_receipt", "supervision_opinion", "supervision_proposal",
             "early_warning_report"}

    # a failed mediation: termination certificate and referral letter
    failed = svc.create_case(db, actor=world.actor(world.clerk), data=realistic(world), today=TODAY, env=world.env)
    failed = drive(db, world, failed, TODAY, "accept", "terminate", "refer")
    by_kind = {d.kind: d for d in docs(db, failed.id)}
    t = pdf_text(by_kind["termination_certificate"].content)
    assert_contains(t, "终止调解书", "（2025）东栅劳调终字第1号", RARE, world.enterprise.name,
                    "2025年10月20日向本会申请调解", "本会于2025年10月20日受理", "经调解未能达成协议",
                    "申请仲裁", "仲裁时效期间为一年", "按本会记录推算，仲裁时效自2025年10月20日起重新计算",
                    "一年期间约至2026年10月20日届满", "仅供参考")
    t = pdf_text(by_kind["referral_letter"].content)
    assert_contains(t, "劳动争议案件移送函", "南湖区劳动人事争议仲裁委员会", failed.number, "拖欠劳动报酬",
                    "调解终止（经调解未能达成协议）", "第二十八条", "终止调解书", "mediator")
    seen |= {"termination_certificate", "referral_letter"}

    # not accepted (the other party refuses)
    rejected = svc.create_case(db, actor=world.actor(world.clerk), data=realistic(world), today=TODAY, env=world.env)
    svc.fire_event(db, case_id=rejected.id, event="reject", actor=world.actor(world.mediator), today=TODAY,
                   payload={"reason_code": "respondent_refuses", "reason": "被申请人书面表示不同意调解"}, env=world.env)
    (notice,) = docs(db, rejected.id, "non_acceptance_notice")
    assert_contains(pdf_text(notice.content), "不予受理通知书", "（2025）东栅劳调不受字第1号", RARE,
                    "对方当事人明确表示不同意调解", "不予受理", "仲裁时效因此中断", "重新计算",
                    "申请仲裁", "2025年10月20日")
    seen.add("non_acceptance_notice")
    assert seen == set(CATALOGUE)


def test_oral_application_record(db: Session, world: World) -> None:
    case = svc.create_case(db, actor=world.actor(world.clerk), today=TODAY,
                           data=realistic(world, source="walk_in_oral"), env=world.env)
    (doc,) = docs(db, case.id, "application")
    assert doc.title == "口头申请调解笔录"
    assert_contains(pdf_text(doc.content), "口头申请调解笔录", "第十二条", "记录时间", "申请人（签名或捺印）",
                    "记录人", RARE)


def test_collective_dispute_names_its_representatives(db: Session, world: World) -> None:
    data = realistic(world, workers_count=25, is_collective=True)
    data["parties"] = [
        {"role": "representative", "name": "赵一", "gender": "male"},
        {"role": "representative", "name": "钱二", "gender": "female"},
        {"role": "representative", "name": "孙三", "gender": "male"},
        {"role": "employer", "name": world.enterprise.name, "legal_representative": "王建国"},
    ]
    case = svc.create_case(db, actor=world.actor(world.clerk), data=data, today=TODAY, env=world.env)
    (doc,) = docs(db, case.id, "application")
    assert_contains(pdf_text(doc.content), "申请人：赵一等25名职工。", "代表人：赵一，男", "代表人：钱二，女")


# --- numbering, versions, immutability --------------------------------------------------------------------


def test_regenerating_makes_a_new_version_with_the_same_number(db: Session, world: World) -> None:
    case = agreed_case(db, world)
    (first,) = docs(db, case.id, "mediation_agreement")
    first_hash, first_number = first.sha256, first.number
    second = _generate(db, world, case, "mediation_agreement")
    assert (second.version, second.number) == (2, first_number)
    assert second.id != first.id
    db.expire_all()
    again = db.get(GeneratedDocument, first.id)
    assert again is not None and again.sha256 == first_hash and again.version == 1
    # the next agreement of the organisation gets the next number: versions consume no numbers
    other = agreed_case(db, world)
    (doc,) = docs(db, other.id, "mediation_agreement")
    assert doc.number == "（2025）东栅劳调协字第2号"


def test_stored_documents_cannot_be_changed(db: Session, world: World) -> None:
    case = agreed_case(db, world)
    (doc,) = docs(db, case.id, "mediation_agreement")
    doc.content = b"%PDF-forged"
    with pytest.raises(RuntimeError, match="immutable"):
        db.flush()
    db.rollback()
    with pytest.raises(Exception, match="immutable"), db.begin_nested():
        db.execute(text("UPDATE generated_documents SET sha256 = 'x' WHERE id = :i"), {"i": doc.id})


def test_numbering_pattern_configurable_per_organisation(db: Session, world: World) -> None:
    db.add(DocumentNumberFormat(organisation_id=world.township.id, kind="mediation_agreement",
                                pattern="{prefix}调协〔{year}〕{n}号"))
    db.commit()
    case = agreed_case(db, world)
    (doc,) = docs(db, case.id, "mediation_agreement")
    assert doc.number == "东栅调协〔2025〕1号"
    assert "东栅调协〔2025〕1号" in pdf_text(doc.content)


def test_renderer_failure_rolls_back_the_transition(db: Session, world: World,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    case = svc.create_case(db, actor=world.actor(world.clerk), data=realistic(world), today=TODAY, env=world.env)
    case = drive(db, world, case, TODAY, "accept")
    version = case.version

    def broken(*_a: Any, **_k: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(doc_service, "render_pdf", broken)
    with pytest.raises(OSError):
        svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator),
                       payload=awkward_agreement(), today=TODAY, env=world.env)
    db.expire_all()
    case = db.get(Case, case.id)
    assert case is not None and case.status == "mediating" and case.version == version and not case.agreements
    assert docs(db, case.id, "mediation_agreement") == []
    monkeypatch.undo()
    case = svc.fire_event(db, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator),
                          payload=awkward_agreement(), today=TODAY, env=world.env)
    (doc,) = docs(db, case.id, "mediation_agreement")
    assert doc.number == "（2025）东栅劳调协字第1号"  # the failed attempt's number was given back


def test_on_demand_checks_state_and_inputs(db: Session, world: World) -> None:
    case = svc.create_case(db, actor=world.actor(world.clerk), data=realistic(world), today=TODAY, env=world.env)
    with pytest.raises(ValidationFailed, match="尚未达成调解协议"):
        _generate(db, world, case, "mediation_agreement")
    with pytest.raises(ValidationFailed) as exc:
        _generate(db, world, case, "supervision_opinion")
    assert "facts" in exc.value.errors
    with pytest.raises(ValidationFailed, match="须先制发"):
        _generate(db, world, case, "supervision_proposal", response_history="x")
    with pytest.raises(ValidationFailed):
        _generate(db, world, case, "no_such_kind")
    n = db.scalar(select(func.count()).select_from(GeneratedDocument).where(GeneratedDocument.case_id == case.id))
    assert n == 1  # only the application produced at registration


# --- security -------------------------------------------------------------------------------------------


@pytest.fixture
def trap() -> Iterator[tuple[int, list[str]]]:
    """An HTTP server that records every request made to it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_a: Any) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()


def test_hostile_party_names_are_text_and_fetch_nothing(db: Session, world: World,
                                                        trap: tuple[int, list[str]]) -> None:
    port, hits = trap
    img = f'<img src="http://127.0.0.1:{port}/x">'
    script = "<script>alert(1)</script>"
    css = f"<style>@import url(http://127.0.0.1:{port}/css);</style>"
    data = realistic(world)
    data["parties"][0]["name"] = img
    data["parties"][1]["name"] = script
    data["facts"] = css
    case = svc.create_case(db, actor=world.actor(world.clerk), data=data, today=TODAY, env=world.env)
    (doc,) = docs(db, case.id, "application")
    t = pdf_text(doc.content)
    assert img.replace(" ", "") in t and script in t and css.replace(" ", "") in t
    assert hits == []
    # even markup that bypassed escaping could not make the renderer fetch anything
    raw = (f'<link rel="stylesheet" href="http://127.0.0.1:{port}/a.css"><p>x</p>'
           f'<img src="http://127.0.0.1:{port}/b.png"><img src="file:///etc/hostname">')
    rendered = renderer.render_pdf(raw, title="t", organisation="o", case_number="n")
    assert rendered.pages == 1 and hits == []


def test_url_fetcher_serves_only_the_template_folder() -> None:
    fetcher = renderer.url_fetcher()
    for url in ("http://127.0.0.1/x", "file:///etc/passwd",
                (renderer.TEMPLATES / ".." / ".." / "pyproject.toml").as_uri(), "data:text/css,p{}"):
        with pytest.raises(renderer.FetchRefused):
            fetcher.fetch(url)
    got = fetcher.fetch((renderer.TEMPLATES / "print.css").as_uri())
    try:
        assert b"@page" in got.read()
    finally:
        got.close()


def test_rare_characters_are_real_glyphs(db: Session, world: World) -> None:
    case = svc.create_case(db, actor=world.actor(world.clerk), data=realistic(world), today=TODAY, env=world.env)
    (doc,) = docs(db, case.id, "application")
    t = pdf_text(doc.content)
    assert RARE in t and RARE2 in t
    # every embedded font is Noto Serif CJK SC or the project's cut of it (no fallback to a font without
    # the glyphs); the rare characters are outside the cut (GB 2312), so the full Noto face is embedded too
    out = subprocess.run(["pdffonts", "-"], input=doc.content, capture_output=True, check=True).stdout.decode()
    fonts = [line.split()[0] for line in out.splitlines()[2:]]
    assert fonts and all(("Noto" in f and "CJK" in f) or "Mediation-Serif-SC" in f for f in fonts), out
    assert any("Noto" in f for f in fonts), out
    # ... and the font the body is set in has a real glyph (not .notdef) for each rare character
    from fontTools.ttLib import TTCollection, TTFont

    path = subprocess.run(["fc-match", "-f", "%{file}", "Noto Serif CJK SC"], capture_output=True, text=True,
                          check=True).stdout
    font = TTCollection(path).fonts[0] if path.endswith(".ttc") else TTFont(path)
    cmap = font.getBestCmap()
    for ch in RARE + RARE2:
        assert cmap.get(ord(ch)) not in (None, ".notdef"), ch


def test_escalating_a_collective_dispute_produces_the_warning_report(db: Session, world: World) -> None:
    data = realistic(world, workers_count=25, is_collective=True)
    data["parties"] = [
        {"role": "representative", "name": "赵一", "gender": "male"},
        {"role": "representative", "name": "钱二", "gender": "female"},
        {"role": "employer", "name": world.enterprise.name, "legal_representative": "王建国"},
    ]
    case = svc.create_case(db, actor=world.actor(world.clerk), data=data, today=TODAY, env=world.env)
    svc.fire_event(db, case_id=case.id, event="escalate", actor=world.actor(world.mediator), today=TODAY, env=world.env)
    (doc,) = docs(db, case.id, "early_warning_report")
    t = pdf_text(doc.content)
    assert_contains(t, "劳动关系风险预警报告", "东栅工预〔2025〕1号", world.enterprise.name, "集体劳动争议（25人）",
                    "25人", "预警", world.park.name)
    assert "预警（" in doc.snapshot["report"]["level"]  # the level the rules gave (e.g. 黄色预警（较重）)


def test_signatures_never_stand_alone_on_the_last_page(db: Session, world: World) -> None:
    """Whatever the length of the terms, the page that carries the signature lines also carries the end of
    the body (the copies clause), so a signature page cannot be detached from the agreement."""
    from documents.builders.common import BuildInput
    from documents.catalogue import get_kind
    from documents.renderer import render_html, render_pdf
    from mediation.runtime.env import cached_calendar

    case = agreed_case(db, world)
    kind = get_kind("mediation_agreement")
    b = BuildInput(session=db, case=case, params={}, today=TODAY, calendar=cached_calendar(db), actor_name="调解员",
                   subject="")
    base = kind.builder(b)
    line = "被申请人同意按期足额支付上述款项，申请人对此表示认可，双方就本争议再无其他争议。"  # ~ one line
    checked = 0
    for n in range(0, 24):
        context = {**base, "number": "（2025）测试第1号",
                   "agreement": {**base["agreement"], "terms": line * n}}
        pdf = render_pdf(render_html(kind.template, context), title="t", organisation="o", case_number="c").pdf
        pages = [re.sub(r"\s+", "", p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages]
        (sign_page,) = [p for p in pages if "申请人（签名或捺印）" in p]
        assert "一式三份" in sign_page, f"terms of {n} lines: the signatures start a page on their own"
        checked += len(pages) > 1
    assert checked, "no length tried broke the agreement over two pages"
