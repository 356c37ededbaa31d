"""where a resident's notifications go: the messenger used last, or every one; the inbox's
claim walks pending callbacks in arrival order

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Profiles so far keep getting notifications on every messenger (last_channel unknown)
    # until their next message names the one they use. Plain ADD COLUMN, not batch mode: on
    # SQLite a batch would copy `residents`, and dropping the old table would cascade to every
    # row that refers to a resident.
    op.add_column('residents', sa.Column('last_channel', sa.String(length=16), nullable=True))
    op.add_column('residents', sa.Column('notify_every_channel', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.create_index('ix_inbound_events_ready', 'inbound_events', ['channel', 'status', 'id'])


def downgrade() -> None:
    op.drop_index('ix_inbound_events_ready', table_name='inbound_events')
    # SQLite 3.35+ drops a column in place (no copy of the table either).
    op.drop_column('residents', 'notify_every_channel')
    op.drop_column('residents', 'last_channel')
