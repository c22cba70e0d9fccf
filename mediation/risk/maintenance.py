"""Bulk maintenance of the derived risk tables: rebuild from the base tables, and verify.

``rebuild`` recomputes every fact row with the same :func:`mediation.risk.facts.facts_select` the
observer uses, then the rollups and counters with ``GROUP BY`` over the facts: three passes over the facts
into small "cubes" (:data:`CUBES`), the finest dimension of each family summed from a cube, coarser ones
from the finer one's sums, each scope level from those; counters per (scope_p, scope_c, enterprise) first.
``verify`` recomputes into temporary tables and compares with what the incremental path stored; any
difference is reported, never silently fixed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    not_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from mediation.db.models import Enterprise, Organisation, Region
from mediation.db.models_risk import (
    EnterpriseRisk,
    EnterpriseScopeStats,
    RiskCaseFacts,
    RiskFactDelta,
    RiskRollup,
    RiskSignal,
)
from mediation.db.uow import unit_of_work
from mediation.risk import facts as F
from mediation.risk.facts import DIM_BY_NAME, NATIONAL, ROLLUP_MEASURES, Dim
from mediation.risk.fold import fold_all
from mediation.risk.fold import lock as fold_lock

FACTS = RiskCaseFacts.__table__
ROLLUPS = RiskRollup.__table__
STATS = EnterpriseScopeStats.__table__

#: Passes over the facts: each groups them once by scope, bucket and the keys of a few dimensions into a
#: "cube" (a temporary table some ten times smaller than the facts); the dimensions are then summed from the
#: cubes. (name, grain, key columns, dimensions summed from it)
CUBES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("geo", "m", ("province", "city", "county", "park_id", "category"), ("county", "park", "category@k")),
    ("firm", "m", ("province", "city", "industry", "ownership", "level"), ("industry@c", "ownership@c", "level@c")),
    ("week", "w", ("province", "city", "category"), ("city", "category@c")),
)
#: Dimensions computed from a cube (per grain); the others are summed from these.
FROM_FACTS: tuple[tuple[str, str], ...] = tuple((d, g) for _n, g, _k, dims in CUBES for d in dims)
#: (derived dimension, grain, source dimension), in dependency order.
DERIVED: tuple[tuple[str, str, str], ...] = (
    ("city", "m", "county"), ("province", "m", "city"), ("province", "w", "city"),
    ("category@c", "m", "category@k"), ("category@p", "m", "category@c"), ("category@p", "w", "category@c"),
    ("industry@p", "m", "industry@c"), ("ownership@p", "m", "ownership@c"), ("level@p", "m", "level@c"),
)
SCOPE_LEVELS: tuple[str, ...] = ("n", "p", "c")
CUBE_KEYS: tuple[str, ...] = ("province", "city", "county", "park_id", "category", "industry", "ownership", "level")


def _check_plan() -> None:
    planned = {(d, g) for d, g in FROM_FACTS} | {(d, g) for d, g, _ in DERIVED}
    expected = {(d.name, g) for d in F.DIMS for g in d.grains}
    assert planned == expected, f"rollup build plan does not cover the dimensions: {planned ^ expected}"
    assert len(planned) == len(FROM_FACTS) + len(DERIVED), "a dimension is built twice"
    for _n, _g, keys, dims in CUBES:
        for name in dims:
            d = DIM_BY_NAME[name]
            need = {"province", *(["city"] if d.region in "ck" else []), *(["county"] if d.region == "k" else []),
                    *([d.attr] if d.attr else [])}
            assert need <= set(keys), f"cube {_n} lacks keys of {name}: {need - set(keys)}"


_check_plan()


# --- scope map ----------------------------------------------------------------------------------------


def scope_table(session: Session, name: str = "risk_tmp_scopes") -> Table:
    """A temporary table ``(org_id, scope_p, scope_c)`` for every organisation."""
    md = MetaData()
    t = Table(name, md, Column("org_id", Integer, primary_key=True), Column("scope_p", Integer),
              Column("scope_c", Integer), prefixes=["TEMPORARY"])
    conn = session.connection()
    t.drop(conn, checkfirst=True)
    t.create(conn)
    rows = session.execute(select(Organisation.id, Organisation.path, Organisation.level)).all()
    pairs = F.scope_pairs([(r[0], r[1], r[2]) for r in rows])
    if pairs:
        session.execute(insert(t), [{"org_id": k, "scope_p": v[0], "scope_c": v[1]} for k, v in pairs.items()])
    return t


def _temp_like(session: Session, source: Table, name: str) -> Table:
    md = MetaData()
    cols = [Column(c.name, c.type, primary_key=c.primary_key, autoincrement=False) for c in source.columns]
    t = Table(name, md, *cols, prefixes=["TEMPORARY"])
    conn = session.connection()
    t.drop(conn, checkfirst=True)
    t.create(conn)
    return t


# --- facts --------------------------------------------------------------------------------------------


def build_facts(session: Session, target: Table = FACTS, *, scopes: Table | None = None,
                id_range: tuple[int, int] | None = None) -> None:
    scopes = scopes if scopes is not None else scope_table(session)
    stmt = F.facts_select(scope_table=scopes, id_range=id_range)
    session.execute(insert(target).from_select(list(F.FACT_COLUMNS), stmt))


# --- rollups ------------------------------------------------------------------------------------------


def _measure_sums(f: Any) -> list[Any]:
    def b(col: Any) -> Any:
        return func.sum(cast(col, Integer))

    return [
        func.count().label("cases"), b(f.c.is_open).label("open_cases"), b(f.c.collective).label("collective"),
        func.sum(f.c.workers).label("workers"), func.sum(f.c.claimed_cents).label("claimed_cents"),
        func.sum(f.c.recovered_cents).label("recovered_cents"),
        func.sum(case((f.c.outcome == "agreed", 1), else_=0)).label("agreed"),
        func.sum(case((f.c.outcome == "failed", 1), else_=0)).label("failed"),
        b(f.c.accepted).label("accepted"), b(f.c.overdue).label("overdue"),
        func.sum(case((and_(f.c.overdue, f.c.is_open), 1), else_=0)).label("overdue_open"),
    ]


def _resum(t: Any) -> list[Any]:
    """The measures of a table of partial sums, summed again."""
    return [func.sum(t.c[m]).label(m) for m in ROLLUP_MEASURES]


def _temp_table(session: Session, name: str, *columns: Column[Any]) -> Table:
    t = Table(name, MetaData(), *columns, *[Column(m, ROLLUPS.c[m].type) for m in ROLLUP_MEASURES],
              prefixes=["TEMPORARY"])
    conn = session.connection()
    t.drop(conn, checkfirst=True)
    t.create(conn)
    return t


def _key_columns() -> list[Column[Any]]:
    return [Column("scope_p", Integer), Column("scope_c", Integer), Column("province", String(6)),
            Column("city", String(6)), Column("county", String(6))]


def _cube(session: Session, source: Table, name: str, grain: str, keys: tuple[str, ...]) -> Table:
    """One pass over the facts: their sums per (scope_p, scope_c, bucket, ``keys``); the other key columns
    are left empty."""
    cols = [*_key_columns(), Column("park_id", Integer), Column("category", String(32)), Column("industry", String(8)),
            Column("ownership", String(32)), Column("level", String(8)), Column("bucket", ROLLUPS.c.bucket.type)]
    t = _temp_table(session, f"risk_tmp_cube_{name}", *cols)
    bucket = source.c.month if grain == "m" else source.c.week
    values = [source.c[k] if k in keys else (literal(None) if k == "park_id" else literal("")) for k in CUBE_KEYS]
    stmt = (select(source.c.scope_p, source.c.scope_c, *[v.label(k) for k, v in zip(CUBE_KEYS, values, strict=True)],
                   bucket.label("bucket"), *_measure_sums(source))
            .group_by(*_selective_first(source, keys, bucket)))
    session.execute(insert(t).from_select([c.name for c in t.columns], stmt))
    return t


def _selective_first(src: Any, keys: Sequence[str], bucket: Any) -> list[Any]:
    """GROUP BY columns, the most selective first (the finest region key, the bucket, the attributes, then
    the scopes and coarser regions they imply): SQLite sorts the rows to group them, and its comparisons stop
    at the first column that differs (a quarter less time than in table order at 1M facts)."""
    regions = [k for k in ("county", "city", "province") if k in keys]
    attrs = [k for k in keys if k not in regions]
    return [src.c[regions[0]], bucket, *[src.c[k] for k in attrs], src.c.scope_c, src.c.scope_p,
            *[src.c[k] for k in regions[1:]]]


def _key_exprs(src: Any, d: Dim) -> tuple[Any, Any, Any, Any]:
    """(province, city, county, value) of dimension ``d`` from a cube, or from a partial of a finer dimension
    of the same family (which has a ``value`` column)."""
    p = src.c.province
    c = src.c.city if d.region in ("c", "k") else literal("")
    k = src.c.county if d.region == "k" else literal("")
    if d.attr is None:
        v: Any = literal("")
    elif "value" in src.c:
        v = src.c.value
    elif d.attr == "park_id":
        v = func.coalesce(cast(src.c.park_id, String), "")
    else:
        v = src.c[d.attr]
    return p, c, k, v


def _partial(session: Session, src: Table, d: Dim, name: str) -> Table:
    """The dimension's sums per (scope_p, scope_c, key, bucket), from a cube or from a finer dimension's
    partial. Every scope level is then summed from this much smaller table."""
    t = _temp_table(session, name, *_key_columns(), Column("value", String(32)),
                    Column("bucket", ROLLUPS.c.bucket.type))
    p, c, k, v = _key_exprs(src, d)
    stmt = (select(src.c.scope_p, src.c.scope_c, p.label("province"), c.label("city"), k.label("county"),
                   v.label("value"), src.c.bucket, *_resum(src))
            .group_by(src.c.scope_p, src.c.scope_c, p, c, k, v, src.c.bucket))
    session.execute(insert(t).from_select([c_.name for c_ in t.columns], stmt))
    return t


def _rollup_from_partial(session: Session, part: Table, target: Table, d: Dim, grain: str, level: str) -> None:
    scope = {"n": literal(NATIONAL), "p": part.c.scope_p, "c": part.c.scope_c}[level]
    keys = [scope.label("scope_id"), literal(d.name).label("dim"), literal(grain).label("grain"), part.c.province,
            part.c.city, part.c.county, part.c.value, part.c.bucket]
    stmt = select(*keys, *_resum(part))
    if level != "n":
        stmt = stmt.where(scope != 0)
    stmt = stmt.group_by(scope, part.c.province, part.c.city, part.c.county, part.c.value, part.c.bucket)
    session.execute(insert(target).from_select([*F.ROLLUP_KEY, *ROLLUP_MEASURES], stmt))


def build_rollups(session: Session, source: Table = FACTS, target: Table = ROLLUPS,
                  progress: Callable[[str], None] | None = None) -> None:
    """Three passes over the facts (the cubes); every dimension's partial sums come from a cube or from a
    finer dimension's partial sums, and each scope level's rollup rows from those."""
    temps: list[Table] = []
    partials: dict[tuple[str, str], Table] = {}
    for name, grain, keys, dims in CUBES:
        cube = _cube(session, source, name, grain, keys)
        temps.append(cube)
        for dim in dims:
            part = _partial(session, cube, DIM_BY_NAME[dim], f"risk_tmp_part_{len(temps)}")
            temps.append(part)
            partials[(dim, grain)] = part
        if progress:
            progress(name)
    for dim, grain, src in DERIVED:
        part = _partial(session, partials[(src, grain)], DIM_BY_NAME[dim], f"risk_tmp_part_{len(temps)}")
        temps.append(part)
        partials[(dim, grain)] = part
    for (dim, grain), part in partials.items():
        for level in SCOPE_LEVELS:
            _rollup_from_partial(session, part, target, DIM_BY_NAME[dim], grain, level)
        if progress:
            progress(dim)
    for t in temps:  # (a failed build leaves them to the caller's rollback)
        t.drop(session.connection())


# --- counters -----------------------------------------------------------------------------------------


def _region_exprs(region_code: Any) -> tuple[Any, Any, Any, Any]:
    """Outer-join chain and (province, city, county) keys — the same rule as ``facts_select``."""
    from sqlalchemy.orm import aliased

    r0, r1, r2 = aliased(Region), aliased(Region), aliased(Region)
    province = case((r0.level == "province", r0.code), (r0.level == "city", r1.code),
                    (r0.level == "county", func.coalesce(r2.code, r1.code)), else_="")
    city = case((r0.level == "city", r0.code), (r0.level == "county", r1.code), else_="")
    county = case((r0.level == "county", r0.code), else_="")
    return (r0, r1, r2), func.coalesce(province, ""), func.coalesce(city, ""), func.coalesce(county, "")


COUNTED: tuple[str, ...] = ("total_cases", "open_cases", "collective_open", "overdue_open", "workers_open",
                            "claimed_open_cents", "total_signals", "open_signals")


def _counter_partial(session: Session, source: Table, scopes: Table) -> Table:
    """One pass over the facts and one over the signals: their counts per (scope_p, scope_c, enterprise)."""
    t = Table("risk_tmp_counter_part", MetaData(), Column("scope_p", Integer), Column("scope_c", Integer),
              Column("enterprise_id", Integer), *[Column(m, STATS.c[m].type) for m in COUNTED],
              prefixes=["TEMPORARY"])
    conn = session.connection()
    t.drop(conn, checkfirst=True)
    t.create(conn)
    f = source
    o = cast(f.c.is_open, Integer)
    zero = literal(0)
    cases = (select(f.c.scope_p, f.c.scope_c, f.c.enterprise_id, func.count(), func.sum(o),
                    func.sum(o * cast(f.c.collective, Integer)), func.sum(o * cast(f.c.overdue, Integer)),
                    func.sum(o * f.c.workers), func.sum(o * f.c.claimed_cents), zero, zero)
             .where(f.c.enterprise_id.is_not(None)).group_by(f.c.enterprise_id, f.c.scope_c, f.c.scope_p))
    s = RiskSignal.__table__
    sp, sc = func.coalesce(scopes.c.scope_p, 0), func.coalesce(scopes.c.scope_c, 0)
    signals = (select(sp, sc, s.c.enterprise_id, zero, zero, zero, zero, zero, zero, func.count(),
                      func.sum(case((s.c.status.in_(("open", "converted")), 1), else_=0)))
               .select_from(s.outerjoin(scopes, scopes.c.org_id == s.c.organisation_id))
               .where(s.c.enterprise_id.is_not(None)).group_by(sp, sc, s.c.enterprise_id))
    session.execute(insert(t).from_select([c.name for c in t.columns], union_all(cases, signals)))
    return t


def build_counters(session: Session, source: Table = FACTS, target: Table = STATS, *,
                   scopes: Table | None = None) -> None:
    """Counters per (rollup scope, enterprise): cases and signals counted per (scope_p, scope_c, enterprise)
    first, then summed per scope level and placed at the enterprise's own region and park."""
    scopes = scopes if scopes is not None else scope_table(session)
    part = _counter_partial(session, source, scopes)
    e = Enterprise.__table__
    (r0, r1, r2), prov, city, county = _region_exprs(e.c.region_code)

    def level(scope: Any) -> Any:
        stmt = select(scope.label("scope_id"), part.c.enterprise_id, *[part.c[m] for m in COUNTED])
        return stmt if scope is NATIONAL_EXPR else stmt.where(scope != 0)

    u = union_all(level(NATIONAL_EXPR), level(part.c.scope_p), level(part.c.scope_c)).subquery("u")
    sums = (select(u.c.scope_id, u.c.enterprise_id, *[func.sum(u.c[m]).label(m) for m in COUNTED])
            .group_by(u.c.scope_id, u.c.enterprise_id).subquery("sums"))
    er = EnterpriseRisk.__table__
    # counters sit at the enterprise's own region and park (see ``rollups.enterprise_keys``)
    stmt = (select(sums.c.scope_id, sums.c.enterprise_id, prov, city, county, e.c.park_id,
                   *[sums.c[m] for m in COUNTED], func.coalesce(er.c.score, 0), func.coalesce(er.c.level, "none"))
            .select_from(sums.join(e, e.c.id == sums.c.enterprise_id).outerjoin(r0, r0.code == e.c.region_code)
                         .outerjoin(r1, r1.code == r0.parent_code).outerjoin(r2, r2.code == r1.parent_code)
                         .outerjoin(er, er.c.enterprise_id == sums.c.enterprise_id)))
    session.execute(insert(target).from_select(
        ["scope_id", "enterprise_id", "province", "city", "county", "park_id", *COUNTED, "risk_score", "risk_level"],
        stmt))
    part.drop(session.connection())


