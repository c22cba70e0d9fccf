"""Hotspot rollups and enterprise counters: the keys and measures a case's fact row adds to, and the writes
that add a batch of fact changes to them (one upsert per key). The fold (:mod:`mediation.risk.fold`) calls
these with the deltas the case events recorded; maintenance rebuilds them in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import (
    Select,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from mediation.db.models import (
    Enterprise,
    Region,
)
from mediation.db.models_risk import (
    EnterpriseRisk,
    EnterpriseScopeStats,
    RiskRollup,
)
from mediation.db.sqlfuncs import dialect_insert
from mediation.risk.facts import (
    COUNTER_MEASURES,
    DIMS,
    ROLLUP_KEY,
    ROLLUP_MEASURES,
    Dim,
    Fact,
    org_scopes,
    rollup_scopes,
)

_ROLLUPS = RiskRollup.__table__
_STATS = EnterpriseScopeStats.__table__


# --- keys and measures --------------------------------------------------------------------------------


def attr_value(f: Fact, attr: str | None) -> str:
    if attr is None:
        return ""
    v = getattr(f, attr)
    return "" if v is None else str(v)


def rollup_keys(f: Fact, dims: Sequence[Dim] = DIMS) -> Iterator[tuple[Any, ...]]:
    scopes = rollup_scopes(f.scope_p, f.scope_c)
    for d in dims:
        p = f.province
        c = f.city if d.region in ("c", "k") else ""
        k = f.county if d.region == "k" else ""
        v = attr_value(f, d.attr)
        for g in d.grains:
            bucket = f.month if g == "m" else f.week
            for s in scopes:
                yield (s, d.name, g, p, c, k, v, bucket)


def rollup_measures(f: Fact) -> tuple[int, ...]:
    return (1, int(f.is_open), int(f.collective), f.workers, f.claimed_cents, f.recovered_cents,
            int(f.outcome == "agreed"), int(f.outcome == "failed"), int(f.accepted), int(f.overdue),
            int(f.overdue and f.is_open))


def counter_measures(f: Fact) -> tuple[int, ...]:
    o = int(f.is_open)
    return (1, o, o * int(f.collective), o * int(f.overdue), o * f.workers, o * f.claimed_cents)


# --- writing ------------------------------------------------------------------------------------------




_UPSERTS: dict[tuple[str, str, tuple[str, ...]], Any] = {}


def _upsert_statement(session: Session, table: Any, key: Sequence[str], add: Sequence[str]) -> Any:
    """One ``INSERT … ON CONFLICT DO UPDATE SET m = m + excluded.m`` per table, dialect and measures, built
    once (so it is compiled once and then executed with many parameter sets)."""
    cache_key = (session.get_bind().dialect.name, table.name, tuple(add))
    stmt = _UPSERTS.get(cache_key)
    if stmt is None:
        ins = dialect_insert(session, table)
        stmt = ins.on_conflict_do_update(index_elements=list(key), set_={m: table.c[m] + ins.excluded[m] for m in add})
        _UPSERTS[cache_key] = stmt
    return stmt


def _upsert_add(session: Session, table: Any, key: Sequence[str], add: Sequence[str],
                rows: list[dict[str, Any]]) -> None:
    """Insert rows, or add their measures to the existing ones. Rows are written in key order so that
    concurrent transactions lock rollup rows in the same order."""
    if not rows:
        return
    rows.sort(key=lambda r: tuple(r[k] for k in key))
    columns = [c.name for c in table.columns]
    rows = [{c: r[c] for c in columns} for r in rows]  # the same parameter set for every row
    session.execute(_upsert_statement(session, table, key, add), rows)


def _accumulate(acc: dict[Any, list[int]], key: Any, values: Sequence[int], sign: int) -> None:
    cur = acc.get(key)
    if cur is None:
        acc[key] = [sign * v for v in values]
    else:
        for i, v in enumerate(values):
            cur[i] += sign * v


def apply_rollup_delta(session: Session, changes: Iterable[tuple[Fact, int]], dims: Sequence[Dim] = DIMS) -> int:
    """Add ``sign`` × each fact's measures to its rollup rows; returns the number of rows touched."""
    acc: dict[tuple[Any, ...], list[int]] = {}
    for f, sign in changes:
        m = rollup_measures(f)
        for k in rollup_keys(f, dims):
            _accumulate(acc, k, m, sign)
    rows = [dict(zip(ROLLUP_KEY, k, strict=True)) | dict(zip(ROLLUP_MEASURES, v, strict=True))
            for k, v in acc.items() if any(v)]
    _upsert_add(session, _ROLLUPS, ROLLUP_KEY, ROLLUP_MEASURES, rows)
    return len(rows)


