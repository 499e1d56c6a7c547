"""api tokens: per-subtree tokens of the read-only JSON API

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', storage.types.UtcDateTime(), nullable=False),
        sa.Column('revoked_at', storage.types.UtcDateTime(), nullable=True),
        sa.Column('last_used_at', storage.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['person.id'],
                                name=op.f('fk_api_token_created_by_person')),
        sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'],
                                name=op.f('fk_api_token_unit_id_org_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
        sa.UniqueConstraint('digest', name=op.f('uq_api_token_digest')),
    )
    op.create_index(op.f('ix_api_token_unit_id'), 'api_token', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_api_token_unit_id'), table_name='api_token')
    op.drop_table('api_token')
