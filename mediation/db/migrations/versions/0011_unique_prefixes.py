"""case and document numbers unique in the whole installation: organisation prefixes unique

Revision ID: 0011
Revises: 0003, 0005, 0006
Create Date: 2026-12-04 18:00:00

Two organisations used the same prefix (``众合企``, ``嘉兴园`` in the demo data), so the same case number
existed twice. From now on ``organisations.doc_prefix`` is unique, ``cases.number`` is unique and a document
number (its first version; later versions keep it) is unique.

The existing data is migrated by one deterministic rule:

1. Every organisation gets a prefix: its ``doc_prefix``, else (as numbers were issued until now) its short name,
   else the first four characters of its name — at most 16 characters.
2. Organisations are taken in id order. The first to hold a prefix keeps it; a later one gets the first free
   of ``prefix二``, ``prefix三`` … ``prefix十``, ``prefix11`` … — free meaning neither given to an earlier
   organisation nor the prefix any organisation issued numbers with, so that new numbers can never equal a
   number issued before.
3. Numbers already issued are not renumbered, except where two of them are equal. Then the case (or the
   document) of the organisation that kept its prefix keeps its number (if none did, the one issued first,
   by id), and the others are given the same number with their organisation's new prefix
   (``（2026）众合企劳调字第5号`` → ``（2026）众合企二劳调字第5号``); where the prefix cannot be found in the number,
   ``-<id>`` is appended. A renumbered document's stored PDF still shows the old number (PDFs are
   immutable); the next version prints the new one.
4. The organisation that kept a shared prefix continues its counters (per year and kind) after the highest
   number any organisation issued with that prefix, so that none of its new numbers repeats one issued by
   another organisation before (its own numbering has a gap there instead).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = ("0003", "0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_MAX = 16
SUFFIXES = ("二", "三", "四", "五", "六", "七", "八", "九", "十", *(str(n) for n in range(11, 1000)))


def _candidates(base: str) -> list[str]:
    base = base.strip()[:PREFIX_MAX]
    return [base] + [base[:PREFIX_MAX - len(s)] + s for s in SUFFIXES]


def _renumber(number: str, old: str, new: str, row_id: int, taken: set[str]) -> str:
    if old != new and f"）{old}" in number:
        candidate = number.replace(f"）{old}", f"）{new}", 1)[:64]
        if candidate not in taken:
            return candidate
    return f"{number[:64 - len(str(row_id)) - 1]}-{row_id}"


def upgrade() -> None:
    bind = op.get_bind()
    orgs = bind.execute(sa.text("SELECT id, doc_prefix, short_name, name FROM organisations ORDER BY id")).all()
    issued = {o.id: (o.doc_prefix or o.short_name or o.name[:4]) for o in orgs}  # what numbers were made with
    issued_any = set(issued.values())
    assigned: dict[int, str] = {}
    given: set[str] = set()
    for o in orgs:
        own = issued[o.id]
        for candidate in _candidates(own):
            if candidate in given:
                continue
            if candidate != own and candidate in issued_any:
                continue
            assigned[o.id] = candidate
            given.add(candidate)
            break
        if (o.doc_prefix or "") != assigned[o.id]:
            bind.execute(sa.text("UPDATE organisations SET doc_prefix = :p WHERE id = :id"),
                         {"p": assigned[o.id], "id": o.id})
    changed = {oid for oid in assigned if assigned[oid] != issued[oid]}
    keeper = {issued[oid]: oid for oid in assigned if oid not in changed}
    for oid in sorted(changed):
        k = keeper.get(issued[oid])
        if k is None:
            continue
        for year, kind, last in bind.execute(sa.text(
                "SELECT year, kind, last FROM case_number_counters WHERE organisation_id = :o"), {"o": oid}).all():
            mine = bind.execute(sa.text("SELECT last FROM case_number_counters WHERE organisation_id = :o AND "
                                        "year = :y AND kind = :k"), {"o": k, "y": year, "k": kind}).scalar()
            if mine is None:
                bind.execute(sa.text("INSERT INTO case_number_counters (organisation_id, year, kind, last) "
                                     "VALUES (:o, :y, :k, :n)"), {"o": k, "y": year, "k": kind, "n": last})
            elif mine < last:
                bind.execute(sa.text("UPDATE case_number_counters SET last = :n WHERE organisation_id = :o AND "
                                     "year = :y AND kind = :k"), {"o": k, "y": year, "k": kind, "n": last})

    # cases: equal numbers
    rows = bind.execute(sa.text(
        "SELECT id, organisation_id, number FROM cases WHERE number IN "
        "(SELECT number FROM cases GROUP BY number HAVING COUNT(*) > 1) ORDER BY id")).all()
    taken = {r[0] for r in bind.execute(sa.text("SELECT number FROM cases")).all()}
    groups: dict[str, list[sa.Row[tuple[int, int, str]]]] = defaultdict(list)
    for r in rows:
        groups[r.number].append(r)
    for number, members in groups.items():
        members.sort(key=lambda r: (r.organisation_id in changed, r.id))
        for r in members[1:]:
            new = _renumber(number, issued[r.organisation_id], assigned[r.organisation_id], r.id, taken)
            taken.add(new)
            bind.execute(sa.text("UPDATE cases SET number = :n WHERE id = :id"), {"n": new, "id": r.id})

    # documents: equal numbers among first versions (a document's versions share its number)
    docs = bind.execute(sa.text(
        "SELECT d.id, d.case_id, d.kind, d.subject, d.number, c.organisation_id FROM generated_documents d "
        "JOIN cases c ON c.id = d.case_id WHERE d.version = 1 AND d.number IN "
        "(SELECT number FROM generated_documents WHERE version = 1 GROUP BY number HAVING COUNT(*) > 1) "
        "ORDER BY d.id")).all()
    taken = {r[0] for r in bind.execute(sa.text("SELECT number FROM generated_documents")).all()}
    dgroups: dict[str, list[sa.Row[tuple[int, int, str, str, str, int]]]] = defaultdict(list)
    for d in docs:
        dgroups[d.number].append(d)
    for number, members in dgroups.items():
        members.sort(key=lambda d: (d.organisation_id in changed, d.id))
        for d in members[1:]:
            new = _renumber(number, issued[d.organisation_id], assigned[d.organisation_id], d.id, taken)
            taken.add(new)
            bind.execute(sa.text("UPDATE generated_documents SET number = :n WHERE case_id = :c AND kind = :k "
                                 "AND subject = :s"), {"n": new, "c": d.case_id, "k": d.kind, "s": d.subject})

    op.create_index("uq_organisations_doc_prefix", "organisations", ["doc_prefix"], unique=True)
    op.drop_index("ix_cases_number", table_name="cases")
    op.create_index("ix_cases_number", "cases", ["number"], unique=True)
    op.create_index("uq_generated_documents_number", "generated_documents", ["number"], unique=True,
                    sqlite_where=sa.text("version = 1"), postgresql_where=sa.text("version = 1"))
    # Enterprises without a credit code: NULL, not "" (which only one enterprise could have).
    op.execute("UPDATE enterprises SET uscc = NULL WHERE TRIM(uscc) = ''")


def downgrade() -> None:
    op.drop_index("uq_generated_documents_number", table_name="generated_documents")
    op.drop_index("ix_cases_number", table_name="cases")
    op.create_index("ix_cases_number", "cases", ["number"], unique=False)
    op.drop_index("uq_organisations_doc_prefix", table_name="organisations")
