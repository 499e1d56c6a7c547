"""survey campaigns: a campaign, each unit's link, members' anonymous answers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'survey_campaign',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('form_id', sa.String(length=64), nullable=False),
        sa.Column('form_version', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('opened_by', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', storage.types.UtcDateTime(), nullable=False),
        sa.Column('closed_at', storage.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['opened_by'], ['person.id'],
                                name=op.f('fk_survey_campaign_opened_by_person')),
        sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'],
                                name=op.f('fk_survey_campaign_unit_id_org_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_campaign')),
    )
    with op.batch_alter_table('survey_campaign', schema=None) as batch_op:
        batch_op.create_index('ix_survey_campaign_unit_status', ['unit_id', 'status'],
                              unique=False)
    op.create_table(
        'survey_unit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('created_at', storage.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['survey_campaign.id'],
                                name=op.f('fk_survey_unit_campaign_id_survey_campaign'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'],
                                name=op.f('fk_survey_unit_unit_id_org_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_unit')),
        sa.UniqueConstraint('campaign_id', 'unit_id',
                            name=op.f('uq_survey_unit_campaign_id')),
        sa.UniqueConstraint('token', name=op.f('uq_survey_unit_token')),
    )
    with op.batch_alter_table('survey_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_unit_unit_id'), ['unit_id'], unique=False)
    op.create_table(
        'survey_response',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('device', sa.String(length=64), nullable=False),
        sa.Column('answers', storage.types.JsonDoc, nullable=False),
        sa.Column('submitted_at', storage.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['survey_campaign.id'],
                                name=op.f('fk_survey_response_campaign_id_survey_campaign'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'],
                                name=op.f('fk_survey_response_unit_id_org_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response')),
        sa.UniqueConstraint('campaign_id', 'device',
                            name=op.f('uq_survey_response_campaign_id')),
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index('ix_survey_response_campaign_unit', ['campaign_id', 'unit_id'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('survey_response')
    op.drop_table('survey_unit')
    op.drop_table('survey_campaign')
