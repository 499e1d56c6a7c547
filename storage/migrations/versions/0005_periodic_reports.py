"""periodic reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 22:40:05.757413
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('period_obligation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overdue_since', storage.types.UtcDateTime(), nullable=True))

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nil', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('replaces_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_report_replaces_id_report'), 'report', ['replaces_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_report_replaces_id_report'), type_='foreignkey')
        batch_op.drop_column('replaces_id')
        batch_op.drop_column('nil')

    with op.batch_alter_table('period_obligation', schema=None) as batch_op:
        batch_op.drop_column('overdue_since')

