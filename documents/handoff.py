"""Hand-off packages (调裁衔接): the file a case sends on, built in one action.

- **Referral** (``referral``) — mediation failed, lapsed or the agreement was not performed: the referral letter,
  the application (or the oral-application record), the acceptance notice, the session records, the agreement and
  its performance record where there is one, the termination certificate, and the evidence list.
- **Joint request for arbitration review** (``arbitration_review``, 《劳动人事争议仲裁办案规则》 art. 74, 15 days)
  or **judicial confirmation** (``judicial_confirmation``, CPL art. 205 / PML art. 33, 30 days) — a signed
  mediation agreement (never a settlement), inside its window: the joint application of both parties, the
  agreement, and the list of identity papers each party brings.

A package is a ZIP — every file, a ``manifest.json`` listing each file with its SHA-256 and size and the case data
the receiving body needs (full particulars: the commission and the court are lawful recipients of the parties'
data), and a merged PDF with one bookmark per document for printing — and the merged PDF on its own. Both go to
the blob store; the row records who made it and when, where it was sent and what came back. Packages are built by
a job (:data:`BUILD_TASK`, inline on SQLite). Downloads are recorded like documents' (personal-data reads).

See ``docs/domain.md#hand-off-packages``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from documents.handoff_contents import (
    KIND_LABELS,
    REVIEW_KINDS,
    WINDOW_BASIS,
    WINDOW_KIND,
    build_files,
)
from mediation.blobs import BlobStore
from mediation.cases import service as case_service
from mediation.db.models import Case, User
from mediation.db.models_access import PersonalDataAccess
from mediation.db.models_handoff import HandoffPackage
from mediation.db.uow import unit_of_work
from mediation.domain.clock import china_today
from mediation.domain.enums import AgreementKind
from mediation.domain.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor, can
from mediation.queue import DOCUMENTS_QUEUE, JobQueue
from mediation.runtime.env import ServiceEnv
from workflows.definitions import get_definition

#: The job that builds a package (:func:`build_package`), registered in :mod:`mediation.tasks`.
BUILD_TASK = "handoff.build_package"

#: A referral goes out for a mediation that failed (terminated), lapsed, or an agreement not performed; once
#: referred, the package can still be (re)built for a case that was mediated.
REFERRAL_STATES = ("lapsed", "terminated", "non_performed", "referred")
REVIEW_STATES = ("agreed", "performing", "non_performed")
DISPATCH_METHODS: dict[str, str] = {
    "in_person": "当面递交", "post": "邮寄（EMS/挂号信）", "courier": "快递", "electronic": "电子送达/网上提交",
}
OUTCOMES = {"granted": "通过", "refused": "未通过"}


class PackageNotReady(DomainError):
    code = "package_not_ready"
    title = "移交材料尚未生成完毕"
    status = 409


class DispatchAlreadyRecorded(DomainError):
    code = "dispatch_recorded"
    title = "已登记送达"
    status = 409


class OutcomeAlreadyRecorded(DomainError):
    code = "outcome_recorded"
    title = "已登记审查结果"
    status = 409


@dataclass(frozen=True)
class PackageOption:
    kind: str
    label: str
    allowed: bool
    reason: str = ""
    deadline: dt.date | None = None
    basis: str = ""


def _window_row(case: Case, kind: str) -> Any | None:
    rows = [d for d in case.deadlines if d.kind == WINDOW_KIND[kind]]
    return rows[-1] if rows else None


def package_options(case: Case, today: dt.date) -> list[PackageOption]:
    """Which packages this case may have now, and why not (each refusal in words a mediator reads)."""
    out: list[PackageOption] = []
    state = get_definition(case.workflow_version).state(case.status).label
    if case.status in REFERRAL_STATES and (case.status != "referred" or case.accepted_on is not None):
        out.append(PackageOption("referral", KIND_LABELS["referral"], True))
    else:
        out.append(PackageOption("referral", KIND_LABELS["referral"], False,
                                 f"案件当前为“{state}”：调解不成（终止）、调解期满或协议未履行时才能制作申请仲裁材料"))
    agreement = case.current_agreement
    for kind in REVIEW_KINDS:
        label = KIND_LABELS[kind]
        row = _window_row(case, kind) if agreement is not None else None
        deadline = row.due_on if row is not None else None
        if agreement is None:
            out.append(PackageOption(kind, label, False, "本案没有调解协议", basis=WINDOW_BASIS[kind]))
        elif agreement.kind == AgreementKind.SETTLEMENT:
            out.append(PackageOption(kind, label, False, "和解协议不能申请仲裁审查或司法确认，仅适用于经调解组织调解"
                                     "达成的调解协议", basis=WINDOW_BASIS[kind]))
        elif case.status not in REVIEW_STATES:
            out.append(PackageOption(kind, label, False, f"案件当前为“{state}”，不能再申请", deadline,
                                     WINDOW_BASIS[kind]))
        elif agreement.review_kind == kind:
            # requested already: the package of that request can still be made (or made again)
            out.append(PackageOption(kind, label, True, deadline=deadline, basis=WINDOW_BASIS[kind]))
        elif agreement.review_kind:
            other = KIND_LABELS[agreement.review_kind]
            out.append(PackageOption(kind, label, False, f"已登记{other.removesuffix('材料')}", deadline,
                                     WINDOW_BASIS[kind]))
        elif row is None or row.status != "open":
            out.append(PackageOption(kind, label, False, "申请期限已结束", deadline, WINDOW_BASIS[kind]))
        elif today > row.due_on:
            out.append(PackageOption(kind, label, False, f"申请期限已于{row.due_on.isoformat()}届满", deadline,
                                     WINDOW_BASIS[kind]))
        else:
            out.append(PackageOption(kind, label, True, deadline=deadline, basis=WINDOW_BASIS[kind]))
    return out


# --- schemas --------------------------------------------------------------------------------------------


class CreatePackageSchema(Schema):
    class Meta:
        unknown = "raise"

    kind = fields.String(required=True, validate=validate.OneOf(list(KIND_LABELS), error="请选择材料类型"))
    addressee = fields.String(load_default="", validate=validate.Length(max=200, error="不超过200个字"))


class DispatchSchema(Schema):
    class Meta:
        unknown = "raise"

    dispatched_to = fields.String(required=True, validate=validate.Length(min=1, max=200, error="请填写接收机关"))
    method = fields.String(required=True, validate=validate.OneOf(list(DISPATCH_METHODS), error="请选择送达方式"))
    dispatched_on = fields.Date(load_default=None, allow_none=True)
    tracking_number = fields.String(load_default="", validate=validate.Length(max=64, error="不超过64个字符"))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class OutcomeSchema(Schema):
    class Meta:
        unknown = "raise"

    outcome = fields.String(required=True, validate=validate.OneOf(list(OUTCOMES), error="请选择审查结果"))
    decision_number = fields.String(required=True,
                                    validate=validate.Length(min=1, max=64, error="请填写调解书或裁定书文号"))
    decided_on = fields.Date(load_default=None, allow_none=True)
    decided_by = fields.String(load_default="", validate=validate.Length(max=200))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


def _load(schema: Schema, data: Mapping[str, Any], what: str) -> dict[str, Any]:
    try:
        return dict(schema.load(dict(data)))
    except ValidationError as exc:
        errors = exc.normalized_messages()
        first = next(iter(errors.values())) if isinstance(errors, dict) and errors else ["输入有误"]
        message = first[0] if isinstance(first, list) and first else str(first)
        raise ValidationFailed(f"{what}：{message}", errors=errors) from exc


# --- use cases --------------------------------------------------------------------------------------------


def list_packages(session: Session, *, actor: Actor, case_id: int) -> Sequence[HandoffPackage]:
    case_service.get_case(session, case_id=case_id, actor=actor)
    return session.scalars(select(HandoffPackage).where(HandoffPackage.case_id == case_id)
                           .order_by(HandoffPackage.id.desc())).all()


def get_package(session: Session, *, actor: Actor, case_id: int, package_id: int) -> HandoffPackage:
    case_service.get_case(session, case_id=case_id, actor=actor)
    pkg = session.get(HandoffPackage, package_id)
    if pkg is None or pkg.case_id != case_id:
        raise NotFound(f"移交材料{package_id}不存在")
    return pkg


def create_package(
    session: Session, *, actor: Actor, case_id: int, data: Mapping[str, Any], env: ServiceEnv,
    blobs: BlobStore, queue: JobQueue | None = None, today: dt.date | None = None,
) -> HandoffPackage:
    """Record the package and build it: through ``queue`` (a worker builds it after commit; inline on SQLite), or
    here, in this unit of work, without one. Either way, a failure to build leaves nothing half-written."""
    d = _load(CreatePackageSchema(), data, "移交材料有误")
    with unit_of_work(session):
        case = case_service.get_case(session, case_id=case_id, actor=actor, for_update=True)
        if not can(actor, "act", case) or not can(actor, "read_personal", case):
            raise PermissionDenied("只有经办本案的调解员、登记员可以制作移交材料")
        today = today or env.today()
        option = next(o for o in package_options(case, today) if o.kind == d["kind"])
        if not option.allowed:
            raise ValidationFailed(f"不能制作{option.label}：{option.reason}", errors={"kind": [option.reason]})
        pkg = HandoffPackage(case_id=case.id, kind=d["kind"], status="pending", error="",
                             deadline_on=option.deadline, addressee=d["addressee"].strip(),
                             created_by_id=actor.user_id)
        session.add(pkg)
        session.flush()
        if queue is not None:
            queue.defer(session, BUILD_TASK, queue=DOCUMENTS_QUEUE, package_id=pkg.id, today=today.isoformat())
        else:
            build_files(session, pkg, case, actor=actor, today=today, blobs=blobs)
        return pkg


def build_package(session: Session, *, package_id: int, blobs: BlobStore, today: str | None = None) -> None:
    """The job: build a pending package as its maker, as of the day it was asked for (ISO date; the caller
    commits, a failure rolls everything back)."""
    pkg = session.get(HandoffPackage, package_id)
    if pkg is None or pkg.status == "ready":
        return
    maker = session.get(User, pkg.created_by_id) if pkg.created_by_id else None
    actor = (Actor(user_id=maker.id, role=maker.role, organisation_id=maker.organisation_id,
                   org_path=maker.organisation.path, name=maker.display_name)
             if maker is not None else Actor.system())
    case = session.scalars(select(Case).where(Case.id == pkg.case_id).with_for_update(of=Case)).one()
    build_files(session, pkg, case, actor=actor, today=dt.date.fromisoformat(today) if today else china_today(),
           blobs=blobs)


def mark_failed(session: Session, exc: BaseException, *, package_id: int, **_: Any) -> None:
    """After the job's last attempt: the package says it failed (it can be made again)."""
    pkg = session.get(HandoffPackage, package_id)
    if pkg is not None and pkg.status != "ready":
        pkg.status = "failed"
        pkg.error = f"{type(exc).__name__}: {exc}"[:2000]