NATIONAL_EXPR = literal(NATIONAL)


# --- rebuild and verify -------------------------------------------------------------------------------


@dataclass
class RebuildReport:
    facts: int = 0
    rollups: int = 0
    counters: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def text(self) -> str:
        secs = "，".join(f"{k}{v:.1f}秒" for k, v in self.seconds.items())
        return f"事实表{self.facts}行，汇总表{self.rollups}行，企业计数{self.counters}行（{secs}）"


def drop_constraints(session: Session, tables: Sequence[str], kind: str) -> list[tuple[str, str, str]]:
    """PostgreSQL: drop the constraints of one kind (``f`` foreign keys, ``p`` primary keys) of ``tables``
    before filling them in bulk, and return them (table, name, definition) for :func:`restore_constraints`.
    A foreign key costs one trigger call per inserted row, a wide primary key one random index insertion;
    added back, each is checked or built over all rows at once (a join, a sort). Nothing on SQLite (its checks
    are index look-ups inside the insert, and a clustered table keeps its key)."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    rows = session.execute(text(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = :kind AND c.conrelid = ANY(CAST(:tables AS regclass[])) ORDER BY 1, 2"),
        {"tables": list(tables), "kind": kind}).all()
    dropped = [(str(r[0]), str(r[1]), str(r[2])) for r in rows]
    for table, name, _definition in dropped:
        session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    return dropped


def restore_constraints(session: Session, dropped: Sequence[tuple[str, str, str]]) -> None:
    """Add back what :func:`drop_constraints` dropped (validated: a violation fails the transaction)."""
    for table, name, definition in dropped:
        session.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


def bulk_pragmas(session: Session) -> None:
    """SQLite: large page caches (main and temporary database) for bulk work (the default 2 MB cache makes
    inserts and GROUP BY over millions of rows I/O-bound). PostgreSQL: more memory for
    sorts and hashes in this transaction."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA cache_size=-1048576"))  # KiB: 1 GiB
        # temp_store cannot change inside a transaction; a large cache for the temporary database keeps
        # the sorters' B-trees in memory all the same
        session.execute(text("PRAGMA temp.cache_size=-1048576"))
    else:
        session.execute(text("SET LOCAL work_mem = '256MB'"))
        session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))


