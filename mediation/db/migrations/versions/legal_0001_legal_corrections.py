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
    with op.batch_alter_table("organisations") as b:
        b.add_column(sa.Column("extension_cap_days", sa.Integer(), nullable=True))
        b.add_column(sa.Column("collective_reps_practice", sa.Boolean(), nullable=False, server_default=sa.true()))
        b.add_column(sa.Column("own_rules_basis", sa.String(length=200), nullable=True))
    with op.batch_alter_table("cases") as b:
        b.add_column(sa.Column("common_claim", sa.Text(), nullable=False, server_default=""))
        b.add_column(sa.Column("employment_ongoing", sa.Boolean(), nullable=True))
        b.add_column(sa.Column("employment_ended_on", sa.Date(), nullable=True))
        b.add_column(sa.Column("limitation_suspended_on", sa.Date(), nullable=True))
        b.add_column(sa.Column("limitation_suspended_days", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("parties") as b:
        b.add_column(sa.Column("authorised_to_sign", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("authorisation_scope", sa.Text(), nullable=True))
    with op.batch_alter_table("obligations") as b:
        b.add_column(sa.Column("beneficiary", sa.String(length=200), nullable=True))
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
    with op.batch_alter_table("obligations") as b:
        b.drop_column("beneficiary")
    with op.batch_alter_table("parties") as b:
        b.drop_column("authorisation_scope")
        b.drop_column("authorised_to_sign")
    with op.batch_alter_table("cases") as b:
        b.drop_column("limitation_suspended_days")
        b.drop_column("limitation_suspended_on")
        b.drop_column("employment_ended_on")
        b.drop_column("employment_ongoing")
        b.drop_column("common_claim")
    with op.batch_alter_table("organisations") as b:
        b.drop_column("own_rules_basis")
        b.drop_column("collective_reps_practice")
        b.drop_column("extension_cap_days")
