"""Hand-off packages: the referral file and the joint review/confirmation file (documents/handoff.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from documents import handoff
from documents.handoff import DispatchAlreadyRecorded
from mediation.blobs import DirectoryBlobStore
from mediation.db.models import Case, CaseEvent
from mediation.db.models_access import PersonalDataAccess
from mediation.db.models_handoff import HandoffPackage
from mediation.domain.errors import NotFound, PermissionDenied, ValidationFailed
from mediation.queue import RecordingQueue
from tests.factories import World, drive, new_case
from tests.helpers import TODAY


@pytest.fixture
def blobs(tmp_path: Path) -> DirectoryBlobStore:
    return DirectoryBlobStore(tmp_path / "blobs")


def _terminated(db: Session, world: World) -> Case:
    case = new_case(db, world, TODAY)
    return drive(db, world, case, TODAY, "accept", "record_session", "terminate")


def _make(db: Session, world: World, case: Case, kind: str, blobs: DirectoryBlobStore, *,
          today: dt.date = TODAY, **extra: str) -> HandoffPackage:
    return handoff.create_package(db, actor=world.actor(world.mediator), case_id=case.id,
                                  data={"kind": kind, **extra}, env=world.env, blobs=blobs, today=today)


def test_referral_manifest_hashes_match_files_and_merged_pdf_reads_back(
        db: Session, world: World, blobs: DirectoryBlobStore) -> None:
    case = _terminated(db, world)
    pkg = _make(db, world, case, "referral", blobs, addressee="嘉兴市南湖区劳动人事争议仲裁委员会")
    assert pkg.status == "ready"
    data = blobs.get(pkg.zip_key, pkg.zip_sha256)
    zf = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(zf.read("manifest.json"))
    names = set(zf.namelist()) - {"manifest.json"}
    assert names == {f["name"] for f in manifest["files"]}
    for f in manifest["files"]:
        body = zf.read(f["name"])
        assert hashlib.sha256(body).hexdigest() == f["sha256"]
        assert len(body) == f["size"]
    kinds = [f["document"]["kind"] for f in manifest["files"] if "document" in f]
    assert kinds[0] == "referral_letter"
    assert {"application", "acceptance_notice", "session_record", "termination_certificate"} <= set(kinds)
    # the case data the commission needs, in full (a lawful recipient)
    worker = next(p for p in manifest["case"]["parties"] if p["role"] == "worker")
    party = next(p for p in case.parties if p.role == "worker")
    assert worker["id_number"] == party.id_number and "*" not in (worker["id_number"] or "")
    assert manifest["case"]["number"] == case.number
    assert any(e["kind"] == "session" for e in manifest["evidence"])
    # the merged PDF: stored on its own, the same bytes as in the ZIP, one bookmark per file, every page
    merged = blobs.get(pkg.pdf_key, pkg.pdf_sha256)
    assert merged == zf.read("合并打印版.pdf")
    reader = PdfReader(io.BytesIO(merged))
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert titles[0] == "移交材料清单" and "劳动争议案件移送函" in titles and "终止调解书" in titles
    assert len(reader.pages) == pkg.pdf_pages == sum(f["pages"] for f in manifest["files"][:-1])
    text = "".join(p.extract_text() for p in reader.pages)
    assert case.number in text and "嘉兴市南湖区劳动人事争议仲裁委员会" in text and "证据材料清单" in text
    # the history says who made it
    ev = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.event == "handoff_built")).one()
    assert ev.payload["package_id"] == pkg.id and ev.actor_id == world.mediator.id


def test_referral_refused_while_mediating_and_for_an_outsider(
        db: Session, world: World, blobs: DirectoryBlobStore) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    with pytest.raises(ValidationFailed) as exc:
        _make(db, world, case, "referral", blobs)
    assert "kind" in exc.value.extra["errors"]
    assert db.scalar(select(HandoffPackage.id)) is None
    case = _terminated(db, world)
    with pytest.raises(NotFound):
        handoff.create_package(db, actor=world.actor(world.outsider), case_id=case.id, data={"kind": "referral"},
                               env=world.env, blobs=blobs, today=TODAY)
    with pytest.raises(ValidationFailed) as exc:
        _make(db, world, case, "nonsense", blobs)
    assert "kind" in exc.value.extra["errors"]


def test_review_package_in_window_then_dispatch_and_outcome_close_the_case(
        db: Session, world: World, agreed: Case, blobs: DirectoryBlobStore) -> None:
    options = {o.kind: o for o in handoff.package_options(agreed, TODAY)}
    assert not options["referral"].allowed
    assert options["arbitration_review"].allowed and options["arbitration_review"].deadline is not None
    pkg = _make(db, world, agreed, "arbitration_review", blobs)
    manifest = pkg.manifest
    assert manifest["package"]["deadline"]["date"] == options["arbitration_review"].deadline.isoformat()
    kinds = [f["document"]["kind"] for f in manifest["files"] if "document" in f]
    assert kinds == ["review_application", "mediation_agreement"]
    assert any("居民身份证" in r["paper"] for r in manifest["identity_papers"])
    reader = PdfReader(io.BytesIO(blobs.get(pkg.pdf_key, pkg.pdf_sha256)))
    assert "仲裁审查申请书" in [o.title for o in reader.outline if not isinstance(o, list)]
    text = "".join(p.extract_text() for p in reader.pages)
    assert "当事人身份证明材料" in text and "申请期限" in text

    mediator = world.actor(world.mediator)
    with pytest.raises(ValidationFailed):  # nothing sent yet
        handoff.record_outcome(db, actor=mediator, case_id=agreed.id, package_id=pkg.id, env=world.env,
                               today=TODAY, data={"outcome": "granted", "decision_number": "嘉仲调字〔2025〕1号"})
    handoff.record_dispatch(db, actor=mediator, case_id=agreed.id, package_id=pkg.id, env=world.env, today=TODAY,
                            data={"dispatched_to": "南湖区劳动人事争议仲裁委员会", "method": "post",
                                  "tracking_number": "EMS1234567890"})
    db.refresh(agreed)
    assert agreed.current_agreement.review_kind == "arbitration_review"  # the joint request recorded with it
    assert pkg.dispatched_on == TODAY and pkg.tracking_number == "EMS1234567890"
    with pytest.raises(ValidationFailed) as exc:
        handoff.record_outcome(db, actor=mediator, case_id=agreed.id, package_id=pkg.id, env=world.env,
                               today=TODAY, data={"outcome": "granted", "decision_number": ""})
    assert "decision_number" in exc.value.extra["errors"]
    handoff.record_outcome(db, actor=mediator, case_id=agreed.id, package_id=pkg.id, env=world.env, today=TODAY,
                           data={"outcome": "granted", "decision_number": "嘉仲调字〔2025〕1号"})
    db.refresh(agreed)
    assert agreed.status == "closed" and agreed.closed_on == TODAY
    last = db.scalars(select(CaseEvent).where(CaseEvent.case_id == agreed.id)
                      .order_by(CaseEvent.seq.desc()).limit(1)).one()
    assert last.event == "review_granted" and last.payload["decision_number"] == "嘉仲调字〔2025〕1号"
    assert pkg.outcome == "granted"


def test_confirmation_refused_leaves_the_case_in_performance(
        db: Session, world: World, agreed: Case, blobs: DirectoryBlobStore) -> None:
    pkg = _make(db, world, agreed, "judicial_confirmation", blobs, addressee="南湖区人民法院")
    mediator = world.actor(world.mediator)
    handoff.record_dispatch(db, actor=mediator, case_id=agreed.id, package_id=pkg.id, env=world.env, today=TODAY,
                            data={"dispatched_to": "南湖区人民法院", "method": "in_person"})
    handoff.record_outcome(db, actor=mediator, case_id=agreed.id, package_id=pkg.id, env=world.env, today=TODAY,
                           data={"outcome": "refused", "decision_number": "（2025）浙0402民特1号"})
    db.refresh(agreed)
    assert agreed.status == "agreed"
    assert pkg.outcome == "refused" and pkg.outcome_number == "（2025）浙0402民特1号"


def test_review_package_outside_the_window_is_refused(
        db: Session, world: World, agreed: Case, blobs: DirectoryBlobStore) -> None:
    late = TODAY + dt.timedelta(days=40)
    with pytest.raises(ValidationFailed) as exc:
        _make(db, world, agreed, "judicial_confirmation", blobs, today=late)
    assert "届满" in exc.value.detail
    assert db.scalar(select(HandoffPackage.id)) is None


def test_dispatch_of_a_referral_refers_the_case_and_a_failed_transition_writes_nothing(
        db: Session, world: World, blobs: DirectoryBlobStore) -> None:
    case = _terminated(db, world)
    pkg = _make(db, world, case, "referral", blobs)
    mediator = world.actor(world.mediator)
    with pytest.raises(ValidationFailed) as exc:
        handoff.record_dispatch(db, actor=mediator, case_id=case.id, package_id=pkg.id, env=world.env, today=TODAY,
                                data={"dispatched_to": "仲裁委", "method": "pigeon"})
    assert "method" in exc.value.extra["errors"]
    handoff.record_dispatch(db, actor=mediator, case_id=case.id, package_id=pkg.id, env=world.env, today=TODAY,
                            data={"dispatched_to": "南湖区劳动人事争议仲裁委员会", "method": "courier",
                                  "tracking_number": "SF100"})
    db.refresh(case)
    assert case.status == "referred"
    with pytest.raises(DispatchAlreadyRecorded):  # sent once; a new sending is a new package
        handoff.record_dispatch(db, actor=mediator, case_id=case.id, package_id=pkg.id, env=world.env, today=TODAY,
                                data={"dispatched_to": "另一仲裁委", "method": "post"})
    db.refresh(pkg)
    assert pkg.dispatched_to == "南湖区劳动人事争议仲裁委员会"
    with pytest.raises(ValidationFailed):  # a referral has no review outcome
        handoff.record_outcome(db, actor=mediator, case_id=case.id, package_id=pkg.id, env=world.env, today=TODAY,
                               data={"outcome": "granted", "decision_number": "1"})


def test_download_is_audited_and_limited_to_those_who_handle_the_parties(
        db: Session, world: World, blobs: DirectoryBlobStore) -> None:
    case = _terminated(db, world)
    pkg = _make(db, world, case, "referral", blobs)
    got, data, name = handoff.download(db, actor=world.actor(world.mediator), case_id=case.id, package_id=pkg.id,
                                       what="zip", endpoint="test", blobs=blobs)
    assert got.id == pkg.id and hashlib.sha256(data).hexdigest() == pkg.zip_sha256 and name.endswith(".zip")
    row = db.scalars(select(PersonalDataAccess).where(PersonalDataAccess.case_id == case.id)).all()[-1]
    assert row.fields[0] == "handoff_package" and row.user_id == world.mediator.id
    with pytest.raises(PermissionDenied):
        handoff.download(db, actor=world.actor(world.supervisor), case_id=case.id, package_id=pkg.id, what="pdf",
                         endpoint="test", blobs=blobs)


def test_with_a_queue_the_package_waits_for_its_job(db: Session, world: World, blobs: DirectoryBlobStore) -> None:
    case = _terminated(db, world)
    queue = RecordingQueue()
    pkg = handoff.create_package(db, actor=world.actor(world.mediator), case_id=case.id, data={"kind": "referral"},
                                 env=world.env, blobs=blobs, queue=queue, today=TODAY)
    assert pkg.status == "pending" and queue.deferred == [
        (handoff.BUILD_TASK, {"package_id": pkg.id, "today": TODAY.isoformat()})]
    handoff.build_package(db, package_id=pkg.id, blobs=blobs, today=TODAY.isoformat())
    db.commit()
    assert pkg.status == "ready" and blobs.exists(pkg.zip_key)


def test_a_failed_job_marks_the_package_and_it_can_be_made_again(
        db: Session, world: World, blobs: DirectoryBlobStore) -> None:
    case = _terminated(db, world)
    pkg = handoff.create_package(db, actor=world.actor(world.mediator), case_id=case.id, data={"kind": "referral"},
                                 env=world.env, blobs=blobs, queue=RecordingQueue(), today=TODAY)
    handoff.mark_failed(db, RuntimeError("renderer crashed"), package_id=pkg.id)
    db.commit()
    assert pkg.status == "failed" and "renderer crashed" in pkg.error
    with pytest.raises(handoff.PackageNotReady):
        handoff.download(db, actor=world.actor(world.mediator), case_id=case.id, package_id=pkg.id, what="zip",
                         endpoint="test", blobs=blobs)
    again = _make(db, world, case, "referral", blobs)
    assert again.status == "ready" and again.id != pkg.id


def test_a_settlement_gets_no_review_or_confirmation_package(
        db: Session, world: World, blobs: DirectoryBlobStore) -> None:
    case = drive(db, world, new_case(db, world, TODAY, initial_state="negotiating"), TODAY, "settle")
    assert case.status == "agreed"
    options = {o.kind: o for o in handoff.package_options(case, TODAY)}
    for kind in handoff.REVIEW_KINDS:
        assert not options[kind].allowed and "和解协议" in options[kind].reason
        with pytest.raises(ValidationFailed) as exc:
            _make(db, world, case, kind, blobs)
        assert "和解协议" in exc.value.extra["errors"]["kind"][0]
    assert db.scalar(select(HandoffPackage.id)) is None