def _region_chain(*cols: Any, base: Any, code: Any) -> Select[Any]:
    """``cols`` from ``base`` with the region ``code`` points to: its code and level, and its parent's and
    grandparent's codes (the input of :func:`_region_keys`)."""
    r0, r1, r2 = aliased(Region), aliased(Region), aliased(Region)
    return (select(*cols, r0.code, r0.level, r1.code, r2.code).select_from(base)
            .outerjoin(r0, r0.code == code)
            .outerjoin(r1, r1.code == r0.parent_code)
            .outerjoin(r2, r2.code == r1.parent_code))


def enterprise_keys(session: Session, enterprise_id: int) -> dict[str, Any]:
    """Where an enterprise's counters sit: its own registered region and park (never the organisation's,
    so that the keys do not depend on which case or signal arrived first). One query: the enterprise
    with its region and the region's two ancestors."""
    row = session.execute(
        _region_chain(Enterprise.park_id, base=Enterprise, code=Enterprise.region_code)
        .where(Enterprise.id == enterprise_id)
    ).one_or_none()
    if row is None:
        return {"province": "", "city": "", "county": "", "park_id": None}
    park_id, *chain = row
    return {**_region_keys(*chain), "park_id": park_id}


def apply_counter_delta(session: Session, changes: Iterable[tuple[Fact, int]]) -> None:
    acc: dict[tuple[int, int], list[int]] = {}
    for f, sign in changes:
        if f.enterprise_id is None:
            continue
        m = counter_measures(f)
        for s in rollup_scopes(f.scope_p, f.scope_c):
            _accumulate(acc, (s, f.enterprise_id), m, sign)
    acc = {k: v for k, v in acc.items() if any(v)}
    if not acc:  # most events change no counter: look nothing up
        return
    enterprises = {e for _s, e in acc}
    region = {e: enterprise_keys(session, e) for e in enterprises}
    risk = _risk_of(session, enterprises)
    rows = []
    for (s, ent), v in acc.items():
        level, score = risk.get(ent, ("none", 0))
        rows.append({"scope_id": s, "enterprise_id": ent, **region[ent], "risk_level": level, "risk_score": score,
                     "total_signals": 0, "open_signals": 0, **dict(zip(COUNTER_MEASURES, v, strict=True))})
    _upsert_add(session, _STATS, ("scope_id", "enterprise_id"), COUNTER_MEASURES, rows)


def _risk_of(session: Session, enterprise_ids: Iterable[int]) -> dict[int, tuple[str, int]]:
    ids = list(enterprise_ids)
    if not ids:
        return {}
    rows = session.execute(select(EnterpriseRisk.enterprise_id, EnterpriseRisk.level, EnterpriseRisk.score)
                           .where(EnterpriseRisk.enterprise_id.in_(ids))).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def apply_signal_counters(session: Session, *, enterprise_id: int, organisation_id: int, total: int,
                          open_: int) -> None:
    """Signals received in a subtree count for the enterprise in every rollup scope above it."""
    p, c = org_scopes(session, organisation_id)
    keys = enterprise_keys(session, enterprise_id)
    level, score = _risk_of(session, [enterprise_id]).get(enterprise_id, ("none", 0))
    rows = [{"scope_id": s, "enterprise_id": enterprise_id, **keys,
             "risk_level": level, "risk_score": score, "total_signals": total, "open_signals": open_,
             **dict.fromkeys(COUNTER_MEASURES, 0)} for s in rollup_scopes(p, c)]
    _upsert_add(session, _STATS, ("scope_id", "enterprise_id"), ("total_signals", "open_signals"), rows)


def _region_keys(code0: str | None, level0: str | None, code1: str | None, code2: str | None) -> dict[str, str]:
    """(province, city, county) of a region given its code, level and its parent's and grandparent's
    codes — the same rule as :func:`facts_select`."""
    if not code0:
        return {"province": "", "city": "", "county": ""}
    if level0 == "province":
        return {"province": code0, "city": "", "county": ""}
    if level0 == "city":
        return {"province": code1 or "", "city": code0, "county": ""}
    return {"province": code2 or code1 or "", "city": code1 or "", "county": code0}


def enterprise_region(session: Session, code: str | None) -> dict[str, str]:
    """The (province, city, county) keys of a region code — the same rule as :func:`facts_select`."""
    if not code:
        return _region_keys(None, None, None, None)
    row = session.execute(_region_chain(base=Region, code=Region.code).where(Region.code == code)).one_or_none()
    return _region_keys(*row) if row is not None else _region_keys(None, None, None, None)


def update_counter_risk(session: Session, enterprise_id: int, level: str, score: int) -> None:
    session.execute(update(EnterpriseScopeStats).where(EnterpriseScopeStats.enterprise_id == enterprise_id)
                    .values(risk_level=level, risk_score=score))


def measures_dict(values: Sequence[int]) -> dict[str, int]:
    return dict(zip(ROLLUP_MEASURES, values, strict=True))
