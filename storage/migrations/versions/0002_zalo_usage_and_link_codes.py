"""zalo usage and link codes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 21:11:47.027903
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('channel_usage',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.Column('users', sa.Integer(), nullable=False),
    sa.Column('exhausted_at', storage.types.UtcDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('channel', 'month', name=op.f('pk_channel_usage'))
    )
    op.create_table('channel_usage_user',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('identity_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['identity_id'], ['channel_identity.id'], name=op.f('fk_channel_usage_user_identity_id_channel_identity'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel', 'month', 'identity_id', name=op.f('pk_channel_usage_user'))
    )
    op.create_table('link_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('identity_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', storage.types.UtcDateTime(), nullable=False),
    sa.Column('used_at', storage.types.UtcDateTime(), nullable=True),
    sa.Column('created_at', storage.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['identity_id'], ['channel_identity.id'], name=op.f('fk_link_code_identity_id_channel_identity')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_link_code_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_code')),
    sa.UniqueConstraint('code', name=op.f('uq_link_code_code'))
    )



def downgrade() -> None:

    op.drop_table('link_code')
    op.drop_table('channel_usage_user')
    op.drop_table('channel_usage')

