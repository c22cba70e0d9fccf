"""Payments: the ledger of a case's agreement (each obligation's balance and payments with their proof files), recording
a payment with its proof files (multipart; the workflow's performance event), and downloading a proof."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.auth import current_actor
from api.db import blob_store, db_session, service_env
from api.rest.cases import expected_version
from api.rest.representations import MAX_ID, Strict
from mediation.cases import payments
from mediation.cases import service as svc
from mediation.db.models import Agreement, Case, Obligation, PerformanceRecord
from mediation.domain.errors import ValidationFailed
from mediation.domain.policy import Actor, can
from mediation.runtime.metrics import TRANSITIONS

blp = Blueprint("payments", __name__, url_prefix="/api/v1/cases", description="协议履行：付款台账、付款登记与凭证")

#: The body of a payment with its files: ten files of 10 MB and the fields (``api.app`` allows it to the endpoints
#: that take proof files; every other request is held to 1 MB).
MAX_PAYMENT_BODY = payments.MAX_PROOF_FILES * payments.MAX_PROOF_BYTES + 1024 * 1024
UPLOAD_ENDPOINTS = frozenset({"payments.Payments", "ui.record_payment"})


class PaymentIn(Strict):
    """The fields of ``multipart/form-data`` (the files are the parts named ``proof_files``)."""

    obligation_id = fields.Integer(required=True, strict=False,
                                   validate=validate.Range(min=1, max=MAX_ID, error="编号无效"))
    performed_on = fields.Date(required=True)
    amount = fields.String(required=True, validate=validate.Length(min=1, max=40))
    payer = fields.String(load_default="", validate=validate.Length(max=100))
    payee = fields.String(load_default="", validate=validate.Length(max=100))
    proof = fields.String(load_default="", validate=validate.Length(max=255))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    version = fields.Integer(load_default=None, strict=False, validate=validate.Range(min=0, max=MAX_ID))


class ProofOut(Strict):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    url = fields.String(metadata={"description": "下载地址（作为附件下载，不在浏览器中打开）"})


class PaymentOut(Strict):
    id = fields.Integer()
    performed_on = fields.Date()
    amount = fields.String(metadata={"description": "金额（元），字符串，两位小数"})
    payer = fields.String()
    payee = fields.String()
    proof = fields.String()
    recorded_by = fields.String(allow_none=True)
    recorded_at = fields.DateTime()
    files = fields.List(fields.Nested(ProofOut))


class ObligationLedgerOut(Strict):
    id = fields.Integer()
    description = fields.String()
    obligor = fields.String()
    amount = fields.String(metadata={"description": "金额（元），字符串，两位小数"})
    due_on = fields.Date()
    paid = fields.String(metadata={"description": "金额（元），字符串，两位小数"})
    balance = fields.String(metadata={"description": "金额（元），字符串，两位小数"})
    status = fields.String()
    days_left = fields.Integer(metadata={"description": "距履行期限的天数（负数为已逾期）"})
    payments = fields.List(fields.Nested(PaymentOut))


class LedgerOut(Strict):
    case_id = fields.Integer()
    version = fields.Integer()
    agreement_id = fields.Integer(allow_none=True)
    total = fields.String(metadata={"description": "金额（元），字符串，两位小数"})
    paid = fields.String(metadata={"description": "金额（元），字符串，两位小数"})
    balance = fields.String(metadata={"description": "金额（元），字符串，两位小数"})
    obligations = fields.List(fields.Nested(ObligationLedgerOut))


def _yuan(amount: Any) -> str:
    return f"{Decimal(amount):.2f}"


def ledger(session: Session, case: Case, actor: Actor) -> dict[str, Any]:
    """The current agreement's obligations, each with its balance and its payments (proof files listed for the
    roles that may download them)."""
    today = service_env().today()
    agreement = session.scalars(
        select(Agreement).where(Agreement.case_id == case.id).order_by(Agreement.id.desc()).limit(1)
        .options(selectinload(Agreement.obligations).selectinload(Obligation.records)
                 .selectinload(PerformanceRecord.files))).first()
    files_visible = can(actor, "read_personal", case)
    rows = []
    for o in agreement.obligations if agreement else []:
        rows.append({
            "id": o.id, "description": o.description, "obligor": o.obligor, "amount": _yuan(o.amount),
            "due_on": o.due_on, "paid": _yuan(o.performed_amount), "balance": _yuan(o.outstanding), "status": o.status,
            "days_left": (o.due_on - today).days,
            "payments": [{
                "id": r.id, "performed_on": r.performed_on, "amount": _yuan(r.amount), "payer": r.payer,
                "payee": r.payee,
                "proof": r.proof, "recorded_at": r.recorded_at,
                "recorded_by": r.recorded_by.display_name if r.recorded_by else None,
                "files": [{"id": f.id, "filename": f.filename, "content_type": f.content_type, "size": f.size,
                           "sha256": f.sha256, "url": f"/api/v1/cases/{case.id}/payments/proofs/{f.id}"}
                          for f in r.files] if files_visible else [],
            } for r in o.records],
        })
    obligations = agreement.obligations if agreement else []
    return {"case_id": case.id, "version": case.version, "agreement_id": agreement.id if agreement else None,
            "total": _yuan(sum((o.amount for o in obligations), start=Decimal(0))),
            "paid": _yuan(sum((o.performed_amount for o in obligations), start=Decimal(0))),
            "balance": _yuan(sum((o.outstanding for o in obligations), start=Decimal(0))),
            "obligations": rows}


_FIELDS = ("obligation_id", "performed_on", "amount", "payer", "payee", "proof", "note", "version")


@blp.route("/<id:case_id>/payments")
class Payments(MethodView):
    @blp.response(200, LedgerOut)
    @blp.doc(operationId="getPaymentLedger")
    def get(self, case_id: int) -> dict[str, Any]:
        """付款台账：协议每项履行事项的金额、已付、余额及每笔付款（日期、金额、付款人、收款人、凭证）"""
        session = db_session()
        actor = current_actor()
        return ledger(session, svc.get_case(session, case_id=case_id, actor=actor), actor)

    @blp.response(201, LedgerOut)
    @blp.alt_response(403, description="您的角色无权登记履行情况")
    @blp.alt_response(409, description="版本冲突或当前状态不能登记付款")
    @blp.alt_response(413, description="请求过大（每个凭证不超过10 MB，最多10个）")
    @blp.alt_response(422, description="输入有误（金额超过余额、日期、凭证文件类型或大小），逐项说明")
    @blp.alt_response(428, description="未提供版本")
    @blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["obligation_id", "performed_on", "amount"], "additionalProperties": False,
        "properties": {
            "obligation_id": {"type": "integer"}, "performed_on": {"type": "string", "format": "date"},
            "amount": {"type": "string", "description": "金额（元），最多两位小数"},
            "payer": {"type": "string", "maxLength": 100, "description": "付款人（不填为履行义务人）"},
            "payee": {"type": "string", "maxLength": 100, "description": "收款人（不填为对方当事人）"},
            "proof": {"type": "string", "maxLength": 255, "description": "凭证说明（不填时为上传的文件名）"},
            "note": {"type": "string"}, "version": {"type": "integer", "description": "或在 If-Match 头中提供"},
            "proof_files": {"type": "array", "maxItems": payments.MAX_PROOF_FILES,
                            "items": {"type": "string", "format": "binary"},
                            "description": "付款凭证：PDF、JPEG或PNG（按内容判断），每个不超过10 MB"},
        }}}}})
    @blp.doc(operationId="recordPayment")
    def post(self, case_id: int) -> tuple[dict[str, Any], int]:
        """登记一笔付款及其凭证文件（履行情况登记，逾期后为逾期履行登记）"""
        session = db_session()
        actor = current_actor()
        raw = {k: request.form.get(k) for k in _FIELDS if k in request.form}
        try:
            data = PaymentIn().load(raw)
        except ValidationError as exc:
            raise ValidationFailed("付款登记有误，请按提示修改", errors=exc.normalized_messages()) from exc
        unknown = sorted(set(request.form) - set(_FIELDS)) + sorted(set(request.files) - {"proof_files"})
        if unknown:
            raise ValidationFailed("付款登记有误：未知字段", errors={k: ["未知字段"] for k in unknown})
        version = expected_version(data.pop("version"))
        files = [payments.Upload(f.filename or "", f.read(payments.MAX_PROOF_BYTES + 1))
                 for f in request.files.getlist("proof_files") if f.filename or f.content_length]
        payload = {k: v for k, v in data.items() if v != ""}
        payload["performed_on"] = data["performed_on"].isoformat()
        case = payments.record_payment(session, case_id=case_id, actor=actor, payload=payload, files=files,
                                       expected_version=version, env=service_env(), blobs=blob_store())
        TRANSITIONS.labels(payments.payment_event(case)).inc()
        return ledger(session, case, actor), 201


@blp.route("/<id:case_id>/payments/proofs/<id:proof_id>")
class ProofFile(MethodView):
    @blp.response(200, description="付款凭证文件（作为附件下载）",
                  content_type="application/octet-stream")
    @blp.alt_response(403, description="付款凭证含个人信息，仅经办人员可下载")
    @blp.doc(operationId="downloadPaymentProof")
    def get(self, case_id: int, proof_id: int) -> Response:
        """下载付款凭证（PDF、JPEG或PNG，始终作为附件下载）"""
        row, data = payments.read_proof(db_session(), case_id=case_id, proof_id=proof_id, actor=current_actor(),
                                        blobs=blob_store())
        return proof_response(row, data)


def proof_response(row: Any, data: bytes) -> Response:
    """A proof as a download: the type its bytes were checked to be, never shown inline, never sniffed, and
    sandboxed should a browser open it anyway."""
    ext = row.filename.rsplit(".", 1)[-1] if "." in row.filename else "bin"
    resp = Response(data, mimetype=row.content_type)
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"payment-proof-{row.id}.{ext}\"; filename*=UTF-8''{quote(row.filename)}")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