def rebuild(session: Session, *, progress: Callable[[str], None] | None = None, commit: bool = True) -> RebuildReport:
    """Recompute every derived table from the base tables (one transaction)."""
    say = progress or (lambda _m: None)
    report = RebuildReport()
    with unit_of_work(session, commit=commit):
        bulk_pragmas(session)
        t0 = time.monotonic()
        scopes = scope_table(session)
        # the rebuild reads the facts, which already hold every waiting delta: those are superseded (under the
        # fold's lock, so no fold adds them again)
        fold_lock(session, wait=True)
        session.execute(delete(RiskFactDelta))
        session.execute(delete(RiskRollup))
        session.execute(delete(EnterpriseScopeStats))
        session.execute(delete(RiskCaseFacts))
        # the tables are empty now: fill them without their secondary indexes, then build those in one go
        indexes = [i for t in (FACTS, STATS) for i in sorted(t.indexes, key=lambda i: str(i.name)) if not i.unique]
        for index in indexes:
            index.drop(session.connection())
        constraints = [*drop_constraints(session, [ROLLUPS.name], "p"), *drop_constraints(session, [FACTS.name], "f")]
        build_facts(session, scopes=scopes)
        report.seconds["事实表"] = time.monotonic() - t0
        say("事实表已重建")
        t1 = time.monotonic()
        build_rollups(session, progress=lambda n: say(f"汇总维度 {n}"))
        report.seconds["汇总表"] = time.monotonic() - t1
        t2 = time.monotonic()
        build_counters(session, scopes=scopes)
        report.seconds["企业计数"] = time.monotonic() - t2
        t3 = time.monotonic()
        for index in indexes:
            index.create(session.connection())
        restore_constraints(session, constraints)
        report.seconds["索引"] = time.monotonic() - t3
        report.facts = session.scalar(select(func.count()).select_from(FACTS)) or 0
        report.rollups = session.scalar(select(func.count()).select_from(ROLLUPS)) or 0
        report.counters = session.scalar(select(func.count()).select_from(STATS)) or 0
        return report