def handoff_handlers(blobs: BlobStore) -> tuple[dict[str, Any], dict[str, Any]]:
    """``({task: handler}, {task: on_failure})`` of the package build, bound to ``blobs``."""
    return {BUILD_TASK: functools.partial(build_package, blobs=blobs)}, {BUILD_TASK: mark_failed}


def download(session: Session, *, actor: Actor, case_id: int, package_id: int, what: str, endpoint: str,
             blobs: BlobStore) -> tuple[HandoffPackage, bytes, str]:
    """The ZIP (``what="zip"``) or the merged PDF (``"pdf"``): full particulars, so only the roles that handle the
    parties, and every download is recorded as a read of personal data (like a document's). Verified bytes."""
    with unit_of_work(session):
        case = case_service.get_case(session, case_id=case_id, actor=actor)
        pkg = session.get(HandoffPackage, package_id)
        if pkg is None or pkg.case_id != case.id:
            raise NotFound(f"移交材料{package_id}不存在")
        if not can(actor, "read_personal", case):
            raise PermissionDenied("移交材料含当事人身份证号码等个人信息，仅经办的登记员和调解员可以下载")
        if pkg.status != "ready":
            raise PackageNotReady("移交材料尚未生成完毕，请稍后再试", package_status=pkg.status)
        key, digest = (pkg.zip_key, pkg.zip_sha256) if what == "zip" else (pkg.pdf_key, pkg.pdf_sha256)
        assert key is not None and digest is not None
        if actor.user_id is not None:
            session.add(PersonalDataAccess(user_id=actor.user_id, case_id=case.id,
                                           fields=["handoff_package", pkg.kind, str(pkg.id), what],
                                           endpoint=endpoint))
        data = blobs.get(key, digest)
        return pkg, data, file_name(case, pkg, what)


