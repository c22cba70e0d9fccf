"""The stored rule-set versions: the active one, saving a new version, activating an older one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mediation.accounts.organisations import require_national_admin
from mediation.db.models_risk import RiskRuleSet
from mediation.db.uow import unit_of_work
from mediation.domain.errors import NotFound
from mediation.domain.policy import Actor
from mediation.risk.inputs import RulesCreateSchema, RulesSchema
from mediation.risk.rules import DEFAULT_RULES_JSON, RiskRules, default_rules, rules_from_json
from workflows.schema import load_input

_parsed: dict[tuple[int, int], RiskRules] = {}


def active_rules(session: Session) -> RiskRules:
    """The active version (the built-in default, version 1, until an administrator saves one)."""
    row = session.execute(select(RiskRuleSet.id, RiskRuleSet.version, RiskRuleSet.rules)
                          .where(RiskRuleSet.status == "active")).first()
    if row is None:
        return default_rules()
    key = (row[0], row[1])
    hit = _parsed.get(key)
    if hit is None:
        hit = rules_from_json(row[2], version=row[1])
        _parsed[key] = hit
    return hit


def rules_version(session: Session, version: int) -> RiskRules:
    if version == 1 and session.scalar(select(RiskRuleSet.id).where(RiskRuleSet.version == 1)) is None:
        return default_rules()
    row = session.scalar(select(RiskRuleSet).where(RiskRuleSet.version == version))
    if row is None:
        raise NotFound(f"规则版本{version}不存在")
    return rules_from_json(row.rules, version=row.version)


def list_versions(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(RiskRuleSet).order_by(RiskRuleSet.version)).all()
    out = [_describe(r) for r in rows]
    if not any(r.version == 1 for r in rows):
        out.insert(0, {"version": 1, "status": "active" if not any(r.status == "active" for r in rows) else "retired",
                       "note": "内置默认规则", "created_at": None, "activated_at": None, "builtin": True})
    return out


def _describe(r: RiskRuleSet) -> dict[str, Any]:
    return {"version": r.version, "status": r.status, "note": r.note, "created_at": r.created_at,
            "activated_at": r.activated_at, "builtin": False}


def validate_rules(data: Mapping[str, Any]) -> dict[str, Any]:
    loaded = load_input(RulesSchema(), data, "预警规则有误，请按提示修改")
    return _jsonable(loaded)


def _jsonable(data: Any) -> Any:
    from decimal import Decimal

    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_jsonable(v) for v in data]
    if isinstance(data, Decimal):
        return int(data) if data == data.to_integral_value() else float(data)
    return data


def _ensure_builtin_row(session: Session) -> None:
    """Persist the built-in version 1 the first time another version is saved (complete history)."""
    if session.scalar(select(RiskRuleSet.id).where(RiskRuleSet.version == 1)) is None:
        active = session.scalar(select(RiskRuleSet.id).where(RiskRuleSet.status == "active"))
        session.add(RiskRuleSet(version=1, status="retired" if active else "active",
                                rules=_jsonable(dict(DEFAULT_RULES_JSON)), note="内置默认规则",
                                activated_at=None))
        session.flush()


def save_version(session: Session, *, actor: Actor, data: Mapping[str, Any],
                 at: dt.datetime | None = None) -> RiskRuleSet:
    """Save a new version (national-level administrators: the rules hold for every organisation); with
    ``activate`` it becomes the active one and every scored enterprise is re-assessed (level changes recorded,
    alerts raised)."""
    with unit_of_work(session):
        require_national_admin(session, actor, "修改预警规则")
        d = load_input(RulesCreateSchema(), data, "预警规则有误，请按提示修改")
        _ensure_builtin_row(session)
        version = (session.scalar(select(func.max(RiskRuleSet.version))) or 1) + 1
        row = RiskRuleSet(version=version, status="draft", rules=_jsonable(d["rules"]), note=d["note"],
                          created_by_id=actor.user_id)
        session.add(row)
        session.flush()
        if d["activate"]:
            _activate(session, row, actor, at)
        return row


def activate_version(session: Session, *, actor: Actor, version: int, at: dt.datetime | None = None) -> RiskRuleSet:
    with unit_of_work(session):
        require_national_admin(session, actor, "启用预警规则")
        _ensure_builtin_row(session)
        row = session.scalar(select(RiskRuleSet).where(RiskRuleSet.version == version))
        if row is None:
            raise NotFound(f"规则版本{version}不存在")
        if row.status != "active":
            _activate(session, row, actor, at)
        return row


def _activate(session: Session, row: RiskRuleSet, actor: Actor, at: dt.datetime | None) -> None:
    from mediation.risk import scoring

    session.execute(update(RiskRuleSet).where(RiskRuleSet.status == "active", RiskRuleSet.id != row.id)
                    .values(status="retired"))
    row.status = "active"
    row.activated_at = at or dt.datetime.now(dt.UTC)
    row.activated_by_id = actor.user_id
    session.flush()
    scoring.rescore_all(session, at=at or dt.datetime.now(dt.UTC), reason="rules_changed")
