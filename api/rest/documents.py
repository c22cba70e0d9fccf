"""Official documents: the catalogue, a case's documents, generate, download (PDF), verify a file."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.db import blob_store, db_session, service_env
from api.rest.representations import Id, Strict
from documents import service
from documents.builders.service_receipt import SERVICE_METHODS
from documents.catalogue import CATALOGUE
from mediation.db.models_documents import GeneratedDocument
from mediation.domain.errors import ValidationFailed
from workflows.schema import load_input

blp = Blueprint("documents", __name__, url_prefix="/api/v1", description="文书：生成、下载与核验")

_text = {"load_default": None, "allow_none": True}


class DocumentKindOut(Schema):
    kind = fields.String(required=True)
    title = fields.String(required=True)
    pattern = fields.String(required=True, metadata={"description": "默认编号格式"})
    subject = fields.String(required=True)
    inputs = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "按需生成时可填写的内容（*为必填）"})


class GenerateIn(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(list(CATALOGUE)))
    session_id = Id(**_text)
    served_document_id = Id(**_text)
    recipient = fields.String(validate=validate.Length(max=200), **_text)
    address = fields.String(validate=validate.Length(max=255), **_text)
    method = fields.String(validate=validate.OneOf(SERVICE_METHODS), **_text)
    server = fields.String(validate=validate.Length(max=64), **_text)
    arbitration_committee = fields.String(validate=validate.Length(max=200), **_text)
    review_kind = fields.String(validate=validate.OneOf(["arbitration_review", "judicial_confirmation"]), **_text)
    addressee = fields.String(validate=validate.Length(max=200), **_text)
    authority = fields.String(validate=validate.Length(max=200), **_text)
    facts = fields.String(validate=validate.Length(max=5000), **_text)
    legal_basis = fields.String(validate=validate.Length(max=2000), **_text)
    correction = fields.String(validate=validate.Length(max=2000), **_text)
    reply_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=60), **_text)
    response_history = fields.String(validate=validate.Length(max=5000), **_text)
    level = fields.String(validate=validate.Length(max=32), **_text)
    indicators = fields.String(validate=validate.Length(max=2000), **_text)
    cause = fields.String(validate=validate.Length(max=2000), **_text)
    trend = fields.String(validate=validate.Length(max=2000), **_text)
    actions = fields.String(validate=validate.Length(max=2000), **_text)
    reporter = fields.String(validate=validate.Length(max=64), **_text)


class DocumentOut(Schema):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    number = fields.String(required=True)
    subject = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["pending", "ready", "failed"]),
                           metadata={"description": "pending：已编号，正在生成；ready：可下载；"
                                                    "failed：生成失败，可重新生成"})
    error = fields.String(required=True, metadata={"description": "生成失败的原因（否则为空）"})
    sha256 = fields.String(required=True, allow_none=True, metadata={"description": "生成完成前为 null"})
    size = fields.Integer(required=True, allow_none=True)
    pages = fields.Integer(required=True, allow_none=True)
    event_seq = fields.Integer(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    rendered_at = fields.DateTime(allow_none=True)
    url = fields.String(required=True, metadata={"description": "本文书信息的地址（生成中时轮询它）"})
    download_url = fields.String(required=True, metadata={"description": "PDF 的地址（status 为 ready 时可下载）"})


class VerifyIn(Strict):
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="须为64位十六进制"))


class VerifyOut(Schema):
    match = fields.Boolean(required=True)
    sha256 = fields.String(required=True)
    expected_sha256 = fields.String(required=True)
    document_id = fields.Integer(required=True)
    number = fields.String(required=True)
    version = fields.Integer(required=True)


def _url(doc: GeneratedDocument) -> str:
    return f"/api/v1/cases/{doc.case_id}/documents/{doc.id}"


def _out(doc: GeneratedDocument) -> dict[str, Any]:
    return {c: getattr(doc, c) for c in ("id", "case_id", "kind", "title", "number", "subject", "version", "status",
                                         "error", "sha256", "size", "pages", "event_seq", "created_by_id",
                                         "created_at", "rendered_at")} | {
        "url": _url(doc), "download_url": f"{_url(doc)}/pdf"}


LOCATION = {"Location": {"description": "文书信息的地址", "schema": {"type": "string"}}}
#: How long a client waits before polling a pending document again (seconds).
POLL_AFTER = 1


def _with_location(doc: GeneratedDocument, created: bool) -> tuple[dict[str, Any], int, dict[str, str]]:
    """201 (ready) or 202 (still rendering: poll ``Location``), the document's address in ``Location``."""
    headers = {"Location": _url(doc)}
    if doc.status == "pending":
        headers["Retry-After"] = str(POLL_AFTER)
        return _out(doc), 202, headers
    return _out(doc), 201 if created else 200, headers


@blp.route("/document-kinds")
class Kinds(MethodView):
    @blp.response(200, DocumentKindOut(many=True))
    @blp.doc(operationId="listDocumentKinds")
    def get(self) -> list[dict[str, Any]]:
        """文书目录（类型、默认编号格式、按需生成所需内容）"""
        current_actor()
        return [{"kind": k.kind, "title": k.title, "pattern": k.pattern, "subject": k.subject,
                 "inputs": dict(k.inputs)} for k in CATALOGUE.values()]