def file_name(case: Case, pkg: HandoffPackage, what: str) -> str:
    return f"{case.number}-{KIND_LABELS[pkg.kind]}.{'zip' if what == 'zip' else 'pdf'}"


def record_dispatch(session: Session, *, actor: Actor, case_id: int, package_id: int, data: Mapping[str, Any],
                    env: ServiceEnv, expected_version: int | None = None,
                    today: dt.date | None = None) -> HandoffPackage:
    """Where, how and when the package went (and the tracking number). Sending a referral moves a case that is
    not referred yet to ``referred`` (the ``refer`` event, in the same unit of work); a review or confirmation
    package records the joint request (``request_review``) when it was not recorded yet."""
    d = _load(DispatchSchema(), data, "送达信息有误")
    today = today or env.today()
    sent_on = d["dispatched_on"] or today
    if sent_on > today:
        raise ValidationFailed("送达日期不能晚于今天", errors={"dispatched_on": ["送达日期不能晚于今天"]})
    case = case_service.get_case(session, case_id=case_id, actor=actor, for_update=True)
    pkg = session.get(HandoffPackage, package_id)
    try:
        if pkg is None or pkg.case_id != case.id:
            raise NotFound(f"移交材料{package_id}不存在")
        if not can(actor, "act", case):
            raise PermissionDenied("您无权办理该案件")
        if pkg.status != "ready":
            raise PackageNotReady("移交材料尚未生成完毕，不能登记送达", package_status=pkg.status)
        if pkg.dispatched_on is not None:
            raise DispatchAlreadyRecorded(
                f"该材料已于{pkg.dispatched_on.isoformat()}送达{pkg.dispatched_to}；再次送达请重新制作移交材料")
        built_on = dt.date.fromisoformat((pkg.manifest or {}).get("package", {}).get("built_on") or sent_on.isoformat())
        if sent_on < built_on:
            raise ValidationFailed("送达日期不能早于材料制作日期",
                                   errors={"dispatched_on": ["送达日期不能早于材料制作日期"]})
        pkg.dispatched_to = d["dispatched_to"].strip()
        pkg.dispatch_method = d["method"]
        pkg.dispatched_on = sent_on
        pkg.tracking_number = d["tracking_number"].strip() or None
        pkg.dispatched_by_id = actor.user_id
        pkg.dispatched_at = dt.datetime.now(dt.UTC)
        payload = {"package_id": pkg.id, "kind": pkg.kind, "to": pkg.dispatched_to, "method": pkg.dispatch_method,
                   "on": sent_on.isoformat(), "tracking_number": pkg.tracking_number}
        definition = get_definition(case.workflow_version)
        refer = definition.transition("refer")
        review = definition.transition("request_review")
        event: str | None = None
        event_payload: dict[str, Any] = {}
        if pkg.kind == "referral" and refer is not None and case.status in refer.sources:
            event, event_payload = "refer", {"arbitration_committee": pkg.dispatched_to,
                                             "note": f"移交材料已{DISPATCH_METHODS[pkg.dispatch_method]}"}
        elif (pkg.kind in REVIEW_KINDS and review is not None and case.status in review.sources
              and case.current_agreement is not None and not case.current_agreement.review_kind):
            event, event_payload = "request_review", {"review_kind": pkg.kind, "requested_on": sent_on,
                                                      "note": f"向{pkg.dispatched_to}提交共同申请"}
        case_service.append_side_event(session, case, event="handoff_dispatched", actor=actor, payload=payload,
                                       reason=d["note"])
        if event is None:
            with unit_of_work(session):
                pass
        else:
            # one unit of work: fire_event commits the dispatch with the transition, or rolls both back
            case_service.fire_event(session, case_id=case.id, event=event, actor=actor, payload=event_payload,
                                    expected_version=expected_version, env=env, today=today)
    except BaseException:
        session.rollback()
        raise
    return pkg


