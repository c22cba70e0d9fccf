"""Hand-off packages (documents/handoff.py): which a case may have now, make one, download its ZIP or merged PDF,
record where it was sent and what came back."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.auth import current_actor
from api.db import blob_store, db_session, service_env
from api.rest.representations import Id
from documents import handoff
from mediation.cases import service as case_svc
from mediation.domain.errors import ValidationFailed

blp = Blueprint("handoff", __name__, url_prefix="/api/v1",
                description="移交材料：申请仲裁（仲裁须由当事人书面申请）、仲裁审查与司法确认申请材料的制作、下载、送达与结果")


class OptionOut(Schema):
    kind = fields.String(required=True)
    label = fields.String(required=True)
    allowed = fields.Boolean(required=True)
    reason = fields.String(required=True, metadata={"description": "不能制作的原因"})
    deadline = fields.Date(allow_none=True, metadata={"description": "申请期限的最后一日"})
    basis = fields.String(required=True)


class FileOut(Schema):
    name = fields.String(required=True)
    title = fields.String(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)


class DispatchOut(Schema):
    to = fields.String()
    method = fields.String()
    method_label = fields.String()
    on = fields.Date()
    tracking_number = fields.String(allow_none=True)
    by_id = fields.Integer(allow_none=True)


class OutcomeOut(Schema):
    result = fields.String()
    label = fields.String()
    decision_number = fields.String()
    decided_on = fields.Date()
    by_id = fields.Integer(allow_none=True)


class PackageOut(Schema):
    id = fields.Integer(required=True)
    case_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    label = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pending 生成中 | ready 已生成 | failed 失败"})
    error = fields.String()
    addressee = fields.String()
    deadline_on = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    created_by_id = fields.Integer(allow_none=True)
    built_at = fields.DateTime(allow_none=True)
    zip = fields.Dict(allow_none=True)
    pdf = fields.Dict(allow_none=True)
    files = fields.List(fields.Nested(FileOut))
    not_included = fields.List(fields.Dict())
    dispatch = fields.Nested(DispatchOut, allow_none=True)
    outcome = fields.Nested(OutcomeOut, allow_none=True)
    zip_url = fields.String()
    pdf_url = fields.String()


class HandoffOut(Schema):
    options = fields.List(fields.Nested(OptionOut), required=True)
    packages = fields.List(fields.Nested(PackageOut), required=True)


class DispatchIn(handoff.DispatchSchema):
    version = Id(load_default=None, allow_none=True, metadata={"description": "您看到的案件版本（可选）"})


class OutcomeIn(handoff.OutcomeSchema):
    version = Id(load_default=None, allow_none=True, metadata={"description": "您看到的案件版本（可选）"})


def _out(pkg: Any) -> dict[str, Any]:
    base = f"/api/v1/cases/{pkg.case_id}/handoff/packages/{pkg.id}"
    return {**handoff.package_dict(pkg), "zip_url": f"{base}/zip", "pdf_url": f"{base}/pdf"}


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return dict(body) if isinstance(body, dict) else {}


def _version(body: dict[str, Any]) -> int | None:
    body_version = body.pop("version", None)
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if header:
        if not (header.isascii() and header.isdigit() and len(header) <= 10):
            raise ValidationFailed("If-Match 应为案件版本号，例如 \"3\"", errors={"If-Match": ["应为数字"]})
        return int(header)
    return body_version if isinstance(body_version, int) else None


def _today() -> dt.date:
    return service_env().today()


@blp.route("/cases/<id:case_id>/handoff")
class CaseHandoff(MethodView):
    @blp.response(200, HandoffOut)
    @blp.doc(operationId="getCaseHandoff")
    def get(self, case_id: int) -> dict[str, Any]:
        """本案可制作的移交材料（不能制作的原因、申请期限）与已制作的材料"""
        session, actor = db_session(), current_actor()
        case = case_svc.get_case(session, case_id=case_id, actor=actor, with_=("deadlines", "agreements"))
        options = [o.__dict__ for o in handoff.package_options(case, _today())]
        packages = [_out(p) for p in handoff.list_packages(session, actor=actor, case_id=case_id)]
        return {"options": options, "packages": packages}


@blp.route("/cases/<id:case_id>/handoff/packages")
class Packages(MethodView):
    @blp.arguments(handoff.CreatePackageSchema)
    @blp.response(201, PackageOut)
    @blp.alt_response(422, description="案件状态或期限不允许制作该材料")
    @blp.doc(operationId="createHandoffPackage")
    def post(self, _data: dict[str, Any], case_id: int) -> dict[str, Any]:
        """制作移交材料（ZIP：全部文书、清单与 manifest.json；合并打印版 PDF）；有任务队列时由后台生成"""
        pkg = handoff.create_package(db_session(), actor=current_actor(), case_id=case_id, data=_body(),
                                     env=service_env(), blobs=blob_store(),
                                     queue=current_app.extensions.get("mediation.queue"))
        return _out(pkg)


@blp.route("/cases/<id:case_id>/handoff/packages/<id:package_id>")
class Package(MethodView):
    @blp.response(200, PackageOut)
    @blp.doc(operationId="getHandoffPackage")
    def get(self, case_id: int, package_id: int) -> dict[str, Any]:
        """一份移交材料：文件及其 SHA-256、送达情况与审查结果"""
        return _out(handoff.get_package(db_session(), actor=current_actor(), case_id=case_id, package_id=package_id))


def _download(case_id: int, package_id: int, what: str) -> Response:
    pkg, data, name = handoff.download(db_session(), actor=current_actor(), case_id=case_id, package_id=package_id,
                                       what=what, endpoint=f"handoff_{what}", blobs=blob_store())
    mimetype = "application/zip" if what == "zip" else "application/pdf"
    resp = Response(data, mimetype=mimetype)
    ascii_name = f"handoff-{pkg.id}.{what}"
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    resp.headers["X-Content-SHA256"] = pkg.zip_sha256 if what == "zip" else pkg.pdf_sha256
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@blp.route("/cases/<id:case_id>/handoff/packages/<id:package_id>/zip")
class PackageZip(MethodView):
    @blp.response(200, description="ZIP：各文书 PDF、材料清单、合并打印版与 manifest.json",
                  content_type="application/zip")
    @blp.alt_response(403, description="含个人信息，仅经办人员可下载")
    @blp.doc(operationId="downloadHandoffZip")
    def get(self, case_id: int, package_id: int) -> Response:
        """下载移交材料 ZIP（含个人信息，下载会被记录）"""
        return _download(case_id, package_id, "zip")


@blp.route("/cases/<id:case_id>/handoff/packages/<id:package_id>/pdf")
class PackagePdf(MethodView):
    @blp.response(200, description="合并打印版 PDF（每份材料一个书签）", content_type="application/pdf")
    @blp.alt_response(403, description="含个人信息，仅经办人员可下载")
    @blp.doc(operationId="downloadHandoffPdf")
    def get(self, case_id: int, package_id: int) -> Response:
        """下载合并打印版 PDF（含个人信息，下载会被记录）"""
        return _download(case_id, package_id, "pdf")


@blp.route("/cases/<id:case_id>/handoff/packages/<id:package_id>/dispatch")
class PackageDispatch(MethodView):
    @blp.arguments(DispatchIn)
    @blp.response(200, PackageOut)
    @blp.doc(operationId="recordHandoffDispatch")
    def post(self, _data: dict[str, Any], case_id: int, package_id: int) -> dict[str, Any]:
        """登记送达（接收机关、方式、日期、邮件单号）；申请仲裁材料送出即记为已告知申请仲裁（仲裁仍须当事人书面申请），审查/确认材料送出即登记共同申请"""
        body = _body()
        version = _version(body)
        pkg = handoff.record_dispatch(db_session(), actor=current_actor(), case_id=case_id, package_id=package_id,
                                      data=body, env=service_env(), expected_version=version)
        return _out(pkg)


@blp.route("/cases/<id:case_id>/handoff/packages/<id:package_id>/outcome")
class PackageOutcome(MethodView):
    @blp.arguments(OutcomeIn)
    @blp.response(200, PackageOut)
    @blp.doc(operationId="recordHandoffOutcome")
    def post(self, _data: dict[str, Any], case_id: int, package_id: int) -> dict[str, Any]:
        """登记审查或确认结果：通过（调解书或裁定书文号）即结案归档；未通过则案件继续履行"""
        body = _body()
        version = _version(body)
        pkg = handoff.record_outcome(db_session(), actor=current_actor(), case_id=case_id, package_id=package_id,
                                     data=body, env=service_env(), expected_version=version)
        return _out(pkg)
