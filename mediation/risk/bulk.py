"""Bulk import of (synthetic) cases at national scale: millions of rows in minutes.

Base rows go in through each database's fastest path — ``COPY … FROM STDIN`` on PostgreSQL,
``executemany`` on the raw SQLite connection — bypassing the per-case services (an import is history,
not a sequence of user actions: no documents, no observers). Then the derived data is made consistent in
bulk, with the same definitions the incremental path uses: every enterprise is scored
(:func:`mediation.risk.scoring.rescore_all`, no alerts for history) and facts, rollups and counters are
rebuilt (:func:`mediation.risk.maintenance.rebuild`). ``mediation risk verify`` checks the result.
"""

from __future__ import annotations

import datetime as dt
import itertools
import marshal
import multiprocessing
import os
import random
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Index, func, select, text
from sqlalchemy.orm import Session

from mediation.db.base import Base
from mediation.db.models import Region
from mediation.db.uow import unit_of_work
from mediation.risk import maintenance, scoring, synthetic

#: table -> the id counter in :class:`synthetic.Ids`
ID_FIELDS: dict[str, str] = {
    "cases": "case", "claims": "claim", "case_events": "event", "mediation_sessions": "session",
    "agreements": "agreement", "obligations": "obligation", "deadlines": "deadline", "risk_signals": "signal",
}
ORG_COLUMNS = ("id", "name", "short_name", "kind", "level", "parent_id", "path", "region_code", "park_id",
               "doc_prefix", "created_at")


_COPY_NULL = "\\N"
_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
#: Tables a bulk import fills: their secondary indexes are dropped during a large load and built afterwards.
BULK_TABLES = ("cases", "claims", "case_events", "mediation_sessions", "agreements", "obligations", "deadlines",
               "risk_signals")
#: Below this many cases an import keeps the indexes (rebuilding them would cost more than it saves).
DROP_INDEXES_FROM = 100_000


def copy_text(rows: Sequence[tuple[Any, ...]]) -> str:
    """Rows in COPY's text format, built with str.join/map (C speed) instead of one call per value.

    Values are first joined as ``str`` gives them (synthetic rows never hold a tab, newline, carriage return,
    backslash or the word None); the separators, backslashes and ``None`` of the result are then counted: if
    every ``None`` is a NULL and nothing else needs escaping, NULLs are marked and the text is used, else the
    batch is built again with every value escaped."""
    if not rows:
        return ""
    width = len(rows[0])
    values = tuple(itertools.chain.from_iterable(rows))
    if len(values) != len(rows) * width:
        raise ValueError("rows of different widths")
    data = (("\t".join(["%s"] * width) + "\n") * len(rows)) % values  # one formatting call for the batch
    nulls = values.count(None)
    if (data.count("\t") == len(rows) * (width - 1) and data.count("\n") == len(rows) and "\r" not in data
            and "\\" not in data and data.count("None") == nulls):
        return data.replace("None", _COPY_NULL) if nulls else data
    return "".join("\t".join(_COPY_NULL if v is None else str(v).translate(_COPY_ESCAPE) for v in r) + "\n"
                   for r in rows)


def _encode(chunk: dict[str, list[tuple[Any, ...]]]) -> bytes:
    """A batch serialised for the trip between processes: ``marshal`` (several times faster than pickling
    millions of small tuples; the queue then pickles one bytes object). The rows stay tuples: on PostgreSQL the
    loader turns them into COPY text itself, which balances the two processes (the generator is the slower)."""
    return marshal.dumps({t: (len(rows), rows) for t, rows in chunk.items()})


