"""Parties after intake: add a worker, a worker representative (collective disputes, LDMAL art. 7) or an
agent; correct a party's particulars; remove one added by mistake. Open cases only.

Each change is one unit of work like a transition: the case row is locked, the version the client saw is
checked (a stale one is a conflict) and bumped, and the change is appended to the case's history as a
recorded event (``from = to = status``: the workflow state does not move). The event names the party and
what changed, never the personal data itself. Only the roles that may read personal data may write it
(``can(actor, "edit_parties", case)``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from mediation.cases.inputs import PartyAddSchema, PartyPatchSchema
from mediation.cases.service import get_case
from mediation.db.models import Case, Party
from mediation.db.uow import unit_of_work
from mediation.domain.enums import PartyRole
from mediation.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor, can
from mediation.runtime.env import ServiceEnv
from workflows.definitions import get_definition
from workflows.history import append_event
from workflows.schema import load_input

_add_schema = PartyAddSchema()
_patch_schema = PartyPatchSchema()
#: Roles on the workers' side (one of them must remain).
WORKER_SIDE = (PartyRole.WORKER, PartyRole.REPRESENTATIVE)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: [message]})


def _normalise(fields_: dict[str, Any]) -> dict[str, Any]:
    for f in ("id_number", "uscc"):
        if fields_.get(f):
            fields_[f] = fields_[f].strip().upper()
    if fields_.get("phone"):
        fields_["phone"] = fields_["phone"].strip().replace(" ", "")
    if isinstance(fields_.get("name"), str):
        fields_["name"] = fields_["name"].strip()
        if not fields_["name"]:
            raise _invalid("name", "姓名或名称不能为空")
    return fields_


def _editable_case(session: Session, *, case_id: int, actor: Actor, expected_version: int | None) -> Case:
    case = get_case(session, case_id=case_id, actor=actor, for_update=True, with_=("parties",))
    if not can(actor, "edit_parties", case):
        raise PermissionDenied("只有本案的登记员和调解员可以登记或修改当事人")
    if expected_version is not None and case.version != expected_version:
        raise ConflictError(
            f"案件在您打开后已有更新（您看到的是第{expected_version}版，当前为第{case.version}版），请刷新后重试",
            current_version=case.version,
        )
    state = get_definition(case.workflow_version).state(case.status)
    if not state.open:
        raise ConflictError(f"案件已{state.label}，不能再变更当事人", current_version=case.version)
    return case


def _party(case: Case, party_id: int) -> Party:
    party = next((p for p in case.parties if p.id == party_id), None)
    if party is None:
        raise NotFound(f"当事人{party_id}不属于本案")
    return party


def _check_represents(case: Case, role: str, represents_id: int | None, party_id: int | None = None) -> None:
    if role == PartyRole.AGENT and represents_id is None:
        raise _invalid("represents_id", "请选择代理人所代理的当事人")
    if represents_id is None:
        return
    target = next((p for p in case.parties if p.id == represents_id), None)
    if target is None or target.id == party_id:
        raise _invalid("represents_id", "被代理人须为本案的其他当事人")
    if target.role == PartyRole.AGENT:
        raise _invalid("represents_id", "不能代理另一名代理人")


def _record(session: Session, case: Case, actor: Actor, event: str, payload: Mapping[str, Any]) -> None:
    """Bump the case's version and append the change to its history (committed by the caller's unit)."""
    case.updated_at = dt.datetime.now(dt.UTC)  # the case row changes: its version is bumped
    append_event(session, case, event=event, from_state=case.status, to_state=case.status, actor=actor,
                  payload=payload)
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError("案件在您打开后已有更新，请刷新后重试") from exc


def add_party(
    session: Session,
    *,
    case_id: int,
    actor: Actor,
    data: Mapping[str, Any],
    expected_version: int | None,
    env: ServiceEnv,
) -> tuple[Case, Party]:
    """Add a worker, a representative of the workers (collective disputes), an agent, or the employer
    when the case has none yet (e.g. registered from a risk signal)."""
    with unit_of_work(session):
        d = _normalise(load_input(_add_schema, data))
        case = _editable_case(session, case_id=case_id, actor=actor, expected_version=expected_version)
        role = d["role"]
        if role == PartyRole.REPRESENTATIVE and not case.is_collective:
            raise _invalid("role", "劳动者代表仅用于集体争议（劳动者一方十人以上并有共同请求，调解仲裁法第七条）；"
                                   "如属集体争议，请先更正集体争议认定")
        if role == PartyRole.EMPLOYER and case.parties_with_role(PartyRole.EMPLOYER):
            raise _invalid("role", "本案已登记用人单位；如需更正请修改其信息")
        _check_represents(case, role, d.get("represents_id"))
        party = Party(**d)
        case.parties.append(party)
        session.flush()
        _record(session, case, actor, "party_added", {"party_id": party.id, "role": role, "name": party.name})
        return case, party


def update_party(
    session: Session,
    *,
    case_id: int,
    party_id: int,
    actor: Actor,
    data: Mapping[str, Any],
    expected_version: int | None,
) -> tuple[Case, Party]:
    """Correct a party's particulars; only the fields sent change."""
    with unit_of_work(session):
        loaded = _normalise(load_input(_patch_schema, data))
        changes = {k: v for k, v in loaded.items() if k in data}
        if not changes:
            raise ValidationFailed("请至少提供一项要修改的内容")
        case = _editable_case(session, case_id=case_id, actor=actor, expected_version=expected_version)
        party = _party(case, party_id)
        if "represents_id" in changes:
            _check_represents(case, party.role, changes["represents_id"], party.id)
        if changes.get("authorised_to_sign"):
            if party.role != PartyRole.REPRESENTATIVE:
                raise _invalid("authorised_to_sign", "特别授权仅适用于劳动者推举的代表")
            if not (changes.get("authorisation_scope") or party.authorisation_scope or "").strip():
                raise _invalid("authorisation_scope", "请写明特别授权的范围（如：代为达成、签署调解协议）")
        changed = sorted(k for k, v in changes.items() if getattr(party, k) != v)
        for k in changed:
            setattr(party, k, changes[k])
        if changed:
            _record(session, case, actor, "party_updated",
                    {"party_id": party.id, "role": party.role, "name": party.name, "fields": changed})
        return case, party


def remove_party(
    session: Session, *, case_id: int, party_id: int, actor: Actor, expected_version: int | None
) -> Case:
    """Remove a party registered by mistake. The workers' side and the employer cannot be left empty, and a
    party with agents needs them removed first."""
    with unit_of_work(session):
        case = _editable_case(session, case_id=case_id, actor=actor, expected_version=expected_version)
        party = _party(case, party_id)
        if any(p.represents_id == party.id for p in case.parties):
            raise ConflictError("请先删除该当事人的代理人", current_version=case.version)
        same_side = WORKER_SIDE if party.role in WORKER_SIDE else (party.role,)
        if party.role in (*WORKER_SIDE, PartyRole.EMPLOYER) and len(
            [p for p in case.parties if p.role in same_side]
        ) == 1:
            side = "劳动者一方" if party.role in WORKER_SIDE else "用人单位"
            raise ConflictError(f"不能删除{side}的唯一当事人；如需更正请修改其信息", current_version=case.version)
        payload = {"party_id": party.id, "role": party.role, "name": party.name}
        case.parties.remove(party)
        _record(session, case, actor, "party_removed", payload)
        return case
