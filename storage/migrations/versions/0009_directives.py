"""directives: the directive, its ledger of units, members' confirmations

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'directive',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('author_person_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('asks', sa.String(length=16), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('audience', storage.types.JsonDoc, nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=True),
        sa.Column('file_mime', sa.String(length=100), nullable=True),
        sa.Column('file_data', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', storage.types.UtcDateTime(), nullable=False),
        sa.Column('updated_at', storage.types.UtcDateTime(), nullable=False),
        sa.Column('published_at', storage.types.UtcDateTime(), nullable=True),
        sa.Column('withdrawn_at', storage.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['author_person_id'], ['person.id'],
                                name=op.f('fk_directive_author_person_id_person')),
        sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'],
                                name=op.f('fk_directive_unit_id_org_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_directive')),
    )
    with op.batch_alter_table('directive', schema=None) as batch_op:
        batch_op.create_index('ix_directive_unit_status', ['unit_id', 'status'], unique=False)
    op.create_table(
        'directive_recipient',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('directive_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('received_at', storage.types.UtcDateTime(), nullable=True),
        sa.Column('received_by', sa.Integer(), nullable=True),
        sa.Column('disseminated_at', storage.types.UtcDateTime(), nullable=True),
        sa.Column('disseminated_by', sa.Integer(), nullable=True),
        sa.Column('reached', sa.Integer(), nullable=True),
        sa.Column('reached_on', sa.Date(), nullable=True),
        sa.Column('method', sa.String(length=16), nullable=True),
        sa.Column('via', sa.String(length=32), nullable=True),
        sa.Column('last_step', sa.String(length=16), nullable=True),
        sa.Column('created_at', storage.types.UtcDateTime(), nullable=False),
        sa.Column('updated_at', storage.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['directive_id'], ['directive.id'],
                                name=op.f('fk_directive_recipient_directive_id_directive'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['disseminated_by'], ['person.id'],
                                name=op.f('fk_directive_recipient_disseminated_by_person')),
        sa.ForeignKeyConstraint(['received_by'], ['person.id'],
                                name=op.f('fk_directive_recipient_received_by_person')),
        sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'],
                                name=op.f('fk_directive_recipient_unit_id_org_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_directive_recipient')),
        sa.UniqueConstraint('directive_id', 'unit_id',
                            name=op.f('uq_directive_recipient_directive_id')),
        sa.UniqueConstraint('token', name=op.f('uq_directive_recipient_token')),
    )
    with op.batch_alter_table('directive_recipient', schema=None) as batch_op:
        batch_op.create_index('ix_directive_recipient_directive_state',
                              ['directive_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_directive_recipient_unit_id'), ['unit_id'],
                              unique=False)
    op.create_table(
        'directive_read',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('directive_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('device', sa.String(length=64), nullable=False),
        sa.Column('at', storage.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['directive_id'], ['directive.id'],
                                name=op.f('fk_directive_read_directive_id_directive'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'],
                                name=op.f('fk_directive_read_unit_id_org_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_directive_read')),
        sa.UniqueConstraint('directive_id', 'device',
                            name=op.f('uq_directive_read_directive_id')),
    )
    with op.batch_alter_table('directive_read', schema=None) as batch_op:
        batch_op.create_index('ix_directive_read_directive_unit', ['directive_id', 'unit_id'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('directive_read')
    op.drop_table('directive_recipient')
    op.drop_table('directive')
