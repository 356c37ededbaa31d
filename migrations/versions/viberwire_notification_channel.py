"""where a resident's notifications go: the messenger used last, or every one

Revision ID: viberwire1
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'viberwire1'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Profiles so far keep getting notifications on every messenger (last_channel unknown)
    # until their next message names the one they use.
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('notify_every_channel', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('notify_every_channel')
        batch_op.drop_column('last_channel')
