"""appeals.petition_id: the petition considered as this appeal

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'petition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_appeals_petition_id'), ['petition_id'])
        batch_op.create_foreign_key(batch_op.f('fk_appeals_petition_id_petitions'), 'petitions',
                                    ['petition_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appeals_petition_id_petitions'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_appeals_petition_id'), type_='unique')
        batch_op.drop_column('petition_id')
