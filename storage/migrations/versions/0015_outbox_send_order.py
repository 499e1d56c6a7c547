"""outbox send order: an index the delivery claim reads in send order, with a limit, and
one on the lease, which only rows being sent carry

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message') as batch:
        batch.create_index('ix_outbox_send_order', ['status', 'priority', 'id'], unique=False)
        batch.create_index('ix_outbox_lease', ['lease_until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_message') as batch:
        batch.drop_index('ix_outbox_lease')
        batch.drop_index('ix_outbox_send_order')