def _produce(q: Any, rng: random.Random, p: synthetic.Plan, ids: synthetic.Ids, cases: int, today: dt.date,
             days: int, batch: int, dialect: str, n_signals: int, now: dt.datetime) -> None:
    """The generator's process: cases (then signals) in batches, already in the loader's form. It never
    touches the database; it leaves with ``os._exit`` so that nothing inherited from the parent (its database
    connection) is finalised here."""
    try:
        counters: dict[tuple[int, int], int] = {}
        for chunk in synthetic.cases(rng, p, count=cases, ids=ids, today=today, days=days, batch=batch,
                                     counters=counters, dialect=dialect):
            q.put(("chunk", len(chunk["cases"]), _encode(chunk)))
        sig = synthetic.signals(rng, p, count=n_signals, ids=ids, now=now, dialect=dialect)
        q.put(("end", counters, _encode({"risk_signals": sig})))
    except BaseException:  # report everything to the parent, which raises it
        q.put(("error", traceback.format_exc()))
    finally:
        q.close()
        q.join_thread()
        os._exit(0)


def secondary_indexes() -> list[Index]:
    return [i for t in BULK_TABLES for i in sorted(Base.metadata.tables[t].indexes, key=lambda i: str(i.name))
            if not i.unique]


class Loader:
    """Writes rows (tuples in a given column order, values in the databases' text forms, see
    :class:`mediation.risk.synthetic.Stamp`) to a table with the dialect's fastest path."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.rows_written = 0

    def load(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        raw = self.session.connection().connection.driver_connection
        assert raw is not None
        if self.dialect == "postgresql":
            self.load_text(table, columns, copy_text(rows), len(rows))
            return
        else:
            marks = ", ".join("?" for _ in columns)
            raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        self.rows_written += len(rows)

    def load_text(self, table: str, columns: Sequence[str], data: str, count: int) -> None:
        """PostgreSQL: rows already in COPY's text format."""
        raw = self.session.connection().connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            cp.write(data)
        self.rows_written += count

    def load_encoded(self, encoded: dict[str, tuple[int, Any]]) -> None:
        for table, (count, data) in encoded.items():
            if count:
                self.load(table, synthetic.COLUMNS[table], data)

    def reset_sequences(self, tables: Sequence[str]) -> None:
        """PostgreSQL: move each id sequence past the ids written explicitly."""
        if self.dialect != "postgresql":
            return
        for t in tables:
            self.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, "
                "false)"))


def _next_id(session: Session, table: str) -> int:
    t = Base.metadata.tables[table]
    return int(session.scalar(select(func.coalesce(func.max(t.c.id), 0))) or 0) + 1


@dataclass
class ImportReport:
    cases: int = 0
    enterprises: int = 0
    organisations: int = 0
    signals: int = 0
    rows: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    @property
    def rate(self) -> float:
        """Cases per second, derived tables included."""
        return self.cases / self.total_seconds if self.total_seconds else 0.0

    def text(self) -> str:
        phases = "，".join(f"{k}{v:.1f}秒" for k, v in self.seconds.items())
        return (f"导入{self.cases:,}件案件（{self.enterprises:,}家企业，{self.organisations:,}个组织，"
                f"{self.signals:,}条风险信息，共{self.rows:,}行），用时{self.total_seconds:.1f}秒"
                f"（{phases}），每秒{self.rate:,.0f}件")


