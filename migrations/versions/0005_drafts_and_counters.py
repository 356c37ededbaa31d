"""one drafts table for every dialog; one counters table for every numbering

Appeal drafts move from `appeal_drafts` into `drafts` (kind "appeal"), appeal counters from
`appeal_counters` into `counters` ("appeal:<year>"). The petition counter starts itself from
the largest petition number on its first use.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.execute(
        "INSERT INTO counters (name, last_value) "
        "SELECT 'appeal:' || CAST(year AS VARCHAR(8)), last_number FROM appeal_counters"
    )
    op.drop_table("appeal_counters")

    op.create_table(
        "drafts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=True),
        sa.Column("account", sa.String(length=80), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("dialog_state", sa.String(length=64), nullable=True),
        sa.Column("dialog_account", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_drafts_resident_id_residents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("account", "kind", name=op.f("uq_drafts_account_kind")),
        sa.UniqueConstraint("resident_id", "kind", name=op.f("uq_drafts_resident_id_kind")),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index("ix_drafts_dialog_account", ["dialog_account"], unique=False)
    op.execute(
        "INSERT INTO drafts (resident_id, kind, step, data, version, created_at, updated_at) "
        "SELECT resident_id, 'appeal', step, data, 1, created_at, updated_at FROM appeal_drafts"
    )
    op.drop_table("appeal_drafts")


def downgrade() -> None:
    op.create_table(
        "appeal_drafts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_appeal_drafts_resident_id_residents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_drafts")),
        sa.UniqueConstraint("resident_id", name=op.f("uq_appeal_drafts_resident_id")),
    )
    # Only appeal drafts had a table before; the other dialogs' drafts are dropped.
    op.execute(
        "INSERT INTO appeal_drafts (resident_id, step, data, created_at, updated_at) "
        "SELECT resident_id, step, data, created_at, updated_at FROM drafts "
        "WHERE kind = 'appeal' AND resident_id IS NOT NULL"
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index("ix_drafts_dialog_account")
    op.drop_table("drafts")

    op.create_table(
        "appeal_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_appeal_counters")),
    )
    op.execute(
        "INSERT INTO appeal_counters (year, last_number) "
        "SELECT CAST(substr(name, 8) AS INTEGER), last_value FROM counters "
        "WHERE name LIKE 'appeal:%'"
    )
    op.drop_table("counters")
