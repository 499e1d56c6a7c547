"""period obligations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 22:16:11.674786
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('period_obligation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('form_id', sa.String(length=64), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', storage.types.UtcDateTime(), nullable=True),
    sa.Column('last_step', sa.String(length=16), nullable=True),
    sa.Column('created_at', storage.types.UtcDateTime(), nullable=False),
    sa.Column('updated_at', storage.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_period_obligation_report_id_report')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], name=op.f('fk_period_obligation_unit_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_period_obligation')),
    sa.UniqueConstraint('unit_id', 'kind', 'period', name=op.f('uq_period_obligation_unit_id'))
    )
    with op.batch_alter_table('period_obligation', schema=None) as batch_op:
        batch_op.create_index('ix_period_obligation_period_status', ['kind', 'period', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('period_obligation', schema=None) as batch_op:
        batch_op.drop_index('ix_period_obligation_period_status')

    op.drop_table('period_obligation')
