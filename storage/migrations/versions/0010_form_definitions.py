"""form definitions: forms imported from Excel (XLSForm), every version kept

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'form_definition',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('form_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('definition', storage.types.JsonDoc, nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('imported_by', sa.Integer(), nullable=True),
        sa.Column('imported_at', storage.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['imported_by'], ['person.id'],
                                name=op.f('fk_form_definition_imported_by_person')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_definition')),
        sa.UniqueConstraint('form_id', 'version', name=op.f('uq_form_definition_form_id')),
    )


def downgrade() -> None:
    op.drop_table('form_definition')
