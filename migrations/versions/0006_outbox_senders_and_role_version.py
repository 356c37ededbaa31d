"""shared state for several processes: the staff role version, the outbox senders

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_role_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_role_version")),
    )
    op.create_table(
        "outbox_senders",
        sa.Column("name", sa.String(length=96), nullable=False),
        sa.Column("bot", sa.String(length=64), nullable=False),
        sa.Column("peers", sa.Integer(), nullable=False),
        sa.Column("seen_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_senders")),
    )
    with op.batch_alter_table("outbox_senders", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_senders_bot", ["bot", "seen_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_senders", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_senders_bot")
    op.drop_table("outbox_senders")
    op.drop_table("staff_role_version")
