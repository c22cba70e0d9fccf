"""Benchmark: the supervisors' hotspot queries at national scale, beside the naive GROUP BY, and the import.

Run:  python bench/hotspots_bench.py [--db sqlite|postgresql] [--cases N] [--repeat 30] [--reuse]

Loads N synthetic cases (default 1,000,000; use ``--db postgresql --cases 5000000`` for the 5M goal) into a
fresh database with ``mediation risk import-synthetic``'s code path and prints the import rate, then for each
hotspot query (as the services answer it, Python included) p50/p95 over ``--repeat`` runs, beside the naive
GROUP BY over the base tables (cases joined to organisations, enterprises and the division tree) computing
the same grouping in the same run. Goals (the issue): p95 <= 50 ms per dashboard query at 5M cases on
PostgreSQL, <= 100 ms at 1M on SQLite; 1M cases imported in <= 120 s. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, case, func, select, text
from sqlalchemy.orm import Session, aliased

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchdb import fresh_pg_database, pg_url  # noqa: E402

from mediation.db import migrate, registry  # noqa: E402,F401
from mediation.db.engine import make_engine  # noqa: E402
from mediation.db.models import Case, Enterprise, Organisation, Region  # noqa: E402
from mediation.domain.policy import Actor  # noqa: E402
from mediation.risk import bulk, facts, hotspots  # noqa: E402

#: ``MEDIATION_BENCH_NAME`` names the database (a second checkout benchmarking at the same time sets its own).
BENCH_NAME = os.environ.get("MEDIATION_BENCH_NAME", "mediation_hotspotbench")
PG_DB = BENCH_NAME
SQLITE_PATH = Path(f"/tmp/{BENCH_NAME}.sqlite3")


def fresh_engine(db: str, reuse: bool) -> Engine:
    if db == "postgresql":
        return make_engine(pg_url(PG_DB)) if reuse else fresh_pg_database(PG_DB)
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(str(SQLITE_PATH) + suffix).unlink(missing_ok=True)
    return make_engine(f"sqlite:///{SQLITE_PATH}")


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    fn()  # warm-up (plans, caches)
    samples = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, result


# --- the naive GROUP BY over the base tables ---------------------------------------------------------------


def naive(session: Session, *, by: str, frm: dt.date, to: dt.date, org_path: str | None = None,
          where: dict[str, Any] | None = None) -> list[Any]:
    """The same grouping straight from cases (+ organisations, enterprises, regions): counts, workers,
    collective and open cases."""
    c, o, e = Case.__table__, Organisation.__table__, Enterprise.__table__
    r0, r1, r2 = aliased(Region), aliased(Region), aliased(Region)
    code = func.coalesce(e.c.region_code, o.c.region_code)
    province = case((r0.level == "province", r0.code), (r0.level == "city", r1.code),
                    (r0.level == "county", func.coalesce(r2.code, r1.code)), else_="")
    city = case((r0.level == "city", r0.code), (r0.level == "county", r1.code), else_="")
    county = case((r0.level == "county", r0.code), else_="")
    keys = {"province": province, "city": city, "county": county, "category": c.c.category,
            "park": e.c.park_id, "industry": e.c.industry, "ownership": e.c.ownership, "enterprise": c.c.enterprise_id,
            "month": func.substr(func.cast(c.c.reported_on, type_=text_type()), 1, 7)}
    key = keys[by]
    conds = [c.c.reported_on.between(frm, to)]
    if org_path is not None:
        conds.append(o.c.path.like(f"{org_path}%"))
    for k, v in (where or {}).items():
        conds.append(keys[k] == v)
    stmt = (select(key.label("k"), func.count(), func.sum(c.c.workers_count),
                   func.sum(case((c.c.is_collective, 1), else_=0)),
                   func.sum(case((c.c.status.in_(facts.OPEN_STATES), 1), else_=0)))
            .select_from(c.join(o, o.c.id == c.c.organisation_id).outerjoin(e, e.c.id == c.c.enterprise_id)
                         .outerjoin(r0, r0.code == code).outerjoin(r1, r1.code == r0.parent_code)
                         .outerjoin(r2, r2.code == r1.parent_code))
            .where(and_(*conds)).group_by(key))
    return list(session.execute(stmt).all())


def text_type() -> Any:
    from sqlalchemy import String

    return String()


def naive_region_category(session: Session, frm: dt.date) -> list[Any]:
    """The issue's reference: GROUP BY region, category over the base table for the last ~2 years."""
    c, o, e = Case.__table__, Organisation.__table__, Enterprise.__table__
    region = func.coalesce(e.c.region_code, o.c.region_code)
    stmt = (select(region, c.c.category, func.count(), func.sum(c.c.workers_count))
            .select_from(c.join(o, o.c.id == c.c.organisation_id).outerjoin(e, e.c.id == c.c.enterprise_id))
            .where(c.c.reported_on >= frm).group_by(region, c.c.category))
    return list(session.execute(stmt).all())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--naive-repeat", type=int, default=5)
    ap.add_argument("--reuse", action="store_true", help="keep the database of the previous run (no import)")
    ap.add_argument("--import-only", action="store_true", help="measure the import only (no queries)")
    args = ap.parse_args()

    engine = fresh_engine(args.db, args.reuse)
    if not args.reuse:
        migrate.upgrade(engine)
        with Session(engine) as s:
            t = time.perf_counter()
            done = [0]

            def progress(n: int) -> None:
                done[0] += n
                if done[0] % 200_000 < n:
                    print(f"  … {done[0]:,} cases, {time.perf_counter() - t:.0f} s", flush=True)

            report = bulk.import_synthetic(s, cases=args.cases, progress=progress,
                                           say=lambda m: print(f"  {m}", flush=True))
        print(f"\nIMPORT  {report.text()}")
        print(f"IMPORT  {args.cases:,} cases in {report.total_seconds:.1f} s = {report.rate:,.0f} cases/s "
              f"(phases: {', '.join(f'{k} {v:.1f} s' for k, v in report.seconds.items())})\n")
        if args.import_only:
            return
    if args.db == "postgresql":
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    with Session(engine) as s:
        n_cases = s.scalar(select(func.count()).select_from(Case))
        prov = s.scalars(select(Organisation).where(Organisation.level == "province").order_by(Organisation.id)).first()
        city = s.scalars(select(Organisation).where(Organisation.level == "city", Organisation.path.like(
            f"{prov.path}%")).order_by(Organisation.id)).first() if prov else None
        county = s.scalars(select(Organisation).where(Organisation.level == "county", Organisation.path.like(
            f"{city.path}%")).order_by(Organisation.id)).first() if city else None
        assert prov is not None and city is not None and county is not None, "no synthetic organisations"
        national = Actor.system()
        prov_sup = Actor(None, "supervisor", prov.id, prov.path)
        city_sup = Actor(None, "supervisor", city.id, city.path)
        county_sup = Actor(None, "supervisor", county.id, county.path)
        today = dt.date.today()
        year_ago = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
        two_years = today - dt.timedelta(days=730)
        park = s.scalar(select(Enterprise.park_id).where(Enterprise.park_id.is_not(None),
                                                         Enterprise.region_code == county.region_code).limit(1))
        top = s.execute(select(facts.RiskCaseFacts.county, func.count()).where(
            facts.RiskCaseFacts.scope_c == city.id).group_by(facts.RiskCaseFacts.county)
            .order_by(func.count().desc()).limit(1)).first()
        busy_county = top[0] if top else county.region_code
        print(f"{n_cases:,} cases on {args.db}; scopes: national, {prov.name}, {city.name}, {county.name}\n")

        def hs(actor: Actor, **a: Any) -> Callable[[], Any]:
            return lambda: hotspots.run_hotspots(s, actor=actor, args=a, today=today)

        queries: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            ("national by province, 12 months", hs(national, by="province"),
             lambda: naive(s, by="province", frm=year_ago, to=today)),
            ("national by category", hs(national, by="category"),
             lambda: naive(s, by="category", frm=year_ago, to=today)),
            ("national trend by month", hs(national, by="month"),
             lambda: naive(s, by="month", frm=year_ago, to=today)),
            ("national by industry", hs(national, by="industry"),
             lambda: naive(s, by="industry", frm=year_ago, to=today)),
            ("province by city (drill)", hs(prov_sup, by="city"),
             lambda: naive(s, by="city", frm=year_ago, to=today, org_path=prov.path)),
            ("province by ownership", hs(prov_sup, by="ownership"),
             lambda: naive(s, by="ownership", frm=year_ago, to=today, org_path=prov.path)),
            ("province by warning level", hs(prov_sup, by="level"), lambda: None),
            ("city by county (drill)", hs(city_sup, by="county"),
             lambda: naive(s, by="county", frm=year_ago, to=today, org_path=city.path)),
            ("city trend by week", hs(city_sup, by="week"),
             lambda: naive(s, by="month", frm=today - dt.timedelta(weeks=12), to=today, org_path=city.path)),
            ("city: busiest county by park (drill)", hs(city_sup, by="park", county=busy_county),
             lambda: naive(s, by="park", frm=year_ago, to=today, org_path=city.path, where={"county": busy_county})),
            ("city: park by enterprise (facts)", hs(city_sup, by="enterprise", county=busy_county,
                                                   park_id=park) if park else hs(city_sup, by="enterprise",
                                                                                 county=busy_county),
             lambda: naive(s, by="enterprise", frm=year_ago, to=today, org_path=city.path,
                           where={"county": busy_county})),
            ("county supervisor by category (facts)", hs(county_sup, by="category"),
             lambda: naive(s, by="category", frm=year_ago, to=today, org_path=county.path)),
            ("city case list behind a county, page 1",
             lambda: hotspots.case_list(s, actor=city_sup, args={"county": busy_county}, today=today), lambda: None),
            ("national top-10 enterprises by open cases",
             lambda: hotspots.ranking(s, actor=national, args={"by": "open_cases"}),
             lambda: naive(s, by="enterprise", frm=two_years, to=today)),
            ("city top-10 enterprises by risk score",
             lambda: hotspots.ranking(s, actor=city_sup, args={"by": "risk_score"}), lambda: None),
            ("national: warning enterprises by city",
             lambda: hotspots.warning_by_region(s, actor=national, args={"region": prov.region_code}), lambda: None),
            ("province: warning enterprises by city",
             lambda: hotspots.warning_by_region(s, actor=prov_sup, args={"region": prov.region_code}), lambda: None),
            ("province early-intervention times", lambda: hotspots.early(s, actor=prov_sup, args={}, today=today),
             lambda: None),
        ]
        print(f"{'query':44} {'p50 ms':>8} {'p95 ms':>8}  {'source':22} {'naive p50':>10} {'naive p95':>10}")
        worst = 0.0
        for label, fn, nv in queries:
            p50, p95, result = timed(fn, args.repeat)
            worst = max(worst, p95)
            source = result.get("source", "") if isinstance(result, dict) else ""
            if nv() is None:
                n50 = n95 = "-"
            else:
                a, b, _ = timed(nv, args.naive_repeat)
                n50, n95 = f"{a:.1f}", f"{b:.1f}"
            print(f"{label:44} {p50:8.1f} {p95:8.1f}  {source:22} {n50:>10} {n95:>10}", flush=True)
        a, b, _ = timed(lambda: naive_region_category(s, two_years), args.naive_repeat)
        print(f"{'naive GROUP BY region, category, 2 years':44} {'':8} {'':8}  {'(reference)':22} {a:10.1f} {b:10.1f}")
        print(f"\nworst p95 of the hotspot queries: {worst:.1f} ms")


if __name__ == "__main__":
    main()
