"""blobs and rendering off the request: a generated document's PDF lives in the blob store (``blob_key``);
a document is numbered first and rendered later (``status`` pending → ready | failed); what stays immutable

Revision ID: 0041
Revises: 0040
Create Date: 2026-11-27 11:00:00

Existing rows keep their ``content`` until ``mediation blobs migrate`` moves it to the store. The database
still refuses any change to what a document *is* (case, kind, number, version, title, snapshot, who and when)
and to its hash, size and pages once set; it allows a pending document to receive them once, its status to
move on, and its bytes to move from the row to the store.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041"
down_revision: str | Sequence[str] | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIXED = ("case_id", "kind", "subject", "version", "number", "title", "snapshot", "event_seq", "created_by_id",
         "created_at")
SET_ONCE = ("sha256", "size", "pages")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION generated_documents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'generated_documents is immutable';
    END IF;
    IF %(fixed)s OR %(once)s OR (NEW.content IS NOT NULL AND NEW.content IS DISTINCT FROM OLD.content) THEN
        RAISE EXCEPTION 'generated_documents is immutable';
    END IF;
    RETURN NEW;
END $$;
""" % {
    "fixed": " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FIXED),
    "once": " OR ".join(f"(OLD.{c} IS NOT NULL AND NEW.{c} IS DISTINCT FROM OLD.{c})" for c in SET_ONCE),
}

SQLITE_TRIGGER = (
    "CREATE TRIGGER generated_documents_no_update BEFORE UPDATE ON generated_documents WHEN "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FIXED) + " OR "
    + " OR ".join(f"(OLD.{c} IS NOT NULL AND NEW.{c} IS NOT OLD.{c})" for c in SET_ONCE)
    + " OR (NEW.content IS NOT NULL AND NEW.content IS NOT OLD.content)"
    " BEGIN SELECT RAISE(ABORT, 'generated_documents is immutable'); END"
)
SQLITE_TRIGGER_OLD = ("CREATE TRIGGER generated_documents_no_update BEFORE UPDATE ON generated_documents "
                      "BEGIN SELECT RAISE(ABORT, 'generated_documents is immutable'); END")
PG_FUNCTION_OLD = """
CREATE OR REPLACE FUNCTION generated_documents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'generated_documents is immutable';
END $$;
"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS generated_documents_no_update")
    with op.batch_alter_table("generated_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blob_key", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="ready"))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("content", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.alter_column("sha256", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("size", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("pages", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index("ix_generated_documents_status_pending", ["status"], unique=False,
                              sqlite_where=sa.text("status <> 'ready'"), postgresql_where=sa.text("status <> 'ready'"))
    if sqlite:
        op.execute(SQLITE_TRIGGER)
    else:
        op.execute(PG_FUNCTION)


def downgrade() -> None:
    # only possible while every PDF is still in its row (``mediation blobs migrate`` not run) and rendered
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS generated_documents_no_update")
    else:
        op.execute(PG_FUNCTION_OLD)
    with op.batch_alter_table("generated_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_generated_documents_status_pending")
        batch_op.alter_column("pages", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("size", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("content", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("rendered_at")
        batch_op.drop_column("error")
        batch_op.drop_column("status")
        batch_op.drop_column("blob_key")
    if sqlite:
        op.execute(SQLITE_TRIGGER_OLD)