def record_outcome(session: Session, *, actor: Actor, case_id: int, package_id: int, data: Mapping[str, Any],
                   env: ServiceEnv, expected_version: int | None = None,
                   today: dt.date | None = None) -> HandoffPackage:
    """What came back for a review or confirmation package: granted (the commission's 调解书 or the court's ruling
    number) closes the case (``review_granted``); refused (``review_refused``) leaves it where it is."""
    d = _load(OutcomeSchema(), data, "审查结果有误")
    today = today or env.today()
    case = case_service.get_case(session, case_id=case_id, actor=actor, for_update=True)
    pkg = session.get(HandoffPackage, package_id)
    try:
        if pkg is None or pkg.case_id != case.id:
            raise NotFound(f"移交材料{package_id}不存在")
        if pkg.kind not in REVIEW_KINDS:
            raise ValidationFailed("申请仲裁材料没有审查结果可登记",
                                   errors={"outcome": ["仅仲裁审查、司法确认材料可登记结果"]})
        if pkg.dispatched_on is None:
            raise ValidationFailed("请先登记送达情况，再登记审查结果", errors={"outcome": ["尚未登记送达"]})
        if pkg.outcome is not None:
            raise OutcomeAlreadyRecorded(f"已登记审查结果（{OUTCOMES[pkg.outcome]}，{pkg.outcome_number}）")
        decided_on = d["decided_on"] or today
        if decided_on < pkg.dispatched_on:
            raise ValidationFailed("决定日期不能早于送达日期", errors={"decided_on": ["决定日期不能早于送达日期"]})
        pkg.outcome = d["outcome"]
        pkg.outcome_number = d["decision_number"].strip()
        pkg.outcome_on = decided_on
        pkg.outcome_by_id = actor.user_id
        pkg.outcome_at = dt.datetime.now(dt.UTC)
        event = "review_granted" if d["outcome"] == "granted" else "review_refused"
        if get_definition(case.workflow_version).transition(event) is None:
            # a case opened before the outcomes were in the workflow (v1, v2): the outcome is recorded in the
            # history; a granted one is archived by the usual close once the case allows it
            case_service.append_side_event(
                session, case, event="handoff_outcome", actor=actor, reason=d["note"],
                payload={"package_id": pkg.id, "outcome": pkg.outcome, "decision_number": pkg.outcome_number,
                         "decided_on": decided_on.isoformat()})
            with unit_of_work(session):
                pass
        else:
            case_service.fire_event(
                session, case_id=case.id, event=event, actor=actor, expected_version=expected_version, env=env,
                today=today, payload={"decision_number": pkg.outcome_number, "decided_on": decided_on,
                         "decided_by": d["decided_by"], "note": d["note"]})
    except BaseException:
        session.rollback()
        raise
    return pkg


