"""council votes: a decision linked to the petition it answers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vote_petition_links",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("petition_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("linked_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["vote_events.id"],
                                name=op.f("fk_vote_petition_links_event_id_vote_events"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["petition_id"], ["petitions.id"],
                                name=op.f("fk_vote_petition_links_petition_id_petitions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_vote_petition_links")),
    )
    with op.batch_alter_table("vote_petition_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_petition_links_petition_id"), ["petition_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vote_petition_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_petition_links_petition_id"))
    op.drop_table("vote_petition_links")