@blp.route("/cases/<id:case_id>/documents")
class CaseDocuments(MethodView):
    @blp.response(200, DocumentOut(many=True))
    @blp.doc(operationId="listDocuments")
    def get(self, case_id: int) -> list[dict[str, Any]]:
        """案件的全部文书（每次生成为一个版本，原有版本不变）"""
        docs = service.list_documents(db_session(), actor=current_actor(), case_id=case_id)
        return [_out(d) for d in docs]

    @blp.arguments(GenerateIn)
    @blp.response(201, DocumentOut, headers=LOCATION)
    @blp.alt_response(202, schema=DocumentOut, headers=LOCATION,
                      description="已编号，正在生成（status 为 pending）：按 Location 轮询")
    @blp.alt_response(422, description="内容不全或案件状态不允许制作该文书")
    @blp.doc(operationId="createDocument")
    def post(self, data: dict[str, Any], case_id: int) -> Any:
        """按需生成文书（再次生成同一文书产生新版本，文号不变）；生成在后台进行时返回 202"""
        kind = data.pop("kind")
        params = {k: v for k, v in data.items() if v is not None}
        service.check_generation_args(kind, params)
        producer = service_env().documents
        queue = getattr(producer, "queue", None)
        doc = service.generate_on_demand(db_session(), actor=current_actor(), case_id=case_id, kind=kind,
                                         params=params, blobs=blob_store(), queue=queue)
        return _with_location(doc, created=True)


@blp.route("/cases/<id:case_id>/documents/<id:document_id>")
class CaseDocument(MethodView):
    @blp.response(200, DocumentOut)
    @blp.doc(operationId="getDocument")
    def get(self, case_id: int, document_id: int) -> Response:
        """文书信息（不含文件）；status 为 pending 时带 Retry-After，按秒轮询"""
        doc = service.get_document(db_session(), actor=current_actor(), case_id=case_id, document_id=document_id)
        resp = jsonify(DocumentOut().dump(_out(doc)))
        if doc.status == "pending":
            resp.headers["Retry-After"] = str(POLL_AFTER)
        return resp


@blp.route("/cases/<id:case_id>/documents/<id:document_id>/render")
class RenderDocument(MethodView):
    @blp.response(202, DocumentOut, headers=LOCATION)
    @blp.alt_response(409, description="文书不是生成失败状态（已生成或正在生成）")
    @blp.doc(operationId="renderDocument")
    def post(self, case_id: int, document_id: int) -> Any:
        """重新生成失败的文书（调解员或督导人员；文号、版本和内容快照不变）"""
        producer = service_env().documents
        doc = service.rerender(db_session(), actor=current_actor(), case_id=case_id, document_id=document_id,
                               queue=getattr(producer, "queue", None), blobs=blob_store())
        out, _status, headers = _with_location(doc, created=False)
        return out, 202, headers


@blp.route("/cases/<id:case_id>/documents/<id:document_id>/pdf")
class CaseDocumentPdf(MethodView):
    @blp.response(200, description="PDF/A-3b 文件", content_type="application/pdf")
    @blp.alt_response(403, description="文书含个人信息，仅经办人员可下载")
    @blp.doc(operationId="downloadDocumentPdf")
    def get(self, case_id: int, document_id: int) -> Response:
        """下载文书 PDF（含个人信息，下载会被记录）"""
        doc, pdf = service.download(db_session(), actor=current_actor(), case_id=case_id, document_id=document_id,
                                    endpoint="document_pdf", blobs=blob_store())
        filename = f"{doc.title}-{doc.number}-v{doc.version}.pdf"
        ascii_name = f"document-{doc.id}-v{doc.version}.pdf"
        resp = Response(pdf, mimetype="application/pdf")
        resp.headers["Content-Disposition"] = (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}")
        resp.headers["X-Content-SHA256"] = doc.sha256
        resp.headers["Cache-Control"] = "private, no-store"
        return resp


@blp.route("/cases/<id:case_id>/documents/<id:document_id>/verify")
class VerifyDocument(MethodView):
    @blp.response(200, VerifyOut)
    @blp.doc(requestBody={"content": {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {"schema": {"type": "object", "required": ["sha256"], "additionalProperties": False,
                                        "properties": {"sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}}}},
    }})
    @blp.doc(operationId="verifyDocument")
    def post(self, case_id: int, document_id: int) -> dict[str, Any]:
        """核验文件：上传 PDF（application/pdf）或提交 SHA-256，与存档记录比对"""
        session = db_session()
        actor = current_actor()
        if request.mimetype == "application/pdf":
            body = request.get_data(cache=False)
            if not body:
                raise ValidationFailed("请上传要核验的 PDF 文件", errors={"file": ["文件为空"]})
            return service.verify(session, actor=actor, case_id=case_id, document_id=document_id, data=body)
        if not request.is_json:
            raise ValidationFailed("请上传 PDF 文件（application/pdf）或以 JSON 提交 SHA-256",
                                   errors={"sha256": ["必填"]})
        data = load_input(VerifyIn(), request.get_json(silent=True) or {})
        doc = service.get_document(session, actor=actor, case_id=case_id, document_id=document_id)
        digest = data["sha256"].lower()
        return {"match": digest == doc.sha256, "sha256": digest, "expected_sha256": doc.sha256,
                "document_id": doc.id, "number": doc.number, "version": doc.version}