@dataclass
class VerifyReport:
    facts_checked: int = 0
    facts_diff: list[Any] = field(default_factory=list)
    rollups_missing: list[Any] = field(default_factory=list)
    rollups_extra: list[Any] = field(default_factory=list)
    counters_missing: list[Any] = field(default_factory=list)
    counters_extra: list[Any] = field(default_factory=list)
    #: Deltas still waiting, folded inside the check.
    deltas_folded: int = 0

    @property
    def ok(self) -> bool:
        return not (self.facts_diff or self.rollups_missing or self.rollups_extra or self.counters_missing
                    or self.counters_extra)

    def text(self) -> str:
        if self.ok:
            waiting = f"（含尚未汇总的变更{self.deltas_folded}条）" if self.deltas_folded else ""
            return f"一致：核对{self.facts_checked}件案件的事实行、全部汇总行和企业计数{waiting}"
        return (f"不一致：事实行{len(self.facts_diff)}处，"
                f"汇总行缺{len(self.rollups_missing)}多{len(self.rollups_extra)}，"
                f"企业计数缺{len(self.counters_missing)}多{len(self.counters_extra)}")


def _nonzero(t: Table, measures: tuple[str, ...]) -> Any:
    return not_(and_(*[t.c[m] == 0 for m in measures]))


