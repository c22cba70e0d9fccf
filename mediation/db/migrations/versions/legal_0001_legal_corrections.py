"""legal corrections: committee policies, collective common claim and representatives' authorisation,
per-worker beneficiaries, limitation suspension and the end of employment; confirmed citations on open rows

Revision ID: legal_0001
Revises: 0012
Create Date: 2026-12-05 07:10:00

- organisations: ``extension_cap_days`` (the committee's own cap on extensions; none by default, ELDNMP art. 29
  sets none), ``collective_reps_practice`` (3–5 representatives as adopted practice, 办案规则 arts. 5, 62, 63; on
  by default), ``own_rules_basis`` (a township/street body's own provision for refusing mediation);
- cases: ``common_claim`` (LDMAL art. 7), ``employment_ongoing``/``employment_ended_on`` (art. 27(4)),
  ``limitation_suspended_on``/``limitation_suspended_days`` (art. 27(3));
- parties: a representative's special authorisation (``authorised_to_sign``, ``authorisation_scope``);
- obligations: ``beneficiary`` (the worker a collective agreement's amount is owed to);
- deadlines: the basis of existing rows cites the confirmed articles (docs/domain.md#time-limits).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "legal_0001"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "《企业劳动争议协商调解规定》（待核实）"
#: kind → the basis the rule set 2025.3 cites (mediation/domain/legal_basis.py)
_NEW = {
    "acceptance": "《企业劳动争议协商调解规定》第二十二条",
    "mediation_end": "《企业劳动争议协商调解规定》第二十九条",
    "arbitration_review": "《企业劳动争议协商调解规定》第二十七条第二款、《劳动人事争议仲裁办案规则》第七十四条",
    "negotiation_reply": "本会协商工作规则：一方提出协商要求后5日内不作回应的，视为不愿协商",
}
_OLD_REPORT = "地方工作惯例（待核实）"
_NEW_REPORT = "本会集体争议报告规则（依地方应急预案）"


def upgrade() -> None:
    # plain ADD/DROP COLUMN (SQLite ≥ 3.35 has both): a batch copy of these tables would cascade-delete their
    # children while foreign keys are on
    op.add_column("organisations", sa.Column("extension_cap_days", sa.Integer(), nullable=True))
    op.add_column("organisations", sa.Column("collective_reps_practice", sa.Boolean(), nullable=False,
                                             server_default=sa.true()))
    op.add_column("organisations", sa.Column("own_rules_basis", sa.String(length=200), nullable=True))
    op.add_column("cases", sa.Column("common_claim", sa.Text(), nullable=False, server_default=""))
    op.add_column("cases", sa.Column("employment_ongoing", sa.Boolean(), nullable=True))
    op.add_column("cases", sa.Column("employment_ended_on", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("limitation_suspended_on", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("limitation_suspended_days", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("parties", sa.Column("authorised_to_sign", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("parties", sa.Column("authorisation_scope", sa.Text(), nullable=True))
    op.add_column("obligations", sa.Column("beneficiary", sa.String(length=200), nullable=True))
    deadlines = sa.table("deadlines", sa.column("kind", sa.String), sa.column("basis", sa.String))
    for kind, basis in _NEW.items():
        op.execute(deadlines.update().where(deadlines.c.kind == kind, deadlines.c.basis == _OLD).values(basis=basis))
    op.execute(deadlines.update().where(deadlines.c.kind == "collective_report", deadlines.c.basis == _OLD_REPORT)
               .values(basis=_NEW_REPORT))


def downgrade() -> None:
    deadlines = sa.table("deadlines", sa.column("kind", sa.String), sa.column("basis", sa.String))
    for kind, basis in _NEW.items():
        op.execute(deadlines.update().where(deadlines.c.kind == kind, deadlines.c.basis == basis).values(basis=_OLD))
    op.execute(deadlines.update().where(deadlines.c.kind == "collective_report", deadlines.c.basis == _NEW_REPORT)
               .values(basis=_OLD_REPORT))
    for table, column in (("obligations", "beneficiary"), ("parties", "authorisation_scope"),
                          ("parties", "authorised_to_sign"), ("cases", "limitation_suspended_days"),
                          ("cases", "limitation_suspended_on"), ("cases", "employment_ended_on"),
                          ("cases", "employment_ongoing"), ("cases", "common_claim"),
                          ("organisations", "own_rules_basis"), ("organisations", "collective_reps_practice"),
                          ("organisations", "extension_cap_days")):
        op.drop_column(table, column)
