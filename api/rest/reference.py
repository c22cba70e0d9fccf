"""Reference resources: enterprises, organisations, users (/me), workflow definitions."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from api.auth import current_actor
from api.db import db_session
from api.rest.representations import (
    ConflictIn,
    ConflictOut,
    EnterpriseArgs,
    EnterpriseIn,
    EnterpriseOut,
    EnterprisePageOut,
    OrganisationOut,
    OrganisationPolicyIn,
    UserIn,
    UserOut,
    WorkflowOut,
)
from mediation.accounts import organisations as org_svc
from mediation.accounts.users import create_user
from mediation.cases import assignment as assign_svc
from mediation.cases.queries import region_prefix
from mediation.db.idempotency import run_once
from mediation.db.models import Enterprise, Organisation, Park, User
from mediation.domain.enums import Role
from mediation.domain.errors import DuplicateError, NotFound, PermissionDenied, ValidationFailed
from mediation.domain.policy import can
from mediation.domain.uscc import validate_uscc
from workflows.definitions import CURRENT_VERSION, DEFINITIONS, WorkflowDefinition
from workflows.diagram import mermaid
from workflows.events import SPECS

blp = Blueprint("reference", __name__, url_prefix="/api/v1", description="用人单位、组织与流程定义")


@blp.route("/enterprises")
class Enterprises(MethodView):
    @blp.arguments(EnterpriseArgs, location="query")
    @blp.response(200, EnterprisePageOut)
    @blp.doc(operationId="listEnterprises")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """用人单位列表"""
        current_actor()
        stmt = select(Enterprise)
        if args.get("q"):
            stmt = stmt.where(Enterprise.name.like(f"%{args['q']}%") | (Enterprise.uscc == args["q"].upper()))
        if args.get("region"):
            stmt = stmt.where(Enterprise.region_code.like(region_prefix(args["region"]) + "%"))
        if args.get("park_id") is not None:
            stmt = stmt.where(Enterprise.park_id == args["park_id"])
        session = db_session()
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        items = session.scalars(stmt.order_by(Enterprise.id).limit(args["per_page"])
                                .offset((args["page"] - 1) * args["per_page"])).all()
        return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}

    @blp.arguments(EnterpriseIn)
    @blp.response(201, EnterpriseOut)
    @blp.alt_response(409, description="统一社会信用代码已登记")
    @blp.doc(operationId="createEnterprise")
    def post(self, data: dict[str, Any]) -> Any:
        """登记用人单位（统一社会信用代码校验）"""
        actor = current_actor()
        if actor.role not in (Role.CLERK, Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN):
            raise PermissionDenied("您无权登记用人单位")
        session = db_session()
        raw = request.get_json()

        def create() -> tuple[int, dict[str, Any]]:
            fields = dict(data)
            if fields.get("uscc"):
                try:
                    fields["uscc"] = validate_uscc(fields["uscc"])
                except ValueError as exc:
                    raise ValidationFailed(str(exc), errors={"uscc": [str(exc)]}) from exc
                if session.scalar(select(Enterprise.id).where(Enterprise.uscc == fields["uscc"])) is not None:
                    raise DuplicateError("该统一社会信用代码已登记")
            if fields.get("park_id") is not None and session.get(Park, fields["park_id"]) is None:
                raise ValidationFailed("园区不存在", errors={"park_id": ["园区不存在"]})
            if fields.get("region_code"):
                from mediation.accounts.organisations import ensure_region

                ensure_region(session, fields["region_code"])
            ent = Enterprise(**fields)
            session.add(ent)
            session.commit()
            return 201, EnterpriseOut().dump(ent)

        key = request.headers.get("Idempotency-Key")
        if key is None:
            status, body = create()
        else:
            assert actor.user_id is not None
            status, body, _ = run_once(session, user_id=actor.user_id, key=key, endpoint="enterprises.create",
                                       body=raw, action=create)
        resp = jsonify(body)
        resp.status_code = status
        return resp


@blp.route("/enterprises/<id:enterprise_id>")
class EnterpriseItem(MethodView):
    @blp.response(200, EnterpriseOut)
    @blp.doc(operationId="getEnterprise")
    def get(self, enterprise_id: int) -> Enterprise:
        """用人单位详情"""
        current_actor()
        ent = db_session().get(Enterprise, enterprise_id)
        if ent is None:
            raise NotFound("用人单位不存在")
        return ent


@blp.route("/organisations")
class Organisations(MethodView):
    @blp.response(200, OrganisationOut(many=True))
    @blp.doc(operationId="listOrganisations")
    def get(self) -> list[Organisation]:
        """本人所在组织及其下级组织"""
        actor = current_actor()
        session = db_session()
        if actor.sees_subtree:
            stmt = select(Organisation).where(Organisation.path.like(f"{actor.org_path}%"))
        else:
            stmt = select(Organisation).where(Organisation.id == actor.organisation_id)
        return list(session.scalars(stmt.order_by(Organisation.path)).all())


@blp.route("/organisations/<id:organisation_id>/policy")
class OrganisationPolicy(MethodView):
    @blp.arguments(OrganisationPolicyIn)
    @blp.response(200, OrganisationOut)
    @blp.doc(operationId="setOrganisationPolicy")
    def patch(self, _data: dict[str, Any], organisation_id: int) -> Organisation:
        """修改本会规定：延长调解期限的上限（默认不设）、集体争议代表人数（3至5名，默认采用）、本组织规则条文"""
        return org_svc.set_policy(db_session(), actor=current_actor(), organisation_id=organisation_id,
                                  data=request.get_json())


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserOut)
    @blp.doc(operationId="getMe", tags=["users"])
    def get(self) -> User:
        """当前用户"""
        actor = current_actor()
        user = db_session().get(User, actor.user_id)
        assert user is not None
        return user


@blp.route("/me/conflicts")
class MyConflicts(MethodView):
    @blp.arguments(ConflictIn)
    @blp.response(201, ConflictOut)
    @blp.doc(operationId="declareConflict", tags=["users"])
    def post(self, data: dict[str, Any]) -> Any:
        """申报回避（与用人单位或当事人存在利害关系）"""
        actor = current_actor()
        user = db_session().get(User, actor.user_id)
        assert user is not None
        return assign_svc.declare_conflict(db_session(), user=user, reason=data["reason"],
                                           enterprise_id=data.get("enterprise_id"), party_name=data.get("party_name"))


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserOut(many=True))
    @blp.doc(operationId="listUsers", tags=["users"])
    def get(self) -> list[User]:
        """用户列表（管理员：本组织及下级）"""
        actor = current_actor()
        if not can(actor, "manage_users"):
            raise PermissionDenied("只有系统管理员可以管理用户")
        stmt = select(User).join(Organisation).where(Organisation.path.like(f"{actor.org_path}%")).order_by(User.id)
        return list(db_session().scalars(stmt).all())

    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    @blp.alt_response(409, description="用户名已存在")
    @blp.doc(operationId="createUser", tags=["users"])
    def post(self, data: dict[str, Any]) -> User:
        """创建用户（管理员）"""
        actor = current_actor()
        if not can(actor, "manage_users"):
            raise PermissionDenied("只有系统管理员可以管理用户")
        session = db_session()
        org = session.get(Organisation, data["organisation_id"])
        if org is None or not org.path.startswith(actor.org_path):
            raise ValidationFailed("组织不存在或不在您的管辖范围内", errors={"organisation_id": ["组织无效"]})
        return create_user(session, username=data["username"], password=data["password"],
                           display_name=data["display_name"], role=data["role"], organisation_id=org.id,
                           phone=data.get("phone"), actor=actor, client=request.remote_addr or "-")


def workflow_dict(d: WorkflowDefinition) -> dict[str, Any]:
    return {
        "version": d.version, "current": d.version == CURRENT_VERSION, "initial_states": list(d.initial_states),
        "states": [{"name": s.name, "label": s.label, "terminal": s.terminal, "open": s.open,
                    "description": s.description} for s in d.states],
        "transitions": [{"event": t.event, "label": t.label, "sources": list(t.sources), "dest": t.dest,
                         "guards": list(t.guards), "roles": sorted(t.roles), "opens": list(SPECS[t.event].opens),
                         "meets": list(SPECS[t.event].meets), "cancels": list(SPECS[t.event].cancels),
                         "produces": list(SPECS[t.event].produces),
                         "requires_reason": t.requires_reason, "description": t.description}
                        for t in d.transitions],
        "mermaid": mermaid(d),
    }


@blp.route("/workflows")
class Workflows(MethodView):
    @blp.response(200, WorkflowOut(many=True))
    @blp.doc(operationId="listWorkflows")
    def get(self) -> list[dict[str, Any]]:
        """流程定义（全部版本：状态、操作、条件、期限和流程图）"""
        current_actor()
        return [workflow_dict(d) for d in DEFINITIONS.values()]


@blp.route("/workflows/<version>")
class WorkflowItem(MethodView):
    @blp.response(200, WorkflowOut)
    @blp.doc(operationId="getWorkflow")
    def get(self, version: str) -> dict[str, Any]:
        """某一版本的流程定义"""
        current_actor()
        d = DEFINITIONS.get(version)
        if d is None:
            raise NotFound(f"流程定义版本{version}不存在")
        return workflow_dict(d)
