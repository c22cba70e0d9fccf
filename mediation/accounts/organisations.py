"""Organisations (the union / mediation tree) and regions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Organisation, Region
from mediation.domain.enums import OrgKind, OrgLevel, Role
from mediation.domain.errors import PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor


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
    OrgKind(kind)
    OrgLevel(level)
    if region_code:
        ensure_region(session, region_code)
    org = Organisation(
        name=name, kind=kind, level=level, parent=parent, region_code=region_code, park_id=park_id,
        doc_prefix=doc_prefix, short_name=(short_name or name)[:32],
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
