"""invite revoked: an invite withdrawn before it was used up

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('invite', sa.Column('revoked_at', storage.types.UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('invite') as batch:
        batch.drop_column('revoked_at')