# --- building ------------------------------------------------------------------------------------------


def package_dict(pkg: HandoffPackage) -> dict[str, Any]:
    files = (pkg.manifest or {}).get("files", [])
    return {
        "id": pkg.id, "case_id": pkg.case_id, "kind": pkg.kind, "label": KIND_LABELS.get(pkg.kind, pkg.kind),
        "status": pkg.status, "error": pkg.error, "addressee": pkg.addressee, "deadline_on": pkg.deadline_on,
        "created_at": pkg.created_at, "created_by_id": pkg.created_by_id, "built_at": pkg.built_at,
        "zip": {"sha256": pkg.zip_sha256, "size": pkg.zip_size} if pkg.zip_key else None,
        "pdf": {"sha256": pkg.pdf_sha256, "size": pkg.pdf_size, "pages": pkg.pdf_pages} if pkg.pdf_key else None,
        "files": [{"name": f["name"], "title": f["title"], "sha256": f["sha256"], "size": f["size"]} for f in files],
        "not_included": (pkg.manifest or {}).get("not_included", []),
        "dispatch": None if pkg.dispatched_on is None else {
            "to": pkg.dispatched_to, "method": pkg.dispatch_method,
            "method_label": DISPATCH_METHODS.get(pkg.dispatch_method or "", ""), "on": pkg.dispatched_on,
            "tracking_number": pkg.tracking_number, "by_id": pkg.dispatched_by_id},
        "outcome": None if pkg.outcome is None else {
            "result": pkg.outcome, "label": OUTCOMES[pkg.outcome], "decision_number": pkg.outcome_number,
            "decided_on": pkg.outcome_on, "by_id": pkg.outcome_by_id},
    }
