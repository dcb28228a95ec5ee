"""Per-wave wording of vignette attribute levels (``wave_instrument.wording``).

Revision ID: f6b1d8e0a456
Revises: a1c7e3f5b901
Create Date: 2026-12-07 01:30:00

A wave may replace the texts of an instrument's vignette attribute levels with its client's
own words (e.g. the client's company-size segments), per language. The column holds only the
replaced texts, ``{attribute id: {level id: {language: text}}}``; existing rows get ``{}``
(the instrument's own wording). The downgrade drops the column and with it any wording.
"""

import sqlalchemy as sa
from alembic import op

revision = 'f6b1d8e0a456'
down_revision = 'a1c7e3f5b901'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wave_instrument', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wording', sa.JSON(), nullable=False, server_default='{}'))


def downgrade():
    with op.batch_alter_table('wave_instrument', schema=None) as batch_op:
        batch_op.drop_column('wording')
