"""web: sign-in links, browser sessions and the signing key

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_pass',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('identity_id', sa.Integer(), nullable=False),
    sa.Column('next_path', sa.String(length=200), nullable=True),
    sa.Column('csrf', sa.String(length=64), nullable=True),
    sa.Column('created_at', storage.types.UtcDateTime(), nullable=False),
    sa.Column('expires_at', storage.types.UtcDateTime(), nullable=False),
    sa.Column('used_at', storage.types.UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['identity_id'], ['channel_identity.id'],
                            name=op.f('fk_web_pass_identity_id_channel_identity'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'],
                            name=op.f('fk_web_pass_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_pass')),
    sa.UniqueConstraint('digest', name=op.f('uq_web_pass_digest'))
    )
    with op.batch_alter_table('web_pass', schema=None) as batch_op:
        batch_op.create_index('ix_web_pass_person_kind_created',
                              ['person_id', 'kind', 'created_at'], unique=False)
    op.create_table('web_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('created_at', storage.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_key'))
    )


def downgrade() -> None:
    op.drop_table('web_key')
    with op.batch_alter_table('web_pass', schema=None) as batch_op:
        batch_op.drop_index('ix_web_pass_person_kind_created')
    op.drop_table('web_pass')