def import_synthetic(
    session: Session,
    *,
    cases: int,
    enterprises: int | None = None,
    provinces: Sequence[str] = synthetic.DEFAULT_PROVINCES,
    seed: int = 20261126,
    today: dt.date | None = None,
    days: int = 730,
    signals_per_case: float = 0.02,
    batch: int = 20_000,
    score: bool = True,
    progress: Callable[[int], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> ImportReport:
    """Generate and load ``cases`` synthetic cases (with enterprises, organisations and signals), then
    score the enterprises and rebuild the derived tables. Commits; rolls back on any error."""
    say = say or (lambda _m: None)
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    today = today or scoring.china_date(now)
    report = ImportReport()
    loader = Loader(session)
    with unit_of_work(session):
        maintenance.bulk_pragmas(session)
        t0 = time.monotonic()
        n_ent = enterprises or max(cases // 20, 10)
        p = synthetic.plan(rng, provinces=provinces, enterprises=n_ent,
                           first_org_id=_next_id(session, "organisations"), first_park_id=_next_id(session, "parks"),
                           first_enterprise_id=_next_id(session, "enterprises"), now=now, dialect=loader.dialect)
        have = set(session.scalars(select(Region.code)).all())
        regions = sorted({(r.code, r.name, r.level, r.parent_code) for r in p.regions if r.code not in have},
                         key=lambda r: (("province", "city", "county").index(r[2]), r[0]))
        loader.load("regions", ("code", "name", "level", "parent_code"), regions)
        loader.load("parks", ("id", "name", "kind", "region_code"), p.parks)
        stamp = synthetic.Stamp(loader.dialect)(now)
        loader.load("organisations", ORG_COLUMNS, [
            (o.id, o.name, o.name[:32], o.kind, o.level, o.parent_id, o.path, o.region_code, o.park_id, o.doc_prefix,
             stamp) for o in p.orgs])
        loader.load("enterprises", synthetic.ENTERPRISE_COLUMNS, p.enterprises)
        report.organisations, report.enterprises = len(p.orgs), len(p.enterprises)
        report.seconds["机构与企业"] = time.monotonic() - t0
        say(f"已生成{len(p.orgs):,}个组织、{len(p.parks):,}个园区、{len(p.enterprises):,}家企业")

        t1 = time.monotonic()
        ids = synthetic.Ids(**{f: _next_id(session, t) for t, f in ID_FIELDS.items()})
        dropped = secondary_indexes() if cases >= DROP_INDEXES_FROM else []
        for index in dropped:
            index.drop(session.connection())
        # (PostgreSQL) every row would otherwise fire one check trigger per foreign key: half the time of COPY
        foreign_keys = maintenance.drop_constraints(session, BULK_TABLES, "f") if dropped else []
        # Generation runs in a second process, one batch ahead of the loading (two cores: the generator, and
        # this process with the database server).
        ctx = multiprocessing.get_context("fork")
        q = ctx.Queue(maxsize=3)
        proc = ctx.Process(target=_produce, args=(q, rng, p, ids, cases, today, days, batch, loader.dialect,
                                                  int(cases * signals_per_case), now), daemon=True)
        proc.start()
        try:
            while True:
                kind, *payload = q.get()
                if kind == "error":
                    raise RuntimeError(f"合成数据生成失败：\n{payload[0]}")
                if kind == "chunk":
                    n, encoded = payload
                    loader.load_encoded(marshal.loads(encoded))
                    report.cases += n
                    if progress is not None:
                        progress(n)
                    continue
                counters, packed = payload
                encoded = marshal.loads(packed)
                loader.load("case_number_counters", ("organisation_id", "year", "kind", "last"),
                            [(org, year, "case", n) for (org, year), n in sorted(counters.items())])
                loader.load_encoded(encoded)
                report.signals = encoded["risk_signals"][0]
                break
        finally:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
        loader.reset_sequences(["organisations", "parks", "enterprises", *ID_FIELDS])
        report.seconds["案件"] = time.monotonic() - t1
        if dropped:
            t_ix = time.monotonic()
            maintenance.restore_constraints(session, foreign_keys)
            for index in dropped:
                index.create(session.connection())
            report.seconds["索引"] = time.monotonic() - t_ix
            say(f"已重建{len(dropped)}个索引")
        session.commit()

        if score:
            maintenance.bulk_pragmas(session)
            t2 = time.monotonic()
            summary = scoring.rescore_all(session, at=now, reason="rescore", raise_alerts=False, facts_built=False)
            session.commit()
            report.seconds["风险评估"] = time.monotonic() - t2
            say(summary.text())
        t3 = time.monotonic()
        rebuilt = maintenance.rebuild(session, progress=say)
        report.seconds["汇总重建"] = time.monotonic() - t3
        say(rebuilt.text())
        # planner statistics for the new data (without them SQLite drives some hotspot queries from the
        # wrong index)
        t4 = time.monotonic()
        session.connection().exec_driver_sql("ANALYZE")
        session.commit()
        report.seconds["统计信息"] = time.monotonic() - t4
        report.rows = loader.rows_written + rebuilt.facts + rebuilt.rollups + rebuilt.counters
        return report
