"""report words: a report's typed words folded, for the web workplace's search; the
unit-and-time index of reports made covering for the figures (counted from the index alone)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 04:00:00
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_BATCH = 1000


def _fold(text: str) -> str:
    """bot.engine.text.fold as of this revision (a migration never imports live code)."""
    bare = "".join(c for c in unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
                   if not unicodedata.combining(c)).replace("đ", "d").replace("Đ", "D")
    bare = re.sub(r"[^\w]+", " ", bare.casefold()).replace("_", " ")
    return re.sub(r"\s+", " ", bare).strip()


def _words(answers: Any) -> str | None:
    if isinstance(answers, str):
        answers = json.loads(answers)
    texts = [v for v in (answers or {}).values() if isinstance(v, str)]
    return _fold(" ".join(texts)) or None


def upgrade() -> None:
    with op.batch_alter_table('report') as batch:
        batch.drop_index('ix_report_unit_submitted')
        batch.create_index('ix_report_unit_submitted',
                           ['unit_id', 'submitted_at', 'status', 'category', 'form_id'],
                           unique=False)
    op.add_column('report', sa.Column('words', sa.Text(), nullable=True))
    report = sa.table('report', sa.column('id', sa.Integer()), sa.column('answers', sa.Text()),
                      sa.column('words', sa.Text()))
    bind = op.get_bind()
    last = 0
    while True:  # in batches by id: a year's reports never sit in memory at once
        rows = bind.execute(sa.select(report.c.id, sa.cast(report.c.answers, sa.Text))
                            .where(report.c.id > last).order_by(report.c.id)
                            .limit(_BATCH)).all()
        if not rows:
            break
        for row_id, answers in rows:
            bind.execute(sa.update(report).where(report.c.id == row_id)
                         .values(words=_words(answers)))
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('report') as batch:
        batch.drop_column('words')
        batch.drop_index('ix_report_unit_submitted')
        batch.create_index('ix_report_unit_submitted', ['unit_id', 'submitted_at'], unique=False)
