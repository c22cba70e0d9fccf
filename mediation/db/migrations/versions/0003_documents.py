"""documents: generated PDFs (immutable, hashed, versioned) and numbering formats

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 03:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("documents",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "generated_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("snapshot", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_generated_documents_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_generated_documents_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generated_documents")),
        sa.UniqueConstraint("case_id", "kind", "subject", "version",
                            name=op.f("uq_generated_documents_case_id_kind_subject_version")),
    )
    with op.batch_alter_table("generated_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_generated_documents_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_generated_documents_sha256"), ["sha256"], unique=False)
    op.create_table(
        "document_number_formats",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("pattern", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_document_number_formats_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("organisation_id", "kind", name=op.f("pk_document_number_formats")),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Updates are refused by the database itself; deletes by the ORM (the embedded database is also
        # emptied wholesale by maintenance and tests).
        op.execute(
            "CREATE TRIGGER generated_documents_no_update BEFORE UPDATE ON generated_documents "
            "BEGIN SELECT RAISE(ABORT, 'generated_documents is immutable'); END"
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION generated_documents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'generated_documents is immutable';
            END $$;
            """
        )
        op.execute(
            "CREATE TRIGGER generated_documents_no_update BEFORE UPDATE OR DELETE ON generated_documents "
            "FOR EACH ROW EXECUTE FUNCTION generated_documents_immutable()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS generated_documents_no_update")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS generated_documents_no_update ON generated_documents")
        op.execute("DROP FUNCTION IF EXISTS generated_documents_immutable()")
    op.drop_table("document_number_formats")
    with op.batch_alter_table("generated_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_generated_documents_sha256"))
        batch_op.drop_index(batch_op.f("ix_generated_documents_case_id"))
    op.drop_table("generated_documents")
