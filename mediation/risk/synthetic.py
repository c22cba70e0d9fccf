"""Synthetic national-scale data with realistic distributions (for load tests and the hotspot benchmark).

Shapes follow docs/domain.md#caseload-figures: pay and social insurance dominate caseloads; collective disputes
(≥ 10 workers) are a few per cent of cases and average about 23 workers (2013: 163,300 workers in 7,200
collective disputes); mediation succeeds in roughly 65–82 % of concluded cases; most cases are closed
within weeks, so recent months hold most of the open ones. Regions are real GB/T 2260 divisions (from the
data package); organisations are union federations per province, city and county, a township/street
mediation committee per county and a union per park. Everything is drawn from one seeded generator, so a
run is reproducible.

The generator yields plain rows (tuples in the column order of :data:`COLUMNS`) in batches; the loader
(:mod:`mediation.risk.bulk`) writes them with the fastest path of each database.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mediation.domain import divisions

UTC = dt.UTC
#: Default provinces (a national sample): Zhejiang, Jiangsu, Guangdong, Shandong, Henan, Sichuan.
DEFAULT_PROVINCES: tuple[str, ...] = ("330000", "320000", "440000", "370000", "410000", "510000")

CATEGORIES: tuple[tuple[str, float], ...] = (
    ("remuneration", 0.46), ("hours_leave_insurance", 0.22), ("contract", 0.13), ("dismissal", 0.10),
    ("labour_relationship", 0.06), ("other", 0.03),
)
CLAIM_FOR: dict[str, str] = {
    "remuneration": "wages", "hours_leave_insurance": "social_insurance", "contract": "economic_compensation",
    "dismissal": "damages", "labour_relationship": "confirm_relationship", "other": "other",
}
SOURCES: tuple[tuple[str, float], ...] = (
    ("walk_in_written", 0.48), ("walk_in_oral", 0.14), ("online", 0.12), ("screening", 0.10),
    ("hotline_12351", 0.08), ("referral", 0.06), ("petition", 0.02),
)
INDUSTRIES: tuple[tuple[str, float], ...] = (
    ("C", 0.38), ("E", 0.16), ("F", 0.10), ("H", 0.08), ("G", 0.06), ("L", 0.05), ("O", 0.05), ("I", 0.04),
    ("K", 0.03), ("M", 0.02), ("Q", 0.02), ("A", 0.01),
)
OWNERSHIPS: tuple[tuple[str, float], ...] = (
    ("private", 0.58), ("individual", 0.10), ("hk_macao_taiwan", 0.08), ("foreign_invested", 0.07),
    ("state_owned", 0.08), ("collective", 0.03), ("other", 0.06),
)
SIZES: tuple[tuple[str, float], ...] = (("micro", 0.45), ("small", 0.35), ("medium", 0.15), ("large", 0.05))
#: Share of collective disputes among cases (a few per cent).
COLLECTIVE_SHARE = 0.03
#: Mediation success among concluded (accepted) cases.
SUCCESS_RATE = 0.72
SIGNAL_SOURCES = ("screening", "hotline_12351", "petition", "inspection_referral", "media", "self_report")


def _cum(items: Sequence[tuple[str, float]]) -> tuple[list[str], list[float]]:
    values, acc, total = [], [], 0.0
    for v, w in items:
        total += w
        values.append(v)
        acc.append(total)
    return values, [a / total for a in acc]


@dataclass
class Org:
    id: int
    name: str
    kind: str
    level: str
    parent_id: int | None
    path: str
    region_code: str
    park_id: int | None = None
    doc_prefix: str = ""


@dataclass
class Plan:
    """Organisations, parks and enterprises of a synthetic installation (ids assigned up front)."""

    regions: list[divisions.Division] = field(default_factory=list)
    orgs: list[Org] = field(default_factory=list)
    parks: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, name, kind, region
    enterprises: list[tuple[Any, ...]] = field(default_factory=list)
    #: enterprise id -> the organisations its disputes go to (township committee; park union if in a park)
    handlers: dict[int, tuple[int, ...]] = field(default_factory=dict)


ENTERPRISE_COLUMNS = ("id", "name", "uscc", "industry", "ownership", "size", "employees", "legal_representative",
                      "address", "phone", "has_union", "park_id", "region_code", "created_at")


def plan(rng: random.Random, *, provinces: Sequence[str], enterprises: int, first_org_id: int,
         first_park_id: int, first_enterprise_id: int, now: dt.datetime, dialect: str = "sqlite") -> Plan:
    p = Plan()
    created = Stamp(dialect)(now)
    counties: list[divisions.Division] = []
    org_id = first_org_id
    park_id = first_park_id
    county_orgs: dict[str, list[int]] = {}
    county_parks: dict[str, list[int]] = {}

    def add(name: str, kind: str, level: str, parent: Org | None, region: str, park: int | None = None) -> Org:
        nonlocal org_id
        path = f"{parent.path if parent else '/'}{org_id}/"
        o = Org(org_id, name, kind, level, parent.id if parent else None, path, region, park,
                f"{name[:3]}{org_id}")  # unique: the id is
        p.orgs.append(o)
        org_id += 1
        return o

    for code in provinces:
        prov = divisions.get(code)
        p.regions.append(prov)
        po = add(f"{prov.name}总工会", "federation", "province", None, prov.code)
        under = divisions.children(prov.code)
        for city in under:
            p.regions.append(city)
            parent = po
            kids = [city]
            if city.level == "city":
                parent = add(f"{city.name}总工会", "federation", "city", po, city.code)
                kids = divisions.children(city.code)
                p.regions.extend(kids)
            for county in kids:
                if county.level != "county":
                    continue
                counties.append(county)
                co = add(f"{county.name}总工会", "federation", "county", parent, county.code)
                town = add(f"{county.name}劳动争议调解中心", "township_mediation", "township", co, county.code)
                county_orgs[county.code] = [town.id]
                county_parks[county.code] = []
                if rng.random() < 0.5:
                    name = f"{county.name}{'经济技术开发区' if rng.random() < 0.5 else '工业园区'}"
                    p.parks.append((park_id, name, "development_zone" if "开发区" in name else "industrial_park",
                                    county.code))
                    pu = add(f"{name}工会", "park_union", "park", co, county.code, park_id)
                    county_parks[county.code].append(park_id)
                    county_orgs[county.code].append(pu.id)
                    park_id += 1
    if not counties:
        raise ValueError("no county-level divisions under the chosen provinces")
    # counties weighted by a heavy-tailed "economic size" (a few big industrial districts dominate)
    weights = [rng.paretovariate(1.3) for _ in counties]
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    ind_v, ind_c = _cum(INDUSTRIES)
    own_v, own_c = _cum(OWNERSHIPS)
    size_v, size_c = _cum(SIZES)
    for i in range(enterprises):
        eid = first_enterprise_id + i
        county = counties[_bisect(cum, rng.random() * total)]
        parks = county_parks[county.code]
        park = parks[0] if parks and rng.random() < 0.45 else None
        size = size_v[_bisect(size_c, rng.random())]
        employees = {"micro": rng.randint(3, 19), "small": rng.randint(20, 299), "medium": rng.randint(300, 999),
                     "large": rng.randint(1000, 20000)}[size]
        p.enterprises.append((
            eid, f"{county.name}第{eid}号企业有限公司", None, ind_v[_bisect(ind_c, rng.random())],
            own_v[_bisect(own_c, rng.random())], size, employees, "法定代表人", f"{county.name}某路{eid % 997}号",
            None, int(rng.random() < 0.35), park, county.code, created,
        ))
        orgs = county_orgs[county.code]
        p.handlers[eid] = (orgs[1],) if park is not None and len(orgs) > 1 else (orgs[0],)
    return p


def _bisect(cum: Sequence[float], x: float) -> int:
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


CASE_COLUMNS = ("id", "number", "title", "category", "source", "oral_application", "status", "workflow_version",
                "rules_version", "organisation_id", "enterprise_id", "lead_mediator_id", "workers_count",
                "is_collective", "facts", "requests", "respondent_consents", "dispute_arose_on", "reported_on",
                "received_on", "accepted_on", "agreed_on", "ended_on", "closed_on", "extension_days",
                "escalated_at", "end_reason", "last_event_seq", "created_at", "updated_at", "version")
CLAIM_COLUMNS = ("id", "case_id", "claim_type", "description", "amount")
EVENT_COLUMNS = ("id", "case_id", "seq", "event", "from_state", "to_state", "actor_id", "actor_role", "at", "reason",
                 "payload")
SESSION_COLUMNS = ("id", "case_id", "started_at", "ended_at", "place", "mediator_id", "recorder", "attendees",
                   "record", "signed_by_all")
AGREEMENT_COLUMNS = ("id", "case_id", "kind", "signed_on", "terms", "performance_method", "performance_place",
                     "total_amount", "review_requested_on", "review_kind")
OBLIGATION_COLUMNS = ("id", "agreement_id", "obligor", "claim_type", "description", "amount", "due_on",
                      "performed_amount", "status")
DEADLINE_COLUMNS = ("id", "case_id", "kind", "anchor_on", "due_on", "status", "provisional", "rules_version", "basis",
                    "obligation_id", "resolved_on", "overdue_recorded_at")
SIGNAL_COLUMNS = ("id", "enterprise_id", "organisation_id", "source", "observed_at", "received_at", "recorded_by_id",
                  "reporter_name", "reporter_phone", "description", "evidence", "workers_affected",
                  "wage_arrears_months", "wage_arrears_amount", "social_insurance_unpaid_months", "planned_layoffs",
                  "relocation", "closure", "merger", "excessive_overtime", "no_union", "no_collective_agreement",
                  "prior_disputes", "status", "case_id", "resolved_at", "resolution_note")

COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": CASE_COLUMNS, "claims": CLAIM_COLUMNS, "case_events": EVENT_COLUMNS,
    "mediation_sessions": SESSION_COLUMNS, "agreements": AGREEMENT_COLUMNS, "obligations": OBLIGATION_COLUMNS,
    "deadlines": DEADLINE_COLUMNS, "risk_signals": SIGNAL_COLUMNS,
}


@dataclass
class Ids:
    """The next free id of every table written (the loader reads them from the database first)."""

    case: int = 1
    claim: int = 1
    event: int = 1
    session: int = 1
    agreement: int = 1
    obligation: int = 1
    deadline: int = 1
    signal: int = 1


# Rows are produced in the databases' text forms (ISO dates, UTC timestamps, 0/1, decimal strings), which
# both ``COPY`` (PostgreSQL) and ``executemany`` (SQLite) take as they are: no per-value conversion.
_TS_SUFFIX = {"postgresql": "+00", "sqlite": ""}


def D(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


class Stamp:
    """UTC instants in the storage form of a dialect (SQLite keeps them naive; PostgreSQL gets an offset)."""

    def __init__(self, dialect: str) -> None:
        self.suffix = _TS_SUFFIX.get(dialect, "")

    def __call__(self, at: dt.datetime | None) -> str | None:
        if at is None:
            return None
        return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + self.suffix

    def during(self, day: dt.date, rng: random.Random, hours: int = 0) -> str:
        """An instant during office hours in China on ``day`` (00:30-09:30 UTC), ``hours`` later: the text
        form built directly (``strftime`` is the generator's slowest step)."""
        minutes = 30 + int(rng.random() * 541) + 60 * hours
        return f"{day.isoformat()} {minutes // 60:02d}:{minutes % 60:02d}:00.000000{self.suffix}"


def _money(x: float) -> Decimal:
    return Decimal(f"{max(x, 0.01):.2f}")


def cases(rng: random.Random, p: Plan, *, count: int, ids: Ids, today: dt.date, days: int = 730,
          batch: int = 20_000, counters: dict[tuple[int, int], int] | None = None, dialect: str = "sqlite",
          ) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """Batches of rows per table, ``count`` cases reported over the last ``days`` days. ``counters`` (case
    numbers per organisation and year) is updated as numbers are given out."""
    cat_v, cat_c = _cum(CATEGORIES)
    src_v, src_c = _cum(SOURCES)
    ent_ids = [e[0] for e in p.enterprises]
    # enterprises weighted heavy-tailed: a few with many disputes
    ent_w = [rng.paretovariate(1.1) for _ in ent_ids]
    ent_cum, t = [], 0.0
    for w in ent_w:
        t += w
        ent_cum.append(t)
    counters = counters if counters is not None else {}
    T = Stamp(dialect)
    prefix = {o.id: o.doc_prefix or o.name[:2] for o in p.orgs}
    out: dict[str, list[tuple[Any, ...]]] = {k: [] for k in COLUMNS if k != "risk_signals"}
    start = today - dt.timedelta(days=days - 1)
    for n in range(count):
        # slightly more disputes before the Spring Festival (Dec-Jan): wage settlements
        while True:
            reported = start + dt.timedelta(days=rng.randrange(days))
            if reported.month in (12, 1) or rng.random() < 0.8:
                break
        eid: int | None = ent_ids[_bisect(ent_cum, rng.random() * t)] if rng.random() < 0.94 else None
        org = p.handlers[eid][0] if eid is not None else p.handlers[ent_ids[rng.randrange(len(ent_ids))]][0]
        category = cat_v[_bisect(cat_c, rng.random())]
        source = src_v[_bisect(src_c, rng.random())]
        collective = rng.random() < COLLECTIVE_SHARE
        workers = (10 + int(rng.lognormvariate(2.2, 0.8))) if collective else (1 if rng.random() < 0.86 else
                                                                                 rng.randint(2, 9))
        claimed = _money(rng.lognormvariate(9.4, 0.9) * (workers if collective else 1))
        age = (today - reported).days
        initial = "reported" if source in ("screening", "hotline_12351", "petition") else "applied"
        # how far it got: open for a while, then concluded
        open_p = math.exp(-age / 25)
        received = reported if initial == "applied" else reported + dt.timedelta(days=rng.randint(0, 3))
        accepted_on = agreed_on = ended_on = closed_on = None
        end_reason = None
        status = initial
        trail: list[tuple[str, str, str, dt.date]] = []  # event, from, to, day
        if rng.random() < open_p:
            status = rng.choice(["reported", "triage", "applied", "mediating", "mediating", "mediating"]) \
                if initial == "reported" else rng.choice(["applied", "mediating", "mediating", "mediating"])
        else:
            status = "closed"
        reached_mediation = status == "mediating" or (status == "closed" and rng.random() < 0.84)
        if initial == "reported" and status not in ("reported", "triage"):
            trail.append(("register_application", "reported", "applied", received))
        elif initial == "reported" and status == "triage":
            trail.append(("begin_triage", "reported", "triage", received))
        if reached_mediation and status in ("mediating", "closed"):
            accepted_on = min(received + dt.timedelta(days=rng.randint(0, 3)), today)
            trail.append(("accept", "applied", "mediating", accepted_on))
        if status == "closed":
            concluded = (accepted_on or received) + dt.timedelta(days=rng.randint(1, 20))
            concluded = min(concluded, today)
            if accepted_on is not None and rng.random() < SUCCESS_RATE:
                agreed_on = concluded
                end_reason = None
            elif accepted_on is not None:
                ended_on = concluded
                end_reason = rng.choice(["failed", "failed", "refused", "lapsed"])
            else:
                ended_on = concluded
                end_reason = rng.choice(["withdrawn", "out_of_scope", "dismissed"])
            closed_on = min(concluded + dt.timedelta(days=rng.randint(0, 30)), today)
            prev = trail[-1][2] if trail else initial
            trail.append(("bulk_import", prev, "closed", closed_on))
        cid = ids.case
        ids.case += 1
        year = reported.year
        number = counters[(org, year)] = counters.get((org, year), 0) + 1
        events: list[tuple[Any, ...]] = []
        seq = 1
        events.append((ids.event, cid, seq, "register", None, initial, None, "clerk", T.during(reported, rng), "",
                       f'{{"source": "{source}", "initial_state": "{initial}", "imported": true}}'))
        ids.event += 1
        for ev, frm, to, day in trail:
            seq += 1
            events.append((ids.event, cid, seq, ev, frm, to, None, "mediator", T.during(day, rng), "", "{}"))
            ids.event += 1
        created = events[0][8]
        out["cases"].append((
            cid, f"（{year}）{prefix[org]}劳调字第{number}号", f"{CATEGORY_TITLES[category]}争议", category,
            source, int(source == "walk_in_oral"), status, "1", "1", org, eid, None, workers, int(collective), "", "",
            1 if accepted_on else None, None, D(reported),
            D(received) if initial == "applied" or any(e[0] == "register_application" for e in trail) else None,
            D(accepted_on), D(agreed_on), D(ended_on), D(closed_on), 0, None, end_reason, seq, created, events[-1][8],
            1,
        ))
        out["case_events"].extend(events)
        if rng.random() < 0.92:
            out["claims"].append((ids.claim, cid, CLAIM_FOR[category], "", str(claimed)))
            ids.claim += 1
        if accepted_on is not None:
            s_day = min(accepted_on + dt.timedelta(days=rng.randint(0, 4)), today)
            minute = 30 + int(rng.random() * 421)
            started = f"{s_day.isoformat()} {minute // 60:02d}:{minute % 60:02d}:00.000000{T.suffix}"
            ended = f"{s_day.isoformat()} {minute // 60 + 2:02d}:{minute % 60:02d}:00.000000{T.suffix}"
            out["mediation_sessions"].append((ids.session, cid, started, ended,
                                              "调解室", None, "", "[]", "", 1))
            ids.session += 1
            if rng.random() < 0.04:  # the 15-day clock ran out before an outcome was recorded
                due = accepted_on + dt.timedelta(days=15)
                out["deadlines"].append((ids.deadline, cid, "mediation_end", D(accepted_on), D(due), "overdue", 0,
                                         "1", "", None, D(due + dt.timedelta(days=1)),
                                         T(dt.datetime.combine(due + dt.timedelta(days=1), dt.time(1), UTC))))
                ids.deadline += 1
        if agreed_on is not None:
            amount = _money(float(claimed) * rng.uniform(0.5, 1.0))
            out["agreements"].append((ids.agreement, cid, "mediation", D(agreed_on), "双方达成调解协议", "银行转账",
                                      "", str(amount), None, None))
            performed = amount if rng.random() < 0.9 else _money(float(amount) * rng.uniform(0, 0.9))
            out["obligations"].append((ids.obligation, ids.agreement, "employer", CLAIM_FOR[category], "支付款项",
                                       str(amount), D(agreed_on + dt.timedelta(days=15)), str(performed),
                                       "performed" if performed >= amount else "partial"))
            ids.agreement += 1
            ids.obligation += 1
        if len(out["cases"]) >= batch or n == count - 1:
            yield out
            out = {k: [] for k in out}


CATEGORY_TITLES = {"remuneration": "劳动报酬", "hours_leave_insurance": "社会保险", "contract": "劳动合同",
                   "dismissal": "解除劳动关系", "labour_relationship": "确认劳动关系", "other": "其他"}


def signals(rng: random.Random, p: Plan, *, count: int, ids: Ids, now: dt.datetime,
            days: int = 200, dialect: str = "sqlite") -> list[tuple[Any, ...]]:
    """Risk signals on random enterprises over the last ``days`` days, a third already resolved."""
    T = Stamp(dialect)
    rows = []
    ent_ids = [e[0] for e in p.enterprises]
    for _ in range(count):
        eid = ent_ids[rng.randrange(len(ent_ids))]
        observed = now - dt.timedelta(minutes=rng.randrange(days * 24 * 60))
        # most signals are minor: short arrears, if any; a few are months long
        arrears = (Decimal(rng.choice(["0.5", "0.5", "0.5", "1", "1", "1.5", "2", "3"])) if rng.random() < 0.3
                   else None)
        resolved = observed + dt.timedelta(days=rng.randint(1, 40)) if rng.random() < 0.33 else None
        if resolved is not None and resolved > now:
            resolved = None
        rows.append((
            ids.signal, eid, p.handlers[eid][0], SIGNAL_SOURCES[rng.randrange(len(SIGNAL_SOURCES))], T(observed),
            T(observed), None, "网格员", None, "排查发现的风险", "", rng.choice([0, 0, 5, 12, 30, 80]),
            None if arrears is None else str(arrears), str(_money(float(arrears) * 80_000)) if arrears else None,
            rng.choice([None, None, 2, 6]), rng.choice([None, None, None, 20, 120]),
            *(int(rng.random() < q) for q in (0.05, 0.03, 0.02, 0.1, 0.2, 0.2)), None,
            "resolved" if resolved else "open", None, T(resolved), "已化解" if resolved else "",
        ))
        ids.signal += 1
    return rows