def _except(session: Session, a: Table, b: Table, cols: list[str], measures: tuple[str, ...],
            limit: int) -> list[Any]:
    qa = select(*[a.c[c] for c in cols]).where(_nonzero(a, measures))
    qb = select(*[b.c[c] for c in cols]).where(_nonzero(b, measures))
    return list(session.execute(qa.except_(qb).limit(limit)).all())


def verify(session: Session, *, limit: int = 20) -> VerifyReport:
    """Recompute facts, rollups and counters into temporary tables and compare with the stored ones, after
    folding the waiting deltas in this transaction (as the queue will once it drains). Leaves the session's
    transaction open (the caller rolls back: nothing is changed — or commits: the fold is kept)."""
    report = VerifyReport()
    report.deltas_folded = fold_all(session, wait=True)
    scopes = scope_table(session)
    exp_facts = _temp_like(session, FACTS, "risk_tmp_facts")
    build_facts(session, exp_facts, scopes=scopes)
    cols = list(F.FACT_COLUMNS)
    qa = select(*[FACTS.c[c] for c in cols])
    qb = select(*[exp_facts.c[c] for c in cols])
    report.facts_checked = session.scalar(select(func.count()).select_from(exp_facts)) or 0
    report.facts_diff = [("stored", *r) for r in session.execute(qa.except_(qb).limit(limit)).all()]
    report.facts_diff += [("expected", *r) for r in session.execute(qb.except_(qa).limit(limit)).all()]
    exp_rollups = _temp_like(session, ROLLUPS, "risk_tmp_rollups")
    build_rollups(session, exp_facts, exp_rollups)
    rcols = [*F.ROLLUP_KEY, *ROLLUP_MEASURES]
    report.rollups_extra = _except(session, ROLLUPS, exp_rollups, rcols, ROLLUP_MEASURES, limit)
    report.rollups_missing = _except(session, exp_rollups, ROLLUPS, rcols, ROLLUP_MEASURES, limit)
    exp_stats = _temp_like(session, STATS, "risk_tmp_stats")
    build_counters(session, exp_facts, exp_stats, scopes=scopes)
    scols = [c.name for c in STATS.columns]
    counted = ("total_cases", "open_cases", "total_signals", "open_signals")
    report.counters_extra = _except(session, STATS, exp_stats, scols, counted, limit)
    report.counters_missing = _except(session, exp_stats, STATS, scols, counted, limit)
    for t in (exp_facts, exp_rollups, exp_stats, scopes):
        t.drop(session.connection())
    return report
