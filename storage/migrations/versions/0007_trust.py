"""trust: durable inbox, link consent, quota pauses, messages to no account

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:40:26.813251
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbound_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('chat_id', sa.String(length=128), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('received_at', storage.types.UtcDateTime(), nullable=False),
    sa.Column('done_at', storage.types.UtcDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_update')),
    sa.UniqueConstraint('channel', 'event_id', name=op.f('uq_inbound_update_channel'))
    )
    with op.batch_alter_table('inbound_update', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_update_status_id', ['status', 'id'], unique=False)

    op.create_table('channel_usage_window',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('span', sa.String(length=16), nullable=False),
    sa.Column('identity_id', sa.Integer(), nullable=False),
    sa.Column('replies', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['identity_id'], ['channel_identity.id'], name=op.f('fk_channel_usage_window_identity_id_channel_identity'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel', 'span', 'identity_id', name=op.f('pk_channel_usage_window'))
    )
    with op.batch_alter_table('channel_usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_until', storage.types.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('strikes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('stranger_messages', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('stranger_users', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('link_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_identity_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('requested_at', storage.types.UtcDateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_link_code_pending_identity_id_channel_identity'), 'channel_identity', ['pending_identity_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('identity_id',
               existing_type=sa.INTEGER(),
               nullable=True)



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('identity_id',
               existing_type=sa.INTEGER(),
               nullable=False)

    with op.batch_alter_table('link_code', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_link_code_pending_identity_id_channel_identity'), type_='foreignkey')
        batch_op.drop_column('requested_at')
        batch_op.drop_column('pending_identity_id')

    with op.batch_alter_table('channel_usage', schema=None) as batch_op:
        batch_op.drop_column('stranger_users')
        batch_op.drop_column('stranger_messages')
        batch_op.drop_column('strikes')
        batch_op.drop_column('paused_until')

    op.drop_table('channel_usage_window')
    with op.batch_alter_table('inbound_update', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_update_status_id')

    op.drop_table('inbound_update')
