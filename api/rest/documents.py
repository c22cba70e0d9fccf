"""Official documents: the catalogue, a case's documents, generate, download (PDF), verify a file."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.db import blob_store, db_session
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
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    event_seq = fields.Integer(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    download_url = fields.String(required=True)


class VerifyIn(Strict):
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="须为64位十六进制"))


class VerifyOut(Schema):
    match = fields.Boolean(required=True)
    sha256 = fields.String(required=True)
    expected_sha256 = fields.String(required=True)
    document_id = fields.Integer(required=True)
    number = fields.String(required=True)
    version = fields.Integer(required=True)


def _out(doc: GeneratedDocument) -> dict[str, Any]:
    return {c: getattr(doc, c) for c in ("id", "case_id", "kind", "title", "number", "subject", "version", "sha256",
                                         "size", "pages", "event_seq", "created_by_id", "created_at")} | {
        "download_url": f"/api/v1/cases/{doc.case_id}/documents/{doc.id}/pdf"}


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
    @blp.response(201, DocumentOut)
    @blp.alt_response(422, description="内容不全或案件状态不允许制作该文书")
    @blp.doc(operationId="createDocument")
    def post(self, data: dict[str, Any], case_id: int) -> dict[str, Any]:
        """按需生成文书（再次生成同一文书产生新版本，文号不变）"""
        kind = data.pop("kind")
        params = {k: v for k, v in data.items() if v is not None}
        service.check_generation_args(kind, params)
        doc = service.generate_on_demand(db_session(), actor=current_actor(), case_id=case_id, kind=kind,
                                         params=params, blobs=blob_store())
        return _out(doc)


@blp.route("/cases/<id:case_id>/documents/<id:document_id>")
class CaseDocument(MethodView):
    @blp.response(200, DocumentOut)
    @blp.doc(operationId="getDocument")
    def get(self, case_id: int, document_id: int) -> dict[str, Any]:
        """文书信息（不含文件）"""
        return _out(service.get_document(db_session(), actor=current_actor(), case_id=case_id,
                                         document_id=document_id))


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
