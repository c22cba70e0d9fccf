"""Organisations (the union / mediation tree) and regions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate, validates
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Organisation, Region
from mediation.db.uow import unit_of_work
from mediation.domain.enums import OrgKind, OrgLevel, Role
from mediation.domain.errors import NotFound, PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor, in_scope
from workflows.schema import StrictBoolean, StrictSchema


def ensure_region(session: Session, code: str) -> Region:
    """Insert the division and its ancestors (from the GB/T 2260 data package) if missing."""
    from mediation.domain import divisions

    region = session.get(Region, code)
    if region is not None:
        return region
    try:
        chain = [d for d in divisions.ancestors(code) if d.code != code] + [divisions.get(code)]
    except KeyError:
        raise ValidationFailed(f"行政区划代码{code}无效", errors={"region_code": ["行政区划代码无效"]}) from None
    parent: str | None = None
    for div in chain:
        r = session.get(Region, div.code)
        if r is None:
            r = Region(code=div.code, name=div.name, level=div.level, parent_code=parent)
            session.add(r)
            session.flush()
        parent = div.code
    found = session.get(Region, code)
    assert found is not None
    return found


#: Appended, in order, to a prefix that another organisation already uses (then 11, 12, …).
PREFIX_SUFFIXES = ("二", "三", "四", "五", "六", "七", "八", "九", "十")
PREFIX_MAX = 16


def prefix_candidates(wanted: str) -> list[str]:
    """``wanted`` (at most 16 characters) and then, deterministically, ``wanted二``, ``wanted三`` … ``wanted十``,
    ``wanted11`` …: the forms a prefix takes when an earlier organisation has it."""
    base = wanted.strip()[:PREFIX_MAX]
    out = [base]
    for suffix in (*PREFIX_SUFFIXES, *(str(n) for n in range(11, 1000))):
        out.append(base[:PREFIX_MAX - len(suffix)] + suffix)
    return out


def unique_prefix(session: Session, wanted: str, *, reserved: set[str] | frozenset[str] = frozenset()) -> str:
    """The first of :func:`prefix_candidates` that no organisation uses (nor ``reserved``): case and document
    numbers are made from the prefix, so a unique prefix keeps them unique in the whole installation."""
    from mediation.db.models import Organisation

    for candidate in prefix_candidates(wanted):
        if candidate in reserved:
            continue
        if session.scalar(select(Organisation.id).where(Organisation.doc_prefix == candidate)) is None:
            return candidate
    raise ValidationFailed("无法为该组织分配文书字号前缀", errors={"doc_prefix": ["前缀已被占用"]})


def create_organisation(
    session: Session,
    *,
    name: str,
    kind: str,
    level: str,
    parent: Organisation | None = None,
    region_code: str | None = None,
    park_id: int | None = None,
    doc_prefix: str = "",
    short_name: str = "",
) -> Organisation:
    """A new organisation. Its number prefix is ``doc_prefix`` (else the short name, else the name's first four
    characters), made unique if an earlier organisation has it (``众合企`` → ``众合企二``)."""
    OrgKind(kind)
    OrgLevel(level)
    if region_code:
        ensure_region(session, region_code)
    session.flush()
    prefix = unique_prefix(session, doc_prefix.strip() or short_name.strip() or name[:4])
    org = Organisation(
        name=name, kind=kind, level=level, parent=parent, region_code=region_code, park_id=park_id,
        doc_prefix=prefix, short_name=(short_name or name)[:32],
    )
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.flush()
    return org


def is_root_path(org_path: str) -> bool:
    """``/7/`` is a root of the organisation tree (no parent)."""
    return org_path.count("/") == 2 and org_path.strip("/").isdigit()


def require_national_admin(session: Session, actor: Actor, what: str) -> None:
    """Objects that hold for every organisation (risk rule sets, the holiday calendar, number formats…) are
    changed only by a national-level administrator: an administrator whose organisation is the root of the
    whole tree (no organisation outside their subtree), or the system itself. An administrator of a part of
    the tree — even of a root, when the tree has several (two provinces side by side) — may not."""
    if actor.role == Role.SYSTEM:
        return
    if actor.role == Role.ADMIN and is_root_path(actor.org_path):
        outside = session.scalar(select(Organisation.id).where(~Organisation.path.like(f"{actor.org_path}%")).limit(1))
        if outside is None:
            return
    raise PermissionDenied(f"只有全国（最上级组织）的系统管理员可以{what}：它适用于所有组织，"
                           "不限于您管辖的范围")


class PolicySchema(StrictSchema):
    """A committee's own policies (docs/domain.md#mediation, #collective-disputes, #acceptance)."""

    #: The most days both parties may extend mediation by in total; null: no cap (ELDNMP art. 29 sets none).
    extension_cap_days = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=365))
    #: Collective cases need 3–5 representatives (adopted practice after 办案规则 arts. 5, 62, 63).
    collective_reps_practice = StrictBoolean()
    #: A township (street) or regional body's own provision for refusing mediation, e.g.
    #: ``《某街道劳动争议调解工作规则》第十条``.
    own_rules_basis = fields.String(allow_none=True, validate=validate.Length(max=200))

    @validates("own_rules_basis")
    def _article(self, value: str | None, **_: Any) -> None:
        if value and value.strip() and not _ARTICLE.search(value):
            raise ValidationError("请写明规则名称和条文，例如：《某街道劳动争议调解工作规则》第十条")


_ARTICLE = re.compile(r"《[^》]+》第[零一二三四五六七八九十百千\d]+条")
_policy_schema = PolicySchema()


def policy_dict(org: Organisation) -> dict[str, Any]:
    return {"extension_cap_days": org.extension_cap_days, "collective_reps_practice": org.collective_reps_practice,
            "own_rules_basis": org.own_rules_basis}


def set_policy(session: Session, *, actor: Actor, organisation_id: int, data: Mapping[str, Any]) -> Organisation:
    """Change a committee's policies: its administrator or a supervisor or administrator above it. Only the
    fields sent change."""
    with unit_of_work(session):
        try:
            d = _policy_schema.load(data)
        except ValidationError as exc:
            raise ValidationFailed("提交的内容有误，请按提示修改", errors=exc.normalized_messages()) from exc
        if not d:
            raise ValidationFailed("请至少提供一项要修改的规定")
        org = session.get(Organisation, organisation_id)
        if org is None or not in_scope(actor, org.id, org.path):
            raise NotFound(f"调解组织{organisation_id}不存在或不在您的管辖范围内")
        if actor.role not in (Role.ADMIN, Role.SUPERVISOR, Role.SYSTEM):
            raise PermissionDenied("只有管理员或上级督导人员可以修改本会规定")
        for k, v in d.items():
            setattr(org, k, (v.strip() or None) if isinstance(v, str) else v)
        return org
